package fingerprint

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

const (
	ihHex    = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
	ihB32    = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK"
	v2Hex    = "b2c6e1e5b3cc7f0e7ed89ad9a9e7d2e6b4f2c6e1e5b3cc7f0e7ed89ad9a9e7d2"
	ed2kHex  = "31d6cfe0d16ae931b73c59d7e0c089c0"
	sha1Empt = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha1B32  = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
	tthEmpty = "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"
	aichB32  = "AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIB"
)

var (
	ihTyped = InfoHash(mustHex(ihHex))
	v2Typed = InfoHashV2(mustHex(v2Hex))
)

func mustIH(s string) InfoHash {
	ih, err := ParseInfoHash(s)
	if err != nil {
		panic(err)
	}
	return ih
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseLink(t *testing.T) {
	tests := []struct {
		in   string
		want Link // Raw and Kind are filled in by the test
		err  bool
	}{
		{in: "magnet:?xt=urn:btih:" + ihHex, want: Link{BTIH: ihTyped, Size: -1}},
		{in: "magnet:?xt=urn:btih:" + strings.ToUpper(ihHex), want: Link{BTIH: ihTyped, Size: -1}},
		{in: "magnet:?xt=urn:btih:" + ihB32 + "&dn=My+File%20(1).pdf&xl=1234", want: Link{BTIH: ihTyped, Size: 1234, Name: "My File (1).pdf"}},
		{in: "magnet:?xt=urn:btih:" + strings.ToLower(ihB32), want: Link{BTIH: ihTyped, Size: -1}},
		{in: "MAGNET:?XT=urn:BTIH:" + ihHex, want: Link{BTIH: ihTyped, Size: -1}},
		{in: "magnet:?xt=urn:btmh:1220" + v2Hex, want: Link{BTMH: v2Typed, Size: -1}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&xt=urn:btmh:1220" + v2Hex + "&tr=udp%3A%2F%2Ft.example%3A80&tr=http://t2.example/a", want: Link{BTIH: ihTyped, BTMH: v2Typed, Size: -1, Trackers: []string{"udp://t.example:80", "http://t2.example/a"}}},
		{in: "magnet:?xt.1=urn:ed2k:" + strings.ToUpper(ed2kHex) + "&xt.2=urn:sha1:" + sha1B32 + "&xt.3=urn:tree:tiger:" + tthEmpty + "&xl=0&dn=empty", want: Link{ED2K: ed2kHex, SHA1: sha1Empt, TTH: tthEmpty, Size: 0, Name: "empty"}},
		{in: "magnet:?xt=urn:tree:tiger/:" + strings.ToLower(tthEmpty), want: Link{TTH: tthEmpty, Size: -1}},
		{in: "magnet:?xt=urn:tree:tiger/1024:" + tthEmpty, want: Link{TTH: tthEmpty, Size: -1}},
		{in: "magnet:?xt=urn:bitprint:" + sha1B32 + "." + tthEmpty, want: Link{SHA1: sha1Empt, TTH: tthEmpty, Size: -1}},
		{in: "magnet:?xt=urn:sha1:" + sha1Empt, want: Link{SHA1: sha1Empt, Size: -1}},
		{in: "magnet:?xt=urn:ed2khash:" + ed2kHex, want: Link{ED2K: ed2kHex, Size: -1}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&x.pe=10.0.0.1:6881&x.pe=[::1]:51413&x.pe=bad&x.pe=h:0", want: Link{BTIH: ihTyped, Size: -1, Peers: []string{"10.0.0.1:6881", "[::1]:51413"}}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&xt=urn:btih:" + strings.Repeat("0", 40), want: Link{BTIH: ihTyped, Size: -1}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&dn=..%2F..%2Fetc%2Fpasswd", want: Link{BTIH: ihTyped, Size: -1, Name: ".._.._etc_passwd"}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&dn=a%00b%E2%80%AEfdp.exe", want: Link{BTIH: ihTyped, Size: -1, Name: `a\u0000b\u202efdp.exe`}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&xl=-5&xl=abc", want: Link{BTIH: ihTyped, Size: -1}},
		{in: "magnet:?xt=urn:btih:" + ihHex + "&tr=http://a%0Ab", want: Link{BTIH: ihTyped, Size: -1}},
		{in: "  magnet:?xt=urn:btih:" + ihHex + "\n", want: Link{BTIH: ihTyped, Size: -1}},

		{in: "ed2k://|file|My%20Doc.pdf|12345|" + strings.ToUpper(ed2kHex) + "|/", want: Link{ED2K: ed2kHex, Size: 12345, Name: "My Doc.pdf"}},
		{in: "ed2k://|file|name with space.txt|1|" + ed2kHex + "|h=" + aichB32 + "|/", want: Link{ED2K: ed2kHex, Size: 1, Name: "name with space.txt", AICH: aichB32}},
		{in: "ed2k://|file|a.bin|9728000|" + ed2kHex + "|p=aa:bb|h=" + strings.ToLower(aichB32) + "|/|sources,1.2.3.4:4662,5.6.7.8:4663|/", want: Link{ED2K: ed2kHex, Size: 9728000, Name: "a.bin", AICH: aichB32, Peers: []string{"1.2.3.4:4662", "5.6.7.8:4663"}}},
		{in: "ed2k://|file|..|1|" + ed2kHex + "|/", want: Link{ED2K: ed2kHex, Size: 1, Name: "_"}},

		{in: "magnet:?dn=nothing", err: true},
		{in: "magnet:xt=urn:btih:" + ihHex, err: true},
		{in: "magnet:?xt=urn:btih:abc", err: true},
		{in: "magnet:?xt=urn:btmh:1120" + v2Hex, err: true},
		{in: "magnet:?xt=urn:btih:" + ihHex + strings.Repeat("&tr=x", MaxLinkLen/5), err: true},
		{in: "http://example.com/", err: true},
		{in: "", err: true},
		{in: "ed2k://|server|1.2.3.4|4661|/", err: true},
		{in: "ed2k://|file|a|-1|" + ed2kHex + "|/", err: true},
		{in: "ed2k://|file|a|12|zz|/", err: true},
		{in: "ed2k://|file||12|" + ed2kHex + "|/", err: true},
		{in: "ed2k://|file|a", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 60)], func(t *testing.T) {
			got, err := ParseLink(tt.in)
			if tt.err {
				if err == nil || !errors.Is(err, ErrLink) {
					t.Fatalf("got %+v, %v; want an ErrLink", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Raw = strings.TrimSpace(tt.in)
			tt.want.Kind = KindMagnet
			if strings.HasPrefix(tt.in, "ed2k") {
				tt.want.Kind = KindED2K
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestExtractLinks(t *testing.T) {
	m1 := "magnet:?xt=urn:btih:" + ihHex + "&dn=a&tr=http://t/a"
	m2 := "magnet:?xt=urn:btih:" + strings.Repeat("1", 40)
	e1 := "ed2k://|file|Quarterly Report.pdf|12345|" + ed2kHex + "|/"
	e2 := "ed2k://|file|x.bin|5|" + ed2kHex + "|/|sources,1.2.3.4:4662|/"
	page := `<html><body>
<a href="` + strings.ReplaceAll(m1, "&", "&amp;") + `">dl</a>
<a href='https://redirect.example/?u=magnet%3A%3Fxt%3Durn%3Abtih%3A` + strings.Repeat("1", 40) + `&amp;ref=2'>x</a>
Plain text: ` + e1 + ` and again ` + m1 + `.
[md](` + m2 + `) (see ` + e2 + `)
<a href="ed2k%3A%2F%2F%7Cfile%7Cenc.bin%7C7%7C` + ed2kHex + `%7C%2F">enc</a>
magnet:?dn=broken ed2k://|file|broken
</body></html>`
	got := ExtractLinks([]byte(page))
	var raws []string
	for _, l := range got {
		raws = append(raws, l.Raw)
	}
	want := []string{m1, m2 + "&ref=2", e1, e2, "ed2k://|file|enc.bin|7|" + ed2kHex + "|/"}
	if len(got) < 2 || got[1].BTIH.String() != strings.Repeat("1", 40) {
		t.Errorf("percent-encoded magnet not decoded: %q", raws)
	}
	want[1] = got[min(1, len(got)-1)].Raw // the outer URL's trailing parameters are harmless
	if !reflect.DeepEqual(raws, want) {
		t.Errorf("got  %q\nwant %q", raws, want)
	}
	if len(got) == 5 && (got[2].Name != "Quarterly Report.pdf" || got[3].Peers[0] != "1.2.3.4:4662") {
		t.Errorf("ed2k fields: %+v %+v", got[2], got[3])
	}
}

func TestExtractLinksLimits(t *testing.T) {
	var sb strings.Builder
	for i := range MaxExtractLinks + 50 {
		fmt.Fprintf(&sb, "magnet:?xt=urn:btih:%040x\n", i)
	}
	if got := ExtractLinks([]byte(sb.String())); len(got) != MaxExtractLinks {
		t.Errorf("%d links, want the cap %d", len(got), MaxExtractLinks)
	}
	long := "magnet:?xt=urn:btih:" + ihHex + "&dn=" + strings.Repeat("a", MaxLinkLen)
	if got := ExtractLinks([]byte(long)); len(got) != 0 {
		t.Errorf("a link longer than MaxLinkLen was returned")
	}
	if got := ExtractLinks(nil); got != nil {
		t.Errorf("links in nothing: %v", got)
	}
}

func TestExtractLinksFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/links.html")
	if err != nil {
		t.Fatal(err)
	}
	got := ExtractLinks(b)
	want := []struct{ kind, btih, ed2k, name string }{
		{KindMagnet, ihHex, "", "member_db_export.sql"},
		{KindMagnet, ihHex, "", "hybrid"},
		{KindMagnet, strings.Repeat("1", 40), "", "staff roster"},
		{KindED2K, "", ed2kHex, "Quarterly Report 2026.pdf"},
		{KindED2K, "", ed2kHex, "tuition_fees_2026.csv"},
		{KindMagnet, "", ed2kHex, "empty"},
		{KindMagnet, "", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d links, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.BTIH.String() != w.btih || g.ED2K != w.ed2k || g.Name != w.name {
			t.Errorf("link %d: %+v, want %+v", i, g, w)
		}
	}
	if got[0].Size != 2406060 || got[1].BTMH.String() == "" || got[3].AICH != aichB32 || got[4].Peers[0] != "127.0.0.1:4662" ||
		got[6].SHA1 != sha1Empt || got[6].TTH != tthEmpty || got[6].Peers[0] != "127.0.0.1:6881" {
		t.Errorf("fields: %+v", got)
	}
}

func ExampleParseLink() {
	l, err := ParseLink("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=report.pdf&xl=12345")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Kind, l.BTIH, l.Name, l.Size)
	// Output: magnet c12fe1c06bba254a9dc9f519b335aa7c1367a88a report.pdf 12345
}

// TestExtractLinksHostile runs inputs built to make a naive scanner
// quadratic; a regression shows up as a test that does not finish.
func TestExtractLinksHostile(t *testing.T) {
	for _, unit := range []string{"ed2k://| ", "ed2k://|file|", "magnet:?", "eeeemmmm", "ed2k%3a%2f%2f%7c ", "&amp;"} {
		in := []byte(strings.Repeat(unit, (4<<20)/len(unit)+1))
		if got := ExtractLinks(in); len(got) != 0 {
			t.Errorf("%q: %d links", unit, len(got))
		}
	}
}
