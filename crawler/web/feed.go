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
	name := cleanText(it.Title)
	var infohash fingerprint.InfoHash
	var size int64
	var magnets, torrents, ed2ks []string

	for _, e := range extValues(it.Extensions, "attr") { // Torznab
		v := strings.TrimSpace(e.Attrs["value"])
		switch strings.ToLower(e.Attrs["name"]) {
		case "infohash":
			if ih, err := fingerprint.ParseInfoHash(v); err == nil {
				infohash = ih
			}
		case "magneturl":
			if hasPrefixFold(v, "magnet:?") {
				magnets = append(magnets, v)
			}
		case "size":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
				size = n
			}
		}
	}
	for _, e := range extValues(it.Extensions, "infoHash") { // ezRSS
		if ih, err := fingerprint.ParseInfoHash(e.Value); err == nil && infohash.IsZero() {
			infohash = ih
		}
	}
	for _, e := range extValues(it.Extensions, "magnetURI") {
		if v := strings.TrimSpace(e.Value); hasPrefixFold(v, "magnet:?") {
			magnets = append(magnets, v)
		}
	}
	if size == 0 {
		for _, e := range extValues(it.Extensions, "contentLength") {
			if n, err := strconv.ParseInt(strings.TrimSpace(e.Value), 10, 64); err == nil && n > 0 {
				size = n
				break
			}
		}
	}
	if name == "" {
		for _, e := range extValues(it.Extensions, "fileName") {
			name = cleanText(e.Value)
			break
		}
	}

	var page string
	consider := func(href string, bittorrent bool) {
		href = strings.TrimSpace(href)
		if href == "" {
			return
		}
		kind, link := classify(base, href)
		if kind == 0 && bittorrent {
			if u, err := base.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				kind, link = LinkTorrent, u.String()
			}
		}
		switch kind {
		case LinkMagnet:
			magnets = append(magnets, link)
		case LinkTorrent:
			torrents = append(torrents, link)
		case LinkED2K:
			ed2ks = append(ed2ks, link)
		case 0:
			if page == "" {
				if u, err := base.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") && !hasSecret(u) {
					page = u.String()
				}
			}
		}
	}
	for _, enc := range it.Enclosures {
		if enc == nil {
			continue
		}
		bt := strings.EqualFold(strings.TrimSpace(enc.Type), "application/x-bittorrent")
		consider(enc.URL, bt)
		if n, err := strconv.ParseInt(strings.TrimSpace(enc.Length), 10, 64); err == nil && n > 0 && size == 0 && !bt {
			size = n
		}
	}
	consider(it.Link, false)
	for _, l := range it.Links {
		consider(l, false)
	}
	if page == "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
		consider(it.GUID, false)
	}
	if size == 0 {
		size, _ = FindSize(it.Title + " " + it.Description)
	}

	var out []Link
	add := func(kind LinkKind, link string) {
		l := newLink(kind, link)
		if l.InfoHash.IsZero() {
			l.InfoHash = infohash
		}
		if name != "" {
			l.Name = name
		}
		if size > 0 && l.Size == 0 {
			l.Size = size
		}
		l.Page = page
		out = append(out, l)
	}
	for _, m := range magnets {
		add(LinkMagnet, m)
	}
	for _, t := range torrents {
		add(LinkTorrent, t)
	}
	for _, e := range ed2ks {
		add(LinkED2K, e)
	}
	if len(out) == 0 && !infohash.IsZero() {
		out = append(out, Link{Kind: LinkHash, InfoHash: infohash, Name: name, Size: size, Page: page})
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
