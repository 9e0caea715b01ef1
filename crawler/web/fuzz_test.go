package web

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func addFixtureSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "text/html")
	}
}

func FuzzExtractPage(f *testing.F) {
	addFixtureSeeds(f, "testdata/*.html")
	addFixtureSeeds(f, "testdata/tracker/*.html")
	f.Add([]byte(`<a href="magnet:?xt=urn:btih:`), "")
	f.Add([]byte("ed2k://|file|\xff|1|0123456789abcdef0123456789abcdef|/ 1,5 GB"), "text/html; charset=euc-jp")
	f.Add([]byte(`<base href="javascript:x"><a href="a.torrent">x</a><link rel=next href="//evil/">`), "text/html; charset=x-unknown")
	base := mustURL(f, "https://site.example/list?page=1")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		pr, err := ExtractPage(base, body, contentType)
		if err != nil {
			return // the parser refuses some input; it must not panic
		}
		if len(pr.Links) > MaxExtractLinks {
			t.Fatalf("%d links", len(pr.Links))
		}
		for _, l := range pr.Links {
			if l.Kind < LinkMagnet || l.Kind > LinkTorrent || l.URL == "" {
				t.Fatalf("bad link %+v", l)
			}
			if !utf8.ValidString(l.Name) || utf8.RuneCountInString(l.Name) > maxNameRunes || l.Size < 0 {
				t.Fatalf("bad name or size %+v", l)
			}
			if l.Kind == LinkTorrent && !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
				t.Fatalf("torrent link %q is not http(s)", l.URL)
			}
			if s := l.InfoHash.String(); s != "" && len(s) != 40 {
				t.Fatalf("infohash %q", l.InfoHash)
			}
		}
		if pr.Next != nil && (pr.Next.Host != base.Host || (pr.Next.Scheme != "http" && pr.Next.Scheme != "https")) {
			t.Fatalf("next %v leaves the site", pr.Next)
		}
	})
}

func FuzzExtractFeed(f *testing.F) {
	for _, p := range []string{"testdata/feed.rss", "testdata/torznab.xml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := mustURL(f, "https://site.example/rss")
	f.Fuzz(func(t *testing.T, body []byte) {
		links, err := ExtractFeed(base, body)
		if err != nil {
			return
		}
		for _, l := range links {
			if l.Kind == LinkHash && l.InfoHash.IsZero() {
				t.Fatalf("hash link without hash %+v", l)
			}
			if l.Kind != LinkHash && l.URL == "" {
				t.Fatalf("empty link %+v", l)
			}
		}
	})
}

func FuzzFindSize(f *testing.F) {
	for _, s := range []string{"1.2 GB", "１．２ＧＢ", "1,234,567 bytes", "9223372036854775807 EB", "0.0000001 KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, ok := FindSize(s); ok && n <= 0 {
			t.Fatalf("FindSize(%q) = %d", s, n)
		}
	})
}

// FuzzReadBody decodes hostile bodies under every encoding we accept: never
// a panic, never more than the cap.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("\x0b\x02\x80hello\x03"), "br")
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), "gzip")
	f.Add([]byte("\x78\x9c\x03\x00\x00\x00\x00\x01"), "deflate")
	f.Add(brotliBomb(f, 1<<20), "br")
	f.Add([]byte("plain"), "br, gzip")
	f.Fuzz(func(t *testing.T, b []byte, enc string) {
		const max = 64 << 10
		got, err := readBody(bytes.NewReader(b), enc, max, false)
		if err == nil && len(got) > max {
			t.Fatalf("%d bytes past the cap of %d", len(got), max)
		}
		if got, _ := readBody(bytes.NewReader(b), enc, max, true); len(got) > max {
			t.Fatalf("truncated read gave %d bytes", len(got))
		}
	})
}

// FuzzTorznab parses hostile caps documents and result pages: bounded,
// never a panic.
func FuzzTorznab(f *testing.F) {
	f.Add([]byte(`<caps><limits max="100" default="50"/><searching><search available="yes" supportedParams="q"/></searching><categories><category id="1" name="a"><subcat id="2" name="b"/></category></categories></caps>`))
	f.Add([]byte(`<rss><channel><newznab:response offset="0" total="9"/><item/><item/></channel></rss>`))
	f.Add([]byte(`<caps><limits max="-5" default="x"/></caps>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if caps, err := parseTorznabCaps(b); err == nil {
			if len(caps.Categories) > maxTorznabCategories || caps.PageSize() < 0 || caps.PageSize() > maxTorznabLimit {
				t.Fatalf("caps %+v", caps)
			}
		}
		if p := parseTorznabPage(b); p.items < 0 || p.total < -1 {
			t.Fatalf("page %+v", p)
		}
	})
}
