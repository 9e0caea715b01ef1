package fingerprint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anacrolix/torrent/bencode"
)

// fuzzSeedTorrents returns the torrents of testdata and, when present, of
// the libtorrent corpus.
func fuzzSeedTorrents(f *testing.F) [][]byte {
	var out [][]byte
	paths, _ := filepath.Glob("testdata/*.torrent")
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*.torrent"))
	if len(corpus) == 0 {
		f.Logf("libtorrent corpus not found at %s: seeding from testdata only", corpusDir)
	}
	for _, p := range append(paths, corpus...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func fuzzSeedLinks(f *testing.F) []string {
	b, err := os.ReadFile("testdata/links.html")
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, l := range ExtractLinks(b) {
		out = append(out, l.Raw)
	}
	return out
}

// checkLink checks the invariants of a parsed link.
func checkLink(t *testing.T, l Link) {
	t.Helper()
	hexOK := func(s string, n int) bool {
		return s == "" || (len(s) == n && strings.Trim(s, "0123456789abcdef") == "")
	}
	switch {
	case l.Kind != KindMagnet && l.Kind != KindED2K:
		t.Fatalf("kind %q", l.Kind)
	case len(l.Raw) > MaxLinkLen:
		t.Fatalf("raw of %d bytes", len(l.Raw))
	case !hexOK(l.BTIH.String(), 40) || !hexOK(l.BTMH.String(), 64) || !hexOK(l.ED2K, 32) || !hexOK(l.SHA1, 40):
		t.Fatalf("hash not normalized: %+v", l)
	case l.TTH != "" && len(l.TTH) != 39, l.AICH != "" && len(l.AICH) != 32:
		t.Fatalf("base32 hash length: %+v", l)
	case l.Size < -1 || l.Size > MaxTorrentLength:
		t.Fatalf("size %d", l.Size)
	case len(l.Trackers) > MaxTrackers || len(l.Peers) > MaxLinkPeers:
		t.Fatalf("too many trackers or peers")
	case !utf8.ValidString(l.Name) || strings.ContainsAny(l.Name, "/\x00\n"):
		t.Fatalf("unsafe name %q", l.Name)
	}
}

func FuzzParseLink(f *testing.F) {
	for _, s := range fuzzSeedLinks(f) {
		if strings.HasPrefix(s, "magnet:") {
			f.Add(s)
		}
	}
	f.Add("magnet:?xt=urn:btih:" + ihHex + "&xt.1=urn:tree:tiger/:" + tthEmpty + "&dn=a%2Fb&xl=5&x.pe=[::1]:1")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			return
		}
		checkLink(t, l)
		again, err := ParseLink(l.Raw)
		if err != nil || again.BTIH != l.BTIH || again.Size != l.Size || again.Name != l.Name {
			t.Fatalf("reparse differs: %+v vs %+v (%v)", again, l, err)
		}
	})
}

func FuzzParseED2K(f *testing.F) {
	for _, s := range fuzzSeedLinks(f) {
		if strings.HasPrefix(s, "ed2k:") {
			f.Add(s)
		}
	}
	f.Add("ed2k://|file|a%20b|0|" + ed2kHex + "|p=1:2|h=" + aichB32 + "|s=http://x|/|sources,1.2.3.4:1,bad|/")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			return
		}
		checkLink(t, l)
		if l.Kind == KindED2K && (l.ED2K == "" || l.Size < 0 || l.Name == "") {
			t.Fatalf("ed2k link without hash, size or name: %+v", l)
		}
	})
}

func FuzzCheckBencode(f *testing.F) {
	for _, b := range fuzzSeedTorrents(f) {
		f.Add(b)
	}
	for _, s := range []string{"i1e", "d1:ai-1ee", "lli0eee", "di1ei2ee", "d1:ae", "0:", "l" + strings.Repeat("l", 40)} {
		f.Add([]byte(s))
	}
	// Integers of up to 18 digits always fit anacrolix's int64 decoding.
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 100, MaxTokens: 100_000, MaxIntLen: 18}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := CheckBencode(b, lim); err != nil {
			return
		}
		// anacrolix rejects unsorted dictionary keys, which CheckBencode
		// allows on purpose (many torrents have them); nothing else may
		// differ.
		var v any
		if err := bencode.Unmarshal(b, &v); err != nil && !strings.Contains(err.Error(), "dict keys unsorted") {
			t.Fatalf("CheckBencode accepted what anacrolix rejects: %v", err)
		}
	})
}

func FuzzParseTorrentFile(f *testing.F) {
	for _, b := range fuzzSeedTorrents(f) {
		f.Add(b)
	}
	// Names in legacy charsets under an "encoding" label.
	for _, label := range []string{"Shift_JIS", "EUC-JP", "GBK", "Big5", "ISO-2022-JP", "x-user-defined"} {
		info := v1Info([]any{file(10, "\x82\xa0\x93\xfa", "\xff\x1b$B"), file(3, "\x8e")}, 16384, 1)
		info[1].v = "\x8e\xd0\x8aO\x94\xe9\x81"
		f.Add(benc(od{{"encoding", label}, {"info", raw(benc(info))}}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tor, err := ParseTorrentFile(b)
		if err != nil {
			if tor != nil {
				t.Fatal("a torrent and an error")
			}
			return
		}
		checkSafeNames(t, tor)
		if tor.InfoHash.IsZero() || (tor.Version != V1) != !tor.InfoHashV2.IsZero() {
			t.Fatalf("infohashes %q %q for %v", tor.InfoHash, tor.InfoHashV2, tor.Version)
		}
		var off int64
		for _, fl := range tor.Files {
			if fl.Length < 0 || fl.Offset < off {
				t.Fatalf("file layout: %+v", tor.Files)
			}
			off = fl.Offset
		}
		if tor.Version != V2 && int64(len(tor.Pieces)) != (tor.TotalLength+tor.PieceLength-1)/tor.PieceLength {
			t.Fatalf("%d pieces for %d bytes", len(tor.Pieces), tor.TotalLength)
		}
		if again, err := ParseInfo(tor.InfoBytes); err == nil && again.InfoHash != tor.InfoHash {
			t.Fatalf("ParseInfo gives infohash %s, ParseTorrentFile %s", again.InfoHash, tor.InfoHash)
		}
		// Matching a hostile torrent must not fail either.
		ix := NewIndex([]Entry{{Fingerprint: Fingerprint{Size: tor.Files[0].Length, SHA256: "x"}}}, nil)
		if _, err := ix.MatchTorrent(tor); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzExtractLinks(f *testing.F) {
	b, err := os.ReadFile("testdata/links.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("magnet%3A%3Fxt%3Durn%3Abtih%3A" + ihHex + " ed2k://%7cfile%7ca%7c1%7c" + ed2kHex + "%7c%2f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		links := ExtractLinks(b)
		if len(links) > MaxExtractLinks {
			t.Fatalf("%d links", len(links))
		}
		for _, l := range links {
			checkLink(t, l)
		}
	})
}
