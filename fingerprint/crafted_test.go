package fingerprint_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// Crafted but valid torrents: each must never be reported as a proven
// match for bytes it does not describe on the side a probe checks.

type memDocs map[string][]byte // sha256 → bytes

func (m memDocs) open(sum string) (fingerprint.ReadAtCloser, error) {
	b, ok := m[sum]
	if !ok {
		return nil, fmt.Errorf("no document %s", sum)
	}
	return nopCloser{bytes.NewReader(b)}, nil
}

type nopCloser struct{ io.ReaderAt }

func (nopCloser) Close() error { return nil }

func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e37))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func catalog(t *testing.T, docs ...[]byte) (*fingerprint.Index, []fingerprint.Entry) {
	t.Helper()
	m := memDocs{}
	var entries []fingerprint.Entry
	for i, d := range docs {
		fp, err := fingerprint.Reader(bytes.NewReader(d), nil)
		if err != nil {
			t.Fatal(err)
		}
		m[fp.SHA256] = d
		entries = append(entries, fingerprint.Entry{Fingerprint: fp, Name: fmt.Sprintf("doc%d.csv", i)})
	}
	return fingerprint.NewIndex(entries, m.open), entries
}

func TestCraftedHybrids(t *testing.T) {
	const P = 16 << 10
	doc := randBytes(100_000, 1)
	other := randBytes(100_000, 2)
	ix, entries := catalog(t, doc)
	tests := []struct {
		name        string
		data, v2    []byte
		method      string
		verdict     string
		provesTorr  bool
		probeable   bool
		wantMatches int
	}{
		{"honest", doc, nil, fingerprint.MethodHybrid, fingerprint.VerdictProven, true, true, 1},
		{"v2 root of the document, v1 pieces of other bytes", other, doc, fingerprint.MethodV2Root, fingerprint.VerdictInconsistent, false, false, 1},
		{"v1 pieces of the document, v2 root of other bytes", doc, other, fingerprint.MethodV1Pieces, fingerprint.VerdictInconsistent, false, false, 1},
		{"same size, other bytes on both sides", other, nil, "", "", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ht, err := localswarm.BuildHybrid("leak", []localswarm.File{{Path: "a.bin", Data: randBytes(5000, 3)},
				{Path: "leak.csv", Data: tt.data, V2Data: tt.v2}}, P)
			if err != nil {
				t.Fatal(err)
			}
			tor, err := fingerprint.ParseInfo(ht.InfoBytes)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := ix.MatchTorrent(tor)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tt.wantMatches {
				t.Fatalf("matches %+v, want %d", ms, tt.wantMatches)
			}
			if len(ms) == 0 {
				return
			}
			m := ms[0]
			if m.Method != tt.method || m.Verdict != tt.verdict || m.ProvesTorrent() != tt.provesTorr || m.Probeable() != tt.probeable {
				t.Errorf("match %+v (proves torrent %v, probeable %v), want %s %s", m, m.ProvesTorrent(), m.Probeable(), tt.method, tt.verdict)
			}
			if m.Document != entries[0].SHA256 || tor.Files[m.FileIndex].Length != int64(len(doc)) || m.FileOffset != tor.Files[m.FileIndex].Offset {
				t.Errorf("match names file %d (%+v)", m.FileIndex, tor.Files[m.FileIndex])
			}
			// An inconsistent match never makes its infohash known.
			ix2, _ := catalog(t, doc)
			ix2.AddProven(ms...)
			l, _ := fingerprint.ParseLink("magnet:?xt=urn:btih:" + tor.InfoHash.String())
			if got := ix2.MatchLink(l); (len(got) > 0) != tt.provesTorr {
				t.Errorf("magnet of the torrent matched %+v", got)
			}
		})
	}
}

func v1Info(t *testing.T, pieceLength int, paths [][]string, data [][]byte) []byte {
	t.Helper()
	info, _, err := localswarm.BuildV1("leak", pieceLength, paths, data)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestSameNameFiles: two files display as the same path, the first holding
// other bytes; the match names the one holding the document by index.
func TestSameNameFiles(t *testing.T) {
	const P = 16 << 10
	doc := randBytes(100_000, 1)
	decoy := randBytes(100_000, 9)
	ix, _ := catalog(t, doc)
	for _, paths := range [][][]string{
		{{"leak.csv"}, {"leak.csv"}},
		{{"a/b", "leak.csv"}, {"a_b", "leak.csv"}},
		{{"a_b", "leak.csv"}, {"a", "b", "leak.csv"}},
	} {
		tor, err := fingerprint.ParseInfo(v1Info(t, P, paths, [][]byte{decoy, doc}))
		if err != nil {
			t.Fatal(err)
		}
		ms, err := ix.MatchTorrent(tor)
		if err != nil || len(ms) != 1 {
			t.Fatalf("%v: %+v, %v", paths, ms, err)
		}
		if ms[0].FileIndex != 1 || ms[0].FileOffset != int64(len(decoy)) || ms[0].FileLength != int64(len(doc)) {
			t.Errorf("%v: match names file %d at %d+%d (%q and %q display as %q and %q)", paths, ms[0].FileIndex,
				ms[0].FileOffset, ms[0].FileLength, paths[0], paths[1], tor.Files[0].Path, tor.Files[1].Path)
		}
	}
}

func TestEmptyDocumentProvesNothing(t *testing.T) {
	ix, entries := catalog(t, []byte{})
	if ix.Len() != 0 {
		t.Errorf("an empty document was indexed")
	}
	l, err := fingerprint.ParseLink("ed2k://|file|empty.csv|0|" + entries[0].ED2K + "|/")
	if err != nil {
		t.Fatal(err)
	}
	if ms := ix.MatchLink(l); len(ms) != 0 {
		t.Errorf("a 0-byte ed2k link matched: %+v", ms)
	}
}
