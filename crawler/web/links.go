package web

import (
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
)

// LinkKind says what a [Link] points at.
type LinkKind int

// The kinds of link the extractors report.
const (
	// LinkMagnet is a magnet URI.
	LinkMagnet LinkKind = iota + 1
	// LinkED2K is an ed2k://|file|... link.
	LinkED2K
	// LinkTorrent is an http(s) URL of a .torrent file.
	LinkTorrent
	// LinkHash is a bare infohash (a feed's torrent:infoHash without a link).
	LinkHash
)

// String returns "magnet", "ed2k", "torrent" or "infohash".
func (k LinkKind) String() string {
	switch k {
	case LinkMagnet:
		return "magnet"
	case LinkED2K:
		return "ed2k"
	case LinkTorrent:
		return "torrent"
	case LinkHash:
		return "infohash"
	}
	return "unknown"
}

// Link is one magnet, ed2k or .torrent link found on a page or feed, with
// what the page said about it. Everything in it is untrusted data.
type Link struct {
	Kind LinkKind
	// URL is the link as found (magnet, ed2k) or resolved to an absolute
	// URL (.torrent); empty for [LinkHash].
	URL string
	// InfoHash is the v1 infohash when the link or feed states it.
	InfoHash fingerprint.InfoHash
	// Name is the name written next to the link (or in it: magnet dn, ed2k
	// name), whitespace-collapsed, at most maxNameRunes runes.
	Name string
	// Size is the size in bytes written next to the link (or in it), 0 when
	// unknown. Page sizes are approximate ("1.2 GB").
	Size int64
	// Page is the item's own page when a feed names one (Torznab comments,
	// RSS item link to a details page); empty for links found on HTML pages.
	Page string
}

const maxNameRunes = 512

var (
	// Links pasted as text (bulletin boards). Printable ASCII without
	// quotes, angle brackets or spaces.
	textMagnet  = regexp.MustCompile(`(?i)magnet:\?[!#-&(-;=?-~]+`)
	textED2K    = regexp.MustCompile(`(?i)ed2k://\|file\|[^|\r\n<>"]+\|\d{1,20}\|[0-9a-f]{32}\|(?:[^|\r\n<>"\s]*\|){0,8}/?`)
	textTorrent = regexp.MustCompile(`(?i)https?://[!#-&(-;=?-~]+?\.torrent\b`)
)

// classify returns the kind of an href, resolved against base, and the link
// to report; 0 when it is not a link we collect.
func classify(base *url.URL, href string) (LinkKind, string) {
	href = strings.TrimSpace(href)
	if len(href) < 8 {
		return 0, ""
	}
	switch {
	case hasPrefixFold(href, "magnet:?"):
		return LinkMagnet, href
	case hasPrefixFold(href, "ed2k://"):
		if _, err := fingerprint.ParseLink(href); err != nil {
			return 0, ""
		}
		return LinkED2K, href
	}
	u, err := base.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, ""
	}
	if isTorrentURL(u) {
		u.Fragment = ""
		return LinkTorrent, u.String()
	}
	return 0, ""
}

// isTorrentURL reports whether u names a .torrent file in its path or in a
// query value (download.php?file=x.torrent).
func isTorrentURL(u *url.URL) bool {
	if strings.HasSuffix(strings.ToLower(u.Path), ".torrent") {
		return true
	}
	if !strings.Contains(strings.ToLower(u.RawQuery), ".torrent") {
		return false
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if strings.HasSuffix(strings.ToLower(v), ".torrent") {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// torrentFileName is the name a .torrent URL suggests: its file name
// without the extension.
func torrentFileName(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	base := path.Base(u.Path)
	if !strings.HasSuffix(strings.ToLower(base), ".torrent") {
		for _, vs := range u.Query() {
			for _, v := range vs {
				if strings.HasSuffix(strings.ToLower(v), ".torrent") {
					base = path.Base(v)
				}
			}
		}
	}
	if len(base) > len(".torrent") && strings.HasSuffix(strings.ToLower(base), ".torrent") {
		return cleanText(base[:len(base)-len(".torrent")])
	}
	return ""
}

// linkKey identifies a link for de-duplication on one page.
func linkKey(l Link) string {
	if l.Kind == LinkMagnet && !l.InfoHash.IsZero() {
		return "btih:" + l.InfoHash.String()
	}
	if l.Kind == LinkED2K {
		return "ed2k:" + strings.ToLower(l.URL)
	}
	return l.Kind.String() + ":" + l.URL
}

// newLink fills what the link itself says, as fingerprint.ParseLink reads
// it (the one parser of magnet and ed2k links).
func newLink(kind LinkKind, link string) Link {
	l := Link{Kind: kind, URL: link}
	if kind != LinkMagnet && kind != LinkED2K {
		return l
	}
	if fl, err := fingerprint.ParseLink(link); err == nil {
		l.InfoHash, l.Name = fl.BTIH, cleanText(fl.Name)
		if fl.Size > 0 {
			l.Size = fl.Size
		}
	}
	return l
}

// cleanText collapses whitespace (U+2028 and U+2029 included), drops the
// runes [display.Unsafe] names and caps the length at maxNameRunes runes.
func cleanText(s string) string {
	var b strings.Builder
	space, n := false, 0
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r == '\u3000' || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if display.Unsafe(r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= maxNameRunes {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
