package fingerprint

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/internal/interop"
)

// testEntry fingerprints a file with a test-only implementation of the
// fields the matcher uses (size, SHA-1, SHA-256, BEP 52 pieces root).
func testEntry(t testing.TB, path, name string) Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s1, s256 := sha1.Sum(b), sha256.Sum256(b)
	return Entry{Name: name, Fingerprint: Fingerprint{
		Path: path, Size: int64(len(b)),
		SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:]),
		BTv2Root: testV2Root(b),
	}}
}

// testV2Root is BEP 52's pieces root: SHA-256 of 16 KiB blocks, a merkle
// tree padded with zero hashes to a power of two.
func testV2Root(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var level [][32]byte
	for i := 0; i < len(b); i += 16 << 10 {
		level = append(level, sha256.Sum256(b[i:min(i+16<<10, len(b))]))
	}
	for len(level)&(len(level)-1) != 0 {
		level = append(level, [32]byte{})
	}
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			next = append(next, sha256.Sum256(append(level[i][:], level[i+1][:]...)))
		}
		level = next
	}
	return hex.EncodeToString(level[0][:])
}

// openFiles serves catalogued copies from paths, keyed by SHA-256.
func openFiles(entries []Entry) func(string) (ReadAtCloser, error) {
	m := make(map[string]string)
	for _, e := range entries {
		m[e.SHA256] = e.Path
	}
	return func(sum string) (ReadAtCloser, error) {
		p, ok := m[sum]
		if !ok {
			return nil, fmt.Errorf("no document %s", sum)
		}
		return os.Open(p)
	}
}

// writeRandom writes n deterministic pseudo-random bytes.
func writeRandom(t testing.TB, path string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1}))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// testDoc is a document of the creator tests.
type testDoc struct {
	name string
	path string
}

// makeDocs writes deterministic documents of awkward sizes, plus the
// synthetic leaks of the repository's testdata when present.
func makeDocs(t *testing.T, dir string) []testDoc {
	sizes := []int{1, 1000, 16 << 10, 100_000, 1<<20 + 7, 5<<20 + 123}
	var docs []testDoc
	for i, n := range sizes {
		name := fmt.Sprintf("doc-%d.bin", n)
		p := filepath.Join(dir, "docs", name)
		writeRandom(t, p, n, uint64(i+1))
		docs = append(docs, testDoc{name, p})
	}
	leaks, _ := filepath.Glob("../testdata/leaks/*")
	if len(leaks) == 0 {
		t.Log("../testdata/leaks is empty or absent: using generated documents only")
	}
	for _, l := range leaks {
		p := filepath.Join(dir, "docs", filepath.Base(l))
		copyFile(t, l, p)
		docs = append(docs, testDoc{filepath.Base(l), p})
	}
	return docs
}

// layout places a document for a torrent: alone, in the middle of odd-sized
// files (so it starts mid-piece), or last after them. It returns the path to
// give the creator.
func layout(t *testing.T, dir string, d testDoc, kind string, seed uint64) string {
	switch kind {
	case "single":
		return d.path
	case "middle", "last":
		root := filepath.Join(dir, "multi-"+kind+"-"+d.name)
		writeRandom(t, filepath.Join(root, "a-odd.bin"), 12_345, seed)
		writeRandom(t, filepath.Join(root, "b-odd.bin"), 777, seed+1)
		copyFile(t, d.path, filepath.Join(root, "c-"+d.name))
		if kind == "middle" {
			writeRandom(t, filepath.Join(root, "d-after.bin"), 33_333, seed+2)
		}
		return root
	}
	t.Fatalf("unknown layout %s", kind)
	return ""
}

type creatorCase struct {
	doc       testDoc
	layout    string
	mode      string
	pieceSize int
	torrent   string
	v1, v2    string // infohashes the creator computed
}

// wantProven says, independently of the matcher, whether the document at
// file fi can be proven from v1 pieces: some piece lies wholly inside it, or
// the piece holding its end is completed by the torrent's end or by pad
// files.
func wantProven(tor *Torrent, fi int) bool {
	f := tor.Files[fi]
	P, T := tor.PieceLength, tor.TotalLength
	for i := int64(0); i*P < T; i++ {
		start, end := i*P, min((i+1)*P, T)
		if start < f.Offset || start >= f.Offset+f.Length {
			continue
		}
		if end <= f.Offset+f.Length {
			return true
		}
		// Bytes after the file up to end must all be pad files.
		pos := f.Offset + f.Length
		for j := fi + 1; j < len(tor.Files) && pos < end; j++ {
			if !tor.Files[j].Pad && tor.Files[j].Length > 0 {
				return false
			}
			pos += tor.Files[j].Length
		}
		return pos >= end
	}
	return false
}

// fileOf finds the torrent file that holds document name.
func fileOf(t *testing.T, tor *Torrent, name string) int {
	t.Helper()
	for i, f := range tor.Files {
		if strings.HasSuffix(f.Path, name) && !f.Pad {
			return i
		}
	}
	t.Fatalf("%s not found in torrent %s", name, tor.Name)
	return -1
}

func TestLibtorrentCreatedTorrents(t *testing.T) {
	interop.NeedLibtorrent(t)
	dir := t.TempDir()
	docs := makeDocs(t, dir)
	var cases []creatorCase
	var jobs []interop.CreateJob
	for di, d := range docs {
		for li, lay := range []string{"single", "middle", "last"} {
			src := layout(t, dir, d, lay, uint64(100+10*di+li))
			for _, mode := range []string{"v1", "v2", "hybrid"} {
				for _, ps := range []int{16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
					out := filepath.Join(dir, "torrents", fmt.Sprintf("%s-%s-%s-%d.torrent", d.name, lay, mode, ps))
					cases = append(cases, creatorCase{doc: d, layout: lay, mode: mode, pieceSize: ps, torrent: out})
					jobs = append(jobs, interop.CreateJob{Path: src, Out: out, PieceSize: ps, Mode: mode})
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "torrents"), 0o755); err != nil {
		t.Fatal(err)
	}
	made := interop.CreateTorrents(t, jobs)
	for i := range cases {
		cases[i].v1, cases[i].v2 = made[i].V1, made[i].V2
	}

	var entries []Entry
	for _, d := range docs {
		entries = append(entries, testEntry(t, d.path, d.name))
	}
	full := NewIndex(entries, openFiles(entries))
	// Without pieces roots, hybrid torrents must be proven from v1 pieces
	// through their pad files.
	noRoots := make([]Entry, len(entries))
	for i, e := range entries {
		e.BTv2Root = ""
		noRoots[i] = e
	}
	v1Only := NewIndex(noRoots, openFiles(noRoots))
	midPiece, padTail := 0, 0
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s/%s/%d", c.doc.name, c.layout, c.mode, c.pieceSize)
		b, err := os.ReadFile(c.torrent)
		if err != nil {
			t.Fatal(err)
		}
		tor, err := ParseTorrentFile(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if tor.InfoHash.String() != c.v1 && !(c.mode == "v2" && tor.InfoHash.String() == c.v2[:40]) || tor.InfoHashV2.String() != c.v2 {
			t.Errorf("%s: infohashes %s %s, libtorrent %s %s", name, tor.InfoHash, tor.InfoHashV2, c.v1, c.v2)
		}
		fi := fileOf(t, tor, c.doc.name)
		if tor.Files[fi].Offset%tor.PieceLength != 0 && c.mode == "v1" {
			midPiece++
		}
		check := func(ix *Index, wantMethod string, wantLead bool) {
			t.Helper()
			ms, err := ix.MatchTorrent(tor)
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			var got []Match
			for _, m := range ms {
				if m.Document == entries[indexOfDoc(docs, c.doc)].SHA256 {
					got = append(got, m)
				}
			}
			if len(got) != 1 {
				t.Errorf("%s: %d matches for the document, want 1: %+v", name, len(got), ms)
				return
			}
			m := got[0]
			switch {
			case wantLead && (m.Verdict != VerdictLead || m.Method != MethodNameSize):
				t.Errorf("%s: %+v, want a name-size lead", name, m)
			case !wantLead && (m.Verdict != VerdictProven || m.Method != wantMethod || m.PiecesChecked == 0 || m.PiecesChecked != m.PiecesMatched):
				t.Errorf("%s: %+v, want proven by %s", name, m, wantMethod)
			case m.File != tor.Files[fi].Path || m.InfoHash != tor.InfoHash:
				t.Errorf("%s: match names file %q infohash %s", name, m.File, m.InfoHash)
			case m.FileIndex != fi || m.FileOffset != tor.Files[fi].Offset || m.FileLength != tor.Files[fi].Length:
				t.Errorf("%s: match names file %d at %d+%d, want %d at %d+%d", name, m.FileIndex, m.FileOffset, m.FileLength,
					fi, tor.Files[fi].Offset, tor.Files[fi].Length)
			}
		}
		switch c.mode {
		case "v1":
			check(full, MethodV1Pieces, !wantProven(tor, fi))
		case "v2":
			check(full, MethodV2Root, false)
		case "hybrid":
			check(full, MethodHybrid, false)
			if !wantProven(tor, fi) {
				t.Errorf("%s: hybrid file not provable from v1 pieces", name)
			}
			if fi+1 < len(tor.Files) && tor.Files[fi+1].Pad {
				padTail++
			}
			check(v1Only, MethodV1Pieces, false)
		}
	}
	if midPiece == 0 || padTail == 0 {
		t.Errorf("no v1 case with a document starting mid-piece (%d) or followed by a pad file (%d)", midPiece, padTail)
	}
	t.Logf("%d libtorrent torrents checked; %d v1 with the document mid-piece, %d with a pad file after it", len(cases), midPiece, padTail)
}

func indexOfDoc(docs []testDoc, d testDoc) int {
	for i, x := range docs {
		if x == d {
			return i
		}
	}
	return -1
}

// mktorrent runs mktorrent on src with pieces of 2^exp bytes.
func mktorrent(t *testing.T, src, out string, exp int) {
	t.Helper()
	cmd := exec.Command("mktorrent", "-l", fmt.Sprint(exp), "-a", "http://127.0.0.1:1/announce", "-o", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mktorrent: %v\n%s", err, b)
	}
}

func TestMktorrentCreatedTorrents(t *testing.T) {
	interop.Need(t, "mktorrent")
	dir := t.TempDir()
	docs := makeDocs(t, dir)
	var entries []Entry
	for _, d := range docs {
		entries = append(entries, testEntry(t, d.path, d.name))
	}
	ix := NewIndex(entries, openFiles(entries))
	n, leads := 0, 0
	for di, d := range docs {
		for li, lay := range []string{"single", "middle", "last"} {
			src := layout(t, dir, d, lay, uint64(200+10*di+li))
			for _, exp := range []int{15, 16, 18, 20, 22} {
				name := fmt.Sprintf("%s/%s/%d", d.name, lay, 1<<exp)
				out := filepath.Join(dir, fmt.Sprintf("mk-%d-%d-%d.torrent", di, li, exp))
				mktorrent(t, src, out, exp)
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				tor, err := ParseTorrentFile(b)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				// anacrolix computes the infohash independently.
				mi, err := metainfo.LoadFromFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if ih := mi.HashInfoBytes().HexString(); tor.InfoHash.String() != ih {
					t.Errorf("%s: infohash %s, anacrolix %s", name, tor.InfoHash, ih)
				}
				fi := fileOf(t, tor, d.name)
				ms, err := ix.MatchTorrent(tor)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				want, wantMethod := VerdictProven, MethodV1Pieces
				if !wantProven(tor, fi) {
					want, wantMethod = VerdictLead, MethodNameSize
					leads++
				}
				found := false
				for _, m := range ms {
					if m.Document != entries[di].SHA256 {
						continue
					}
					found = true
					if m.Verdict != want || m.Method != wantMethod || m.PiecesChecked != m.PiecesMatched {
						t.Errorf("%s: %+v, want %s by %s", name, m, want, wantMethod)
					}
				}
				if !found {
					t.Errorf("%s: document not found: %+v", name, ms)
				}
				n++
			}
		}
	}
	if leads == 0 || leads == n {
		t.Errorf("%d leads among %d torrents: the cases do not cover both verdicts", leads, n)
	}
	t.Logf("%d mktorrent torrents checked, %d only leads (document too small for a whole piece)", n, leads)
}

// TestDecoys checks that a same-name, same-size file with other bytes is
// never proven, and that the same bytes under another name are.
func TestDecoys(t *testing.T) {
	interop.NeedLibtorrent(t)
	dir := t.TempDir()
	sizes := []int{1000, 100_000, 1<<20 + 7}
	var entries []Entry
	type decoyCase struct {
		src    string // file or directory for the creator
		name   string // file name inside
		doc    int    // entry index
		proven bool   // same bytes
	}
	var cs []decoyCase
	for i, n := range sizes {
		name := fmt.Sprintf("report-%d.pdf", n)
		orig := filepath.Join(dir, "docs", name)
		writeRandom(t, orig, n, uint64(i+50))
		entries = append(entries, testEntry(t, orig, name))
		decoy := filepath.Join(dir, "decoy", name)
		writeRandom(t, decoy, n, uint64(i+500))
		renamed := filepath.Join(dir, fmt.Sprintf("renamed-%d", i), "totally-different.dat")
		copyFile(t, orig, renamed)
		cs = append(cs, decoyCase{decoy, name, i, false}, decoyCase{renamed, "totally-different.dat", i, true})
		// The decoy after odd-sized files, too.
		multi := filepath.Join(dir, fmt.Sprintf("multi-decoy-%d", i))
		writeRandom(t, filepath.Join(multi, "a.bin"), 4321, uint64(i+900))
		copyFile(t, decoy, filepath.Join(multi, "b-"+name))
		cs = append(cs, decoyCase{multi, "b-" + name, i, false})
	}
	ix := NewIndex(entries, openFiles(entries))
	var jobs []interop.CreateJob
	type run struct {
		c    decoyCase
		mode string
		out  string
	}
	var runs []run
	for ci, c := range cs {
		for _, mode := range []string{"v1", "v2", "hybrid", "mktorrent"} {
			for _, ps := range []int{16 << 10, 256 << 10} {
				out := filepath.Join(dir, fmt.Sprintf("decoy-%d-%s-%d.torrent", ci, mode, ps))
				runs = append(runs, run{c, mode, out})
				if mode == "mktorrent" {
					if why := interop.Missing("mktorrent"); why != "" {
						t.Logf("its decoy cases are skipped: %s", why)
						runs = runs[:len(runs)-1]
						continue
					}
					exp := 14
					for 1<<exp < ps {
						exp++
					}
					mktorrent(t, c.src, out, max(exp, 15))
					continue
				}
				jobs = append(jobs, interop.CreateJob{Path: c.src, Out: out, PieceSize: ps, Mode: mode})
			}
		}
	}
	interop.CreateTorrents(t, jobs)
	for _, r := range runs {
		name := filepath.Base(r.out) + " " + r.c.name
		b, err := os.ReadFile(r.out)
		if err != nil {
			t.Fatal(err)
		}
		tor, err := ParseTorrentFile(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ms, err := ix.MatchTorrent(tor)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		var got []Match
		for _, m := range ms {
			if m.Document == entries[r.c.doc].SHA256 {
				got = append(got, m)
			}
		}
		fi := fileOf(t, tor, r.c.name)
		switch {
		case r.c.proven && (len(got) != 1 || got[0].Verdict != VerdictProven):
			t.Errorf("%s: renamed copy: %+v, want proven", name, got)
		case !r.c.proven && len(got) > 0 && (got[0].Verdict != VerdictLead || wantProven(tor, fi) || tor.Version != V1):
			t.Errorf("%s: decoy: %+v, want no match (a lead only when no piece can be compared)", name, got)
		}
	}
	t.Logf("%d decoy and renamed torrents checked", len(runs))
}

// anacrolixTorrent builds a v1 torrent of path with anacrolix's metainfo, a
// creator that needs no external tool.
func anacrolixTorrent(t testing.TB, path string, pieceLen int64) *Torrent {
	t.Helper()
	info := metainfo.Info{PieceLength: pieceLen}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	b, err := bencode.Marshal(metainfo.MetaInfo{InfoBytes: bencode.MustMarshal(info)})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := ParseTorrentFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return tor
}

func TestMatchTorrentCacheAndErrors(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "d", "doc.bin")
	writeRandom(t, doc, 300_000, 7)
	writeRandom(t, filepath.Join(dir, "d", "a-first.bin"), 5_000, 8)
	e := testEntry(t, doc, "doc.bin")
	e.BTv2Root = ""
	tor := anacrolixTorrent(t, filepath.Join(dir, "d"), 32<<10)

	var mu sync.Mutex
	opens, fail := 0, false
	open := func(sum string) (ReadAtCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		if fail {
			return nil, fmt.Errorf("copy of %s is gone", sum)
		}
		return os.Open(doc)
	}
	ix := NewIndex([]Entry{e, e}, open)
	if ix.Len() != 1 {
		t.Errorf("Len %d after a duplicate entry, want 1", ix.Len())
	}
	ms, err := ix.MatchTorrent(tor)
	if err != nil || len(ms) != 1 || ms[0].Verdict != VerdictProven || ms[0].PiecesChecked != 9 {
		t.Fatalf("first match: %+v, %v", ms, err)
	}
	// The document starts at 5000 in 32 KiB pieces: pieces 1..8 lie wholly
	// inside it, and the short piece 9 ends the torrent inside it.
	mu.Lock()
	fail = true
	mu.Unlock()
	ms2, err := ix.MatchTorrent(tor)
	if err != nil || fmt.Sprint(ms2) != fmt.Sprint(ms) || opens != 1 {
		t.Errorf("second match was not served from the cache: %+v, %v, %d opens", ms2, err, opens)
	}

	// A fresh index whose copy cannot be opened reports the error.
	ix2 := NewIndex([]Entry{e}, open)
	if ms, err := ix2.MatchTorrent(tor); err == nil || len(ms) != 0 {
		t.Errorf("unreadable copy: %+v, %v", ms, err)
	}
	// A truncated copy is an error, not a mismatch.
	short := filepath.Join(dir, "short.bin")
	writeRandom(t, short, 1000, 7)
	ix3 := NewIndex([]Entry{e}, func(string) (ReadAtCloser, error) { return os.Open(short) })
	if ms, err := ix3.MatchTorrent(tor); err == nil || len(ms) != 0 {
		t.Errorf("truncated copy: %+v, %v", ms, err)
	}
	// Without an open function the size hit is only a lead.
	ix4 := NewIndex([]Entry{e}, nil)
	if ms, err := ix4.MatchTorrent(tor); err != nil || len(ms) != 1 || ms[0].Verdict != VerdictLead {
		t.Errorf("no open: %+v, %v", ms, err)
	}
}

func TestMatchTorrentConcurrent(t *testing.T) {
	dir := t.TempDir()
	var entries []Entry
	for i := range 4 {
		p := filepath.Join(dir, "d", fmt.Sprintf("f%d.bin", i))
		writeRandom(t, p, 50_000+i*9_999, uint64(i))
		entries = append(entries, testEntry(t, p, filepath.Base(p)))
	}
	tor := anacrolixTorrent(t, filepath.Join(dir, "d"), 16<<10)
	ix := NewIndex(entries, openFiles(entries))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Go(func() {
			for range 5 {
				ms, err := ix.MatchTorrent(tor)
				proven := 0
				for _, m := range ms {
					if m.Verdict == VerdictProven {
						proven++
					}
				}
				if err != nil || proven != 4 {
					errs <- fmt.Errorf("%d proven, %v", proven, err)
					return
				}
				ix.AddProven(ms...)
				_ = ix.MatchLink(Link{BTIH: tor.InfoHash, Size: -1})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestMatchLink(t *testing.T) {
	doc := Entry{Name: "Quarterly Report 2026.pdf", Fingerprint: Fingerprint{
		Size: 12345, SHA256: "aa", SHA1: sha1Empt, ED2K: "00112233445566778899aabbccddeeff",
		ED2KAlt: ed2kHex, TTH: tthEmpty,
	}}
	other := Entry{Name: "holiday.jpg", Fingerprint: Fingerprint{Size: 12345, SHA256: "bb", ED2K: "ffeeddccbbaa99887766554433221100"}}
	ix := NewIndex([]Entry{doc, other}, nil)
	ix.AddProven(Match{InfoHash: mustIH(strings.ToUpper(ihHex)), Document: "aa", DocumentName: doc.Name, File: "q.pdf", Method: MethodV1Pieces, Verdict: VerdictProven},
		Match{InfoHash: mustIH(strings.Repeat("2", 40)), Document: "aa", Method: MethodNameSize, Verdict: VerdictLead},
		// Proven by link hashes only: they prove nothing about the infohash.
		Match{InfoHash: mustIH(strings.Repeat("4", 40)), Document: "aa", Method: MethodSHA1, Verdict: VerdictProven},
		Match{InfoHash: mustIH(strings.Repeat("5", 40)), Document: "aa", Method: MethodBTIH, Verdict: VerdictProven},
		Match{InfoHash: mustIH(strings.Repeat("6", 40)), Document: "aa", Method: MethodV2Root, Verdict: VerdictInconsistent})
	type res struct{ doc, method, verdict string }
	tests := []struct {
		name string
		link string
		want []res
	}{
		{"ed2k main", "ed2k://|file|x|12345|00112233445566778899AABBCCDDEEFF|/", []res{{"aa", MethodED2K, VerdictProven}}},
		{"ed2k alt", "ed2k://|file|x|12345|" + ed2kHex + "|/", []res{{"aa", MethodED2K, VerdictProven}}},
		{"ed2k wrong size", "ed2k://|file|x|12346|" + ed2kHex + "|/", nil},
		{"sha1", "magnet:?xt=urn:sha1:" + sha1B32, []res{{"aa", MethodSHA1, VerdictProven}}},
		{"tth and sha1 once", "magnet:?xt=urn:bitprint:" + sha1B32 + "." + tthEmpty + "&xl=12345", []res{{"aa", MethodSHA1, VerdictProven}}},
		{"tth", "magnet:?xt=urn:tree:tiger:" + tthEmpty, []res{{"aa", MethodTTH, VerdictProven}}},
		{"known btih", "magnet:?xt=urn:btih:" + ihB32, []res{{"aa", MethodBTIH, VerdictProven}}},
		{"lead only btih", "magnet:?xt=urn:btih:" + strings.Repeat("2", 40), nil},
		{"unknown btih", "magnet:?xt=urn:btih:" + strings.Repeat("3", 40), nil},
		{"btih beside a link hash", "magnet:?xt=urn:btih:" + strings.Repeat("3", 40) + "&xt=urn:sha1:" + sha1B32 + "&dn=leak.csv",
			[]res{{"aa", MethodSHA1, VerdictProven}}},
		{"btih proven only by a link hash", "magnet:?xt=urn:btih:" + strings.Repeat("4", 40), nil},
		{"btih proven only by a btih", "magnet:?xt=urn:btih:" + strings.Repeat("5", 40), nil},
		{"btih of an inconsistent hybrid", "magnet:?xt=urn:btih:" + strings.Repeat("6", 40), nil},
		{"name-size lead", "magnet:?xt=urn:btih:" + strings.Repeat("3", 40) + "&xl=12345&dn=quarterly_report_2026.PDF", []res{{"aa", MethodNameSize, VerdictLead}}},
		{"size without similar name", "magnet:?xt=urn:btih:" + strings.Repeat("3", 40) + "&xl=12345&dn=movie.mkv", nil},
		{"similar name other size", "magnet:?xt=urn:btih:" + strings.Repeat("3", 40) + "&xl=12346&dn=Quarterly+Report+2026.pdf", nil},
		{"contradicting ed2k", "ed2k://|file|Quarterly Report 2026.pdf|12345|" + strings.Repeat("9", 32) + "|/", nil},
		{"other doc proven", "ed2k://|file|holiday.jpg|12345|FFEEDDCCBBAA99887766554433221100|/", []res{{"bb", MethodED2K, VerdictProven}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseLink(tt.link)
			if err != nil {
				t.Fatal(err)
			}
			var got []res
			for _, m := range ix.MatchLink(l) {
				got = append(got, res{m.Document, m.Method, m.Verdict})
				if m.Method != MethodBTIH && (m.InfoHash.String() != "" || m.ProvesTorrent() || m.FileIndex != -1) {
					t.Errorf("%+v: a link's own hash names an infohash", m)
				}
				if m.Method == MethodBTIH && !m.ProvesTorrent() {
					t.Errorf("%+v: a known infohash does not prove its torrent", m)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSimilarName(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Quarterly Report 2026.pdf", "quarterly_report_2026.PDF", true},
		{"member_db_export.sql", "member db export (leaked).sql", true},
		{"member_db_export.sql", "[LEAK] member_db_export", true},
		{"社員名簿.xlsx", "【流出】社員名簿.xlsx", true},
		{"staff_roster.tsv", "holiday photos.zip", false},
		{"a.txt", "b.txt", false},
		{"", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			if got := SimilarName(tt.a, tt.b); got != tt.want {
				t.Errorf("SimilarName(%q, %q) = %v", tt.a, tt.b, got)
			}
		})
	}
}

func TestAlignCacheEvicts(t *testing.T) {
	c := newAlignCache(3 * (10*20 + 128))
	for i := range int32(5) {
		c.put(alignKey{doc: i}, &alignVal{full: make([][20]byte, 10)})
	}
	if c.get(alignKey{doc: 0}) != nil || c.get(alignKey{doc: 1}) != nil || c.get(alignKey{doc: 4}) == nil {
		t.Errorf("least recently used entries were not the ones evicted")
	}
	if c.size > c.limit || c.ll.Len() != 3 {
		t.Errorf("size %d of %d, %d entries", c.size, c.limit, c.ll.Len())
	}
	c.put(alignKey{doc: 9}, &alignVal{full: make([][20]byte, 1000)})
	if c.get(alignKey{doc: 9}) != nil {
		t.Errorf("a value larger than the cache was stored")
	}
}

// benchCatalog returns n entries with sizes that are all odd numbers, so a
// torrent whose file sizes are even never hits one.
func benchCatalog(n int) []Entry {
	r := rand.New(rand.NewPCG(1, 2))
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Name: fmt.Sprintf("doc-%d.pdf", i), Fingerprint: Fingerprint{
			Size: r.Int64N(1<<30)*2 + 1, SHA256: fmt.Sprintf("%064x", i), BTv2Root: fmt.Sprintf("%064x", i+1),
		}}
	}
	return entries
}

// benchTorrentFile encodes a v1 multi-file torrent of n files of even sizes.
func benchTorrentFile(n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var files []any
	var total int64
	for i := range n {
		size := r.Int64N(1<<22) * 2
		total += size
		files = append(files, file(int(size), "dir", fmt.Sprintf("file-%d.bin", i)))
	}
	const pl = 256 << 10
	np := int((total + pl - 1) / pl)
	info := od{{"files", files}, {"name", "bench"}, {"piece length", pl}, {"pieces", strings.Repeat("x", 20*np)}}
	return benc(od{{"announce", "http://127.0.0.1:1/a"}, {"info", info}})
}

// BenchmarkMatchTorrentMiss: a 1,000-file torrent with no size hit against
// a 10,000-document catalog.
func BenchmarkMatchTorrentMiss(b *testing.B) {
	ix := NewIndex(benchCatalog(10_000), nil)
	tor, err := ParseTorrentFile(benchTorrentFile(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ms, _ := ix.MatchTorrent(tor)
		if len(ms) != 0 {
			b.Fatal("unexpected match")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tor.Files)), "ns/file")
}

// BenchmarkMatchTorrentV1Hit: a 4 MiB document starting mid-piece in a
// torrent of 64 KiB pieces; "cold" hashes the document every time, "cached"
// finds the alignment in the cache.
func BenchmarkMatchTorrentV1Hit(b *testing.B) {
	dir := b.TempDir()
	doc := filepath.Join(dir, "d", "doc.bin")
	writeRandom(b, doc, 4<<20, 1)
	writeRandom(b, filepath.Join(dir, "d", "a.bin"), 12_345, 2)
	e := testEntry(b, doc, "doc.bin")
	e.BTv2Root = ""
	entries := append(benchCatalog(10_000), e)
	tor := anacrolixTorrent(b, filepath.Join(dir, "d"), 64<<10)
	open := openFiles([]Entry{e})
	for _, mode := range []string{"cold", "cached"} {
		b.Run(mode, func(b *testing.B) {
			ix := NewIndex(entries, open)
			b.SetBytes(e.Size)
			for b.Loop() {
				if mode == "cold" {
					ix.cache = newAlignCache(alignCacheBytes)
				}
				ms, err := ix.MatchTorrent(tor)
				if err != nil || len(ms) != 1 || ms[0].Verdict != VerdictProven {
					b.Fatalf("%+v %v", ms, err)
				}
			}
		})
	}
}

// BenchmarkParseAndMatch: a whole 1,000-file .torrent parsed, then matched
// against a 10,000-document catalog; "parse" alone for comparison.
func BenchmarkParseAndMatch(b *testing.B) {
	ix := NewIndex(benchCatalog(10_000), nil)
	data := benchTorrentFile(1000)
	for _, mode := range []string{"parse", "parse+match"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				tor, err := ParseTorrentFile(data)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "parse+match" {
					if _, err := ix.MatchTorrent(tor); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
