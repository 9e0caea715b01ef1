package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

// ExtractFeed finds the links of an RSS or Atom feed: torrent enclosures
// (application/x-bittorrent), magnet and .torrent item links, the ezRSS
// torrent:infoHash, torrent:magnetURI and torrent:contentLength elements and
// Torznab attributes (infohash, magneturl, size). base resolves relative
// links. An item that states only an infohash yields a [LinkHash]. It does no
// I/O and is safe for concurrent use.
func ExtractFeed(base *url.URL, body []byte) ([]Link, error) {
	if base == nil || !base.IsAbs() {
		return nil, errors.New("extract feed: base URL must be absolute")
	}
	if len(body) > MaxExtractBytes {
		return nil, fmt.Errorf("extract feed: %w: %d bytes (limit %d)", ErrBodyTooLarge, len(body), MaxExtractBytes)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("extract feed: %w", err)
	}
	var out []Link
	seen := make(map[string]bool)
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		for _, l := range itemLinks(base, it) {
			k := linkKey(l)
			if l.Kind == LinkHash {
				k = "hash:" + l.InfoHash.String()
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			if len(out) >= MaxExtractLinks {
				return out, nil
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// IsFeed reports whether a response looks like an RSS or Atom feed rather
// than an HTML page.
func IsFeed(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "html") {
		return false
	}
	head := body
	if len(head) > 4096 {
		head = head[:4096]
	}
	switch gofeed.DetectFeedType(bytes.NewReader(head)) {
	case gofeed.FeedTypeRSS, gofeed.FeedTypeAtom:
		return true
	}
	return false
}

// extValues returns the values of extension elements named name (any
// namespace prefix, case-insensitive).
func extValues(exts ext.Extensions, name string) []ext.Extension {
	var out []ext.Extension
	for _, byName := range exts {
		for n, es := range byName {
			if strings.EqualFold(n, name) {
				out = append(out, es...)
			}
		}
	}
	return out
}

func itemLinks(base *url.URL, it *gofeed.Item) []Link {
	f := itemFacts{base: base, name: cleanText(it.Title)}
	f.readExtensions(it.Extensions)
	for _, enc := range it.Enclosures {
		if enc == nil {
			continue
		}
		bt := strings.EqualFold(strings.TrimSpace(enc.Type), "application/x-bittorrent")
		f.consider(enc.URL, bt)
		if n, err := strconv.ParseInt(strings.TrimSpace(enc.Length), 10, 64); err == nil && n > 0 && f.size == 0 && !bt {
			f.size = n
		}
	}
	f.consider(it.Link, false)
	for _, l := range it.Links {
		f.consider(l, false)
	}
	if f.page == "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
		f.consider(it.GUID, false)
	}
	if f.size == 0 {
		f.size, _ = FindSize(it.Title + " " + it.Description)
	}
	return f.links()
}

// itemFacts is what one feed item says: its links and what it claims of
// them (infohash, name, size), and the page it came from.
type itemFacts struct {
	base                     *url.URL
	name                     string
	infohash                 fingerprint.InfoHash
	size                     int64
	magnets, torrents, ed2ks []string
	page                     string
}

// readExtensions reads the Torznab attributes and the ezRSS elements.
func (f *itemFacts) readExtensions(exts ext.Extensions) {
	for _, e := range extValues(exts, "attr") { // Torznab
		v := strings.TrimSpace(e.Attrs["value"])
		switch strings.ToLower(e.Attrs["name"]) {
		case "infohash":
			if ih, err := fingerprint.ParseInfoHash(v); err == nil {
				f.infohash = ih
			}
		case "magneturl":
			if hasPrefixFold(v, "magnet:?") {
				f.magnets = append(f.magnets, v)
			}
		case "size":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
				f.size = n
			}
		}
	}
	for _, e := range extValues(exts, "infoHash") { // ezRSS
		if ih, err := fingerprint.ParseInfoHash(e.Value); err == nil && f.infohash.IsZero() {
			f.infohash = ih
		}
	}
	for _, e := range extValues(exts, "magnetURI") {
		if v := strings.TrimSpace(e.Value); hasPrefixFold(v, "magnet:?") {
			f.magnets = append(f.magnets, v)
		}
	}
	if f.size == 0 {
		for _, e := range extValues(exts, "contentLength") {
			if n, err := strconv.ParseInt(strings.TrimSpace(e.Value), 10, 64); err == nil && n > 0 {
				f.size = n
				break
			}
		}
	}
	if f.name == "" {
		for _, e := range extValues(exts, "fileName") {
			f.name = cleanText(e.Value)
			break
		}
	}
}

// consider files one href of the item: a link we follow, or else the
// item's page. bittorrent says the feed typed it as a torrent file.
func (f *itemFacts) consider(href string, bittorrent bool) {
	href = strings.TrimSpace(href)
	if href == "" {
		return
	}
	kind, link := classify(f.base, href)
	if kind == 0 && bittorrent {
		if u, err := f.base.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			kind, link = LinkTorrent, u.String()
		}
	}
	switch kind {
	case LinkMagnet:
		f.magnets = append(f.magnets, link)
	case LinkTorrent:
		f.torrents = append(f.torrents, link)
	case LinkED2K:
		f.ed2ks = append(f.ed2ks, link)
	case 0:
		if f.page == "" {
			if u, err := f.base.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") && !hasSecret(u) {
				f.page = u.String()
			}
		}
	}
}

// links are the item's links with what the item claims of them; an item
// with only an infohash gives a hash link.
func (f *itemFacts) links() []Link {
	var out []Link
	add := func(kind LinkKind, link string) {
		l := newLink(kind, link)
		if l.InfoHash.IsZero() {
			l.InfoHash = f.infohash
		}
		if f.name != "" {
			l.Name = f.name
		}
		if f.size > 0 && l.Size == 0 {
			l.Size = f.size
		}
		l.Page = f.page
		out = append(out, l)
	}
	for _, m := range f.magnets {
		add(LinkMagnet, m)
	}
	for _, t := range f.torrents {
		add(LinkTorrent, t)
	}
	for _, e := range f.ed2ks {
		add(LinkED2K, e)
	}
	if len(out) == 0 && !f.infohash.IsZero() {
		out = append(out, Link{Kind: LinkHash, InfoHash: f.infohash, Name: f.name, Size: f.size, Page: f.page})
	}
	return out
}

// hasSecret reports whether u carries a query parameter we redact.
func hasSecret(u *url.URL) bool {
	for k := range u.Query() {
		for _, s := range secretParams {
			if strings.EqualFold(k, s) {
				return true
			}
		}
	}
	return false
}
