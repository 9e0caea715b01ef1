package web

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

type wantLink struct {
	kind     LinkKind
	url      string // substring of Link.URL
	infohash string
	name     string
	size     int64
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkLinks(t *testing.T, got []Link, want []wantLink) {
	t.Helper()
	if len(got) != len(want) {
		for _, l := range got {
			t.Logf("got %v %q ih=%s name=%q size=%d", l.Kind, l.URL, l.InfoHash, l.Name, l.Size)
		}
		t.Fatalf("got %d links, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || !strings.Contains(g.URL, w.url) || g.InfoHash.String() != w.infohash || g.Name != w.name || g.Size != w.size {
			t.Errorf("link %d:\n got %v %q ih=%q name=%q size=%d\nwant %v %q ih=%q name=%q size=%d",
				i, g.Kind, g.URL, g.InfoHash, g.Name, g.Size, w.kind, w.url, w.infohash, w.name, w.size)
		}
	}
}

const (
	gib = int64(1) << 30
	mib = int64(1) << 20
	kib = int64(1) << 10
)

func TestExtractPageFixtures(t *testing.T) {
	tests := []struct {
		file, base, contentType string
		charset                 string
		next                    string
		links                   []wantLink
	}{
		{
			file: "tracker/page1.html", base: "https://tracker.example/browse", contentType: "text/html",
			charset: "utf-8", next: "https://tracker.example/browse?page=2",
			links: []wantLink{
				{LinkTorrent, "https://tracker.example/download/101/Acme_Corp_Payroll_2024.torrent", "", "Acme Corp Payroll 2024 (fake)", 1288490189},
				{LinkMagnet, "magnet:?xt=urn:btih:0123456789abcdef", "0123456789abcdef0123456789abcdef01234567", "Acme Corp Payroll 2024", 1288490189},
				{LinkMagnet, "CERDGRCVMZ3YRGIACERDGRCVMZ3YRGIA", "1122334455667788990011223344556677889900", "Customer List Q3 (test data)", 350 * mib},
				{LinkTorrent, "/download/103/board-minutes.torrent", "", "Board Minutes Draft", 1234567},
			},
		},
		{
			file: "tracker/page2.html", base: "https://tracker.example/browse?page=2", contentType: "text/html; charset=utf-8",
			charset: "utf-8", next: "https://tracker.example/browse?page=3",
			links: []wantLink{
				{LinkTorrent, "/download/201/hr.torrent", "", "HR Evaluations 2023 (fake)", 5046586573},
				{LinkMagnet, "89abcdef", "89abcdef0123456789abcdef0123456789abcdef", "HR Evaluations 2023 (fake)", 5046586573},
				{LinkMagnet, "fedcba98", "fedcba9876543210fedcba9876543210fedcba98", "design-specs-v2.zip", 52428800},
			},
		},
		{
			file: "tracker/page3.html", base: "https://tracker.example/browse?page=3", contentType: "text/html",
			charset: "utf-8", next: "",
			links: []wantLink{
				{LinkMagnet, "00112233", "00112233445566778899aabbccddeeff00112233", "Quarterly Report Q1 (fake)", 820 * kib},
			},
		},
		{
			file: "cards.html", base: "https://index.example/index", contentType: "",
			charset: "utf-8", next: "https://index.example/index?page=2",
			links: []wantLink{
				{LinkTorrent, "https://files.example.net/t/falcon.torrent", "", "Project Falcon Budget.xlsx", 12*mib + mib/2},
				{LinkMagnet, "aaaa", strings.Repeat("a", 40), "Vendor Contracts 2022", 700 * mib},
				{LinkMagnet, "bbbb", strings.Repeat("b", 40), "Internal Memo 17", gib + gib/2},
				{LinkTorrent, "https://index.example/t/staff.torrent", "", "Staff Directory", 900 * kib},
				{LinkMagnet, "cccc", strings.Repeat("c", 40), "Pasted Document.pdf", 2048},
			},
		},
		{
			// Shift_JIS declared only in <meta http-equiv>.
			file: "bbs_sjis.html", base: "http://bbs.example/test/read/4.html", contentType: "text/html",
			charset: "shift_jis", next: "http://bbs.example/test/read/5.html",
			links: []wantLink{
				{LinkMagnet, "abcdefabcdef", "abcdefabcdefabcdefabcdefabcdefabcdefabcd", "議事録まとめ", 2*gib + gib/2},
				{LinkED2K, "ed2k://|file|%E7%A4%BE", "", "社内資料_テスト.xlsx", 1288490},
				{LinkED2K, "ed2k://|file|顧客名簿_架空.csv|734003200|", "", "顧客名簿_架空.csv", 734003200},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			pr, err := ExtractPage(mustURL(t, tt.base), readFixture(t, tt.file), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if pr.Charset != tt.charset {
				t.Errorf("charset %q, want %q", pr.Charset, tt.charset)
			}
			gotNext := ""
			if pr.Next != nil {
				gotNext = pr.Next.String()
			}
			if gotNext != tt.next {
				t.Errorf("next %q, want %q", gotNext, tt.next)
			}
			checkLinks(t, pr.Links, tt.links)
		})
	}
}

func TestExtractPageProfile(t *testing.T) {
	ps, err := LoadProfiles("testdata/profiles.json")
	if err != nil {
		t.Fatal(err)
	}
	base := mustURL(t, "https://www.odd.example:8443/list")
	p := ps.Match(base.Host)
	if p == nil || p.ID != "oddsite" {
		t.Fatalf("profile for %s: %v", base.Host, p)
	}
	if ps.Match("odd.example.evil") != nil || ps.Match("notodd.example") != nil {
		t.Fatal("profile matched a foreign host")
	}
	body := readFixture(t, "odd.html")
	pr, err := ExtractPageProfile(base, body, "text/html", p)
	if err != nil {
		t.Fatal(err)
	}
	checkLinks(t, pr.Links, []wantLink{
		{LinkMagnet, "1111", strings.Repeat("1", 40), "Odd Leak One", 3 * gib},
		{LinkMagnet, "2222", strings.Repeat("2", 40), "Odd Leak Two", 20 * mib},
	})
	if pr.Next == nil || pr.Next.String() != "https://www.odd.example:8443/list/after/2" {
		t.Errorf("next %v", pr.Next)
	}
	// Without the profile the generic extractor also reports the advert
	// link and has no next page: the profile is what makes the difference.
	gen, err := ExtractPage(base, body, "text/html")
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Links) != 3 || gen.Next != nil {
		t.Errorf("generic: %d links, next %v; want 3 and none", len(gen.Links), gen.Next)
	}
}

func TestParseProfilesErrors(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"bad selector", `{"profiles":[{"id":"x","hosts":["a.example"],"row":"div[[["}]}`, "row selector"},
		{"no row", `{"profiles":[{"id":"x","hosts":["a.example"]}]}`, "no row selector"},
		{"no hosts", `{"profiles":[{"id":"x","row":"tr"}]}`, "no hosts"},
		{"unknown field", `{"profiles":[{"id":"x","hosts":["a.example"],"row":"tr","rows":"x"}]}`, "unknown field"},
		{"bad host", `{"profiles":[{"id":"x","hosts":["http://a.example/"],"row":"tr"}]}`, "bad host"},
		{"null", `{"profiles":[null]}`, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProfiles([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExtractPageCharsets(t *testing.T) {
	const page = `<html><head><title>スレ</title></head><body><ul>
<li>ひらがなの資料（テスト） ３５０ＭＢ <a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">ダウンロード</a></li>
</ul></body></html>`
	long := strings.Replace(page, "<head>", "<head><script>"+strings.Repeat("/* padding */", 200)+"</script><meta charset=\"euc-jp\">", 1)
	tests := []struct {
		name, contentType, charset string
		body                       []byte
	}{
		{"euc-jp undeclared", "text/html", "euc-jp", encode(t, japanese.EUCJP, page)},
		{"shift_jis undeclared", "", "shift_jis", encode(t, japanese.ShiftJIS, page)},
		{"shift_jis in header", "text/html; charset=Shift_JIS", "shift_jis", encode(t, japanese.ShiftJIS, page)},
		{"euc-jp meta after 1024 bytes", "text/html", "euc-jp", encode(t, japanese.EUCJP, long)},
		{"utf-8 undeclared", "text/html", "utf-8", []byte(page)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, err := ExtractPage(mustURL(t, "http://bbs.example/"), tt.body, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if pr.Charset != tt.charset {
				t.Errorf("charset %q, want %q", pr.Charset, tt.charset)
			}
			checkLinks(t, pr.Links, []wantLink{{LinkMagnet, "1234", "1234567890123456789012345678901234567890", "ひらがなの資料（テスト）", 350 * mib}})
		})
	}
}

func TestFindNext(t *testing.T) {
	tests := []struct {
		name, base, body, want string
	}{
		{"link rel next", "https://a.example/l", `<head><link rel="next" href="/l/2"></head>`, "https://a.example/l/2"},
		{"a rel next", "https://a.example/l", `<a rel="nofollow next" href="?p=2">›</a>`, "https://a.example/l?p=2"},
		{"word next", "https://a.example/l", `<a href="/l?page=2">Next page »</a>`, "https://a.example/l?page=2"},
		{"japanese", "https://a.example/l", `<a href="/l/0">前へ</a><a href="/l/2">次へ</a>`, "https://a.example/l/2"},
		{"class next", "https://a.example/l", `<a class="pager-next" href="/l/2"><img alt=""></a>`, "https://a.example/l/2"},
		{"number after current", "https://a.example/l?page=3", `<a href="?page=2">2</a><a href="?page=4">4</a>`, "https://a.example/l?page=4"},
		{"number after marked current", "https://a.example/l", `<span class="current">7</span><a href="/l/8">8</a><a href="/l/2">2</a>`, "https://a.example/l/8"},
		{"path page", "https://a.example/page/2/", `<a href="/page/1/">1</a><a href="/page/3/">3</a>`, "https://a.example/page/3/"},
		{"arrow last", "https://a.example/l", `<a href="/l/2">»</a>`, "https://a.example/l/2"},
		{"number beats arrow", "https://a.example/l", `<a href="/l/last">»</a><a href="/l/2">2</a>`, "https://a.example/l/2"},
		{"other host ignored", "https://a.example/l", `<a href="https://b.example/l/2">Next</a>`, ""},
		{"self ignored", "https://a.example/l", `<a href="/l#top">Next</a>`, ""},
		{"javascript ignored", "https://a.example/l", `<a href="javascript:next()">Next</a>`, ""},
		{"none", "https://a.example/l", `<a href="/about">About</a>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, err := ExtractPage(mustURL(t, tt.base), []byte(tt.body), "text/html")
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if pr.Next != nil {
				got = pr.Next.String()
			}
			if got != tt.want {
				t.Errorf("next %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFindSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1.2 GB", 1288490189, true},
		{"350 MiB", 350 * mib, true},
		{"1,234,567 bytes", 1234567, true},
		{"Size: 4.7GiB, 3 files", 5046586573, true},
		{"１．２ＧＢ", 1288490189, true},
		{"700メガバイト", 700 * mib, true},
		{"サイズ：1.5GB", gib + gib/2, true},
		{"1,5 GB", gib + gib/2, true},
		{"820 KB", 820 * kib, true},
		{"512 B", 512, true},
		{"x264 1080p", 0, false},
		{"Season 2", 0, false},
		{"version2.1GBX", 0, false},
		{"99999999999999999 EB", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := FindSize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("FindSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLinkParsing(t *testing.T) {
	tests := []struct {
		kind LinkKind
		link string
		ih   string
		name string
		size int64
	}{
		{LinkMagnet, "magnet:?xt=urn:btmh:1220aa&xt=urn:btih:CERDGRCVMZ3YRGIACERDGRCVMZ3YRGIA&dn=A%20b&xl=99", "1122334455667788990011223344556677889900", "A b", 99},
		{LinkMagnet, "magnet:?xt=urn:btih:xyz", "", "", 0},
		{LinkED2K, "ed2k://|file|a%20b.pdf|10|0123456789abcdef0123456789abcdef|/", "", "a b.pdf", 10},
		{LinkED2K, "ed2k://|file|x|10|0123|/", "", "", 0},
		{LinkED2K, "ed2k://|server|1.2.3.4|4661|/", "", "", 0},
		{LinkED2K, "ed2k://|file|x|-1|0123456789abcdef0123456789abcdef|/", "", "", 0},
	}
	for _, tt := range tests {
		l := newLink(tt.kind, tt.link)
		if l.InfoHash.String() != tt.ih || l.Name != tt.name || l.Size != tt.size {
			t.Errorf("newLink(%q) = %q %q %d, want %q %q %d", tt.link, l.InfoHash, l.Name, l.Size, tt.ih, tt.name, tt.size)
		}
	}
}

func TestExtractPageHostile(t *testing.T) {
	base := mustURL(t, "https://a.example/")
	deep := strings.Repeat("<div>", 100000) + `<a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">x</a>` + strings.Repeat("</div>", 100000)
	many := strings.Repeat(`<a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">m</a>`, 20000)
	var distinct strings.Builder
	for i := range MaxExtractLinks + 10 {
		distinct.WriteString(`<a href="/t/` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `.torrent?i=`)
		distinct.WriteString(strings.Repeat("1", 1+i%3) + string(rune('0'+i%10)))
		distinct.WriteString(`&n=` + itoa(i) + `">t</a>`)
	}
	tests := []struct {
		name      string
		body      string
		links     int
		truncated bool
	}{
		{"same link many times", many, 1, false},
		{"too many links", distinct.String(), MaxExtractLinks, true},
		{"invalid utf-8", "<a href=\"magnet:?xt=urn:btih:1234567890123456789012345678901234567890&dn=\xff\xfe\">\xff</a>", 1, false},
		{"nul bytes", "<a href=\"ed2k://|file|a\x00b|1|0123456789abcdef0123456789abcdef|/\">\x00</a>", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, err := ExtractPage(base, []byte(tt.body), "text/html")
			if err != nil {
				t.Fatal(err)
			}
			if len(pr.Links) != tt.links || pr.Truncated != tt.truncated {
				t.Fatalf("%d links, truncated %v; want %d, %v", len(pr.Links), pr.Truncated, tt.links, tt.truncated)
			}
			for _, l := range pr.Links {
				if !utf8.ValidString(l.Name) || strings.ContainsRune(l.Name, 0) {
					t.Errorf("bad name %q", l.Name)
				}
			}
		})
	}
	// The HTML parser refuses pathological nesting: an error, not a crash.
	if _, err := ExtractPage(base, []byte(deep), "text/html"); err == nil {
		t.Error("100,000 nested elements accepted")
	}
	if _, err := ExtractPage(base, make([]byte, MaxExtractBytes+1), ""); err == nil {
		t.Error("oversized body accepted")
	}
	if _, err := ExtractPage(mustURL(t, "/relative"), nil, ""); err == nil {
		t.Error("relative base accepted")
	}
}

func itoa(i int) string {
	return strings.TrimLeft(strings.Repeat("0", 0)+string([]byte{byte('0' + i/10000%10), byte('0' + i/1000%10), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}), "")
}
