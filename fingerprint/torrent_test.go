package fingerprint

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const corpusDir = "../../shared/corpus/libtorrent-test-torrents"

// corpusDisagreements lists the corpus files where leakhunt's outcome
// differs from libtorrent's, with the reason. The test fails on any other
// disagreement, and on a listed one that no longer disagrees.
var corpusDisagreements = map[string]string{
	"v2_invalid_root_hash.torrent": "its piece layer does not hash to the pieces root; libtorrent drops such a layer, leakhunt rejects the file as it does v2_invalid_piece_layer_root",
	"duplicate_files2.torrent":     "duplicate paths are display-only data here, nothing is written to disk, so there is nothing to rename",
}

// checkSafeNames fails if a loaded torrent has a name or path that could
// mean anything to a file system or terminal.
func checkSafeNames(t *testing.T, tor *Torrent) {
	t.Helper()
	check := func(what, s string) {
		if !utf8.ValidString(s) {
			t.Errorf("%s %q is not valid UTF-8", what, s)
		}
		if strings.HasPrefix(s, "/") {
			t.Errorf("%s %q is absolute", what, s)
		}
		// A backslash only starts an escape (\xNN, \uNNNN, \UNNNNNNNN).
		for i := strings.IndexByte(s, '\\'); i >= 0; i = strings.IndexByte(s[i+1:], '\\') + i + 1 {
			if i+1 >= len(s) || (s[i+1] != 'x' && s[i+1] != 'u' && s[i+1] != 'U') {
				t.Errorf("%s %q has a backslash that is not an escape", what, s)
				break
			}
			if strings.IndexByte(s[i+1:], '\\') < 0 {
				break
			}
		}
		for _, c := range strings.Split(s, "/") {
			if c == "" || c == "." || c == ".." {
				t.Errorf("%s %q has component %q", what, s, c)
			}
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
				t.Errorf("%s %q has control or format character %U", what, s, r)
			}
		}
	}
	check("name", tor.Name)
	for _, f := range tor.Files {
		check("path", f.Path)
	}
}

func TestCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir, "EXPECTED.tsv"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("libtorrent test corpus not found at %s: skipping", corpusDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	seen := map[string]bool{}
	agree, total := 0, 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 || cols[0] == "file" {
			continue
		}
		name, want := cols[0], cols[1]
		seen[name] = true
		total++
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				t.Fatal(err)
			}
			tor, perr := ParseTorrentFile(b)
			got := "load"
			if perr != nil {
				got = "reject"
				if !errors.Is(perr, ErrTorrent) || perr.Error() == "" {
					t.Errorf("error %v does not wrap ErrTorrent", perr)
				}
			} else {
				checkSafeNames(t, tor)
			}
			reason, listed := corpusDisagreements[name]
			switch {
			case got == want && listed:
				t.Errorf("listed as a disagreement (%s) but now %s as libtorrent does", reason, got)
			case got == want:
				agree++
			case !listed:
				t.Errorf("libtorrent: %s (%s); leakhunt: %s (err %v)", want, cols[2], got, perr)
			default:
				t.Logf("known disagreement: libtorrent %s, leakhunt %s: %s", want, got, reason)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".torrent") && !seen[e.Name()] {
			t.Errorf("%s is not in EXPECTED.tsv", e.Name())
		}
	}
	t.Logf("agree with libtorrent on %d of %d corpus files (%d listed disagreements)", agree, total, len(corpusDisagreements))
}

// kv and od build bencoded dictionaries with keys in the order given.
type kv struct {
	k string
	v any
}
type od []kv

// benc is a test-only bencode encoder.
func benc(v any) []byte {
	var b bytes.Buffer
	var enc func(v any)
	enc = func(v any) {
		switch v := v.(type) {
		case int:
			fmt.Fprintf(&b, "i%de", v)
		case int64:
			fmt.Fprintf(&b, "i%de", v)
		case string:
			fmt.Fprintf(&b, "%d:%s", len(v), v)
		case []byte:
			fmt.Fprintf(&b, "%d:%s", len(v), v)
		case []any:
			b.WriteByte('l')
			for _, e := range v {
				enc(e)
			}
			b.WriteByte('e')
		case od:
			b.WriteByte('d')
			for _, e := range v {
				enc(e.k)
				enc(e.v)
			}
			b.WriteByte('e')
		case raw:
			b.Write(v)
		default:
			panic(fmt.Sprintf("benc: %T", v))
		}
	}
	enc(v)
	return b.Bytes()
}

type raw []byte

func pieces(n int) string { return strings.Repeat("\x01", 20*n) }

func v1Info(files []any, pieceLen, npieces int) od {
	return od{{"files", files}, {"name", "t"}, {"piece length", pieceLen}, {"pieces", pieces(npieces)}}
}

func file(length int, path ...any) od { return od{{"length", length}, {"path", path}} }

func TestParseTorrentFileRejects(t *testing.T) {
	deep := strings.Repeat("l", 150) + strings.Repeat("e", 150)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty input"},
		{"not a dict", benc("x"), "not a dictionary"},
		{"no info", benc(od{{"announce", "x"}}), "no info"},
		{"info list", benc(od{{"info", []any{}}}), "not a dictionary"},
		{"deep", []byte("d4:infod1:x" + deep + "ee"), "nesting deeper"},
		{"huge int", []byte("d4:infod6:lengthi" + strings.Repeat("9", 30) + "eee"), "digits"},
		{"int overflow", benc(od{{"info", od{{"length", raw("i99999999999999999999e")}, {"name", "n"}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), "out of range"},
		{"no name", benc(od{{"info", od{{"length", 5}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), "missing name"},
		{"name of NULs", benc(od{{"info", od{{"length", 5}, {"name", "\x00\x00"}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), "missing name"},
		{"zero piece length", benc(od{{"info", od{{"length", 5}, {"name", "n"}, {"piece length", 0}, {"pieces", pieces(1)}}}}), "piece length"},
		{"negative length", benc(od{{"info", od{{"length", -5}, {"name", "n"}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), "invalid length"},
		{"zero length", benc(od{{"info", od{{"length", 0}, {"name", "n"}, {"piece length", 16384}, {"pieces", ""}}}}), "no data"},
		{"pieces not 20", benc(od{{"info", od{{"length", 5}, {"name", "n"}, {"piece length", 16384}, {"pieces", "abc"}}}}), "multiple of 20"},
		{"too few pieces", benc(od{{"info", v1Info([]any{file(40000, "a")}, 16384, 2)}}), "2 piece hashes for 3 pieces"},
		{"too many pieces", benc(od{{"info", od{{"length", int64(1) << 40}, {"name", "n"}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), "pieces is more than"},
		{"no files", benc(od{{"info", v1Info([]any{}, 16384, 0)}}), "no files"},
		{"path not list", benc(od{{"info", v1Info([]any{od{{"length", 5}, {"path", "a"}}}, 16384, 1)}}), "file path"},
		{"path element int", benc(od{{"info", v1Info([]any{od{{"length", 5}, {"path", []any{1}}}}, 16384, 1)}}), "file path"},
		{"file without path", benc(od{{"info", v1Info([]any{od{{"length", 5}}}, 16384, 1)}}), "without a path"},
		{"meta version 3", benc(od{{"info", od{{"length", 5}, {"meta version", 3}, {"name", "n"}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), "meta version"},
		{"v2 no tree", benc(od{{"info", od{{"meta version", 2}, {"name", "n"}, {"piece length", 16384}}}}), "without a file tree"},
		{"v2 odd piece", benc(od{{"info", v2Info(24576, od{{"a", leaf(5, root(1))}})}}), "power of two"},
		{"v2 unordered", benc(od{{"info", v2Info(16384, od{{"b", leaf(5, root(1))}, {"a", leaf(5, root(2))}})}}), "not in order"},
		{"v2 zero root", benc(od{{"info", v2Info(16384, od{{"a", leaf(5, string(make([]byte, 32)))}})}}), "all-zero"},
		{"v2 short root", benc(od{{"info", v2Info(16384, od{{"a", leaf(5, "abc")}})}}), "pieces root"},
		{"v2 empty name", benc(od{{"info", v2Info(16384, od{{"", leaf(5, root(1))}})}}), "empty file name"},
		{"v2 mixed node", benc(od{{"info", v2Info(16384, od{{"a", od{{"", od{{"length", 5}, {"pieces root", root(1)}}}, {"b", leaf(5, root(2))}}}})}}), "mixes"},
		{"v2 pad", benc(od{{"info", v2Info(16384, od{{"a", od{{"", od{{"attr", "p"}, {"length", 5}, {"pieces root", root(1)}}}}}})}}), "pad file"},
		{"v2 unknown layer", benc(od{{"info", v2Info(16384, od{{"a", leaf(5, root(1))}})}, {"piece layers", od{{root(9), strings.Repeat("x", 32)}}}}), "unknown pieces root"},
		{"trailing garbage", append(benc(od{{"info", od{{"length", 5}, {"name", "n"}, {"piece length", 16384}, {"pieces", pieces(1)}}}}), 'x'), "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tor, err := ParseTorrentFile(tt.in)
			if err == nil {
				t.Fatalf("accepted: %+v", tor)
			}
			if !errors.Is(err, ErrTorrent) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one wrapping ErrTorrent and containing %q", err, tt.want)
			}
		})
	}
}

func root(n byte) string { return strings.Repeat(string([]byte{n}), 32) }

func leaf(length int, root string) od {
	return od{{"", od{{"length", length}, {"pieces root", root}}}}
}

func v2Info(pieceLen int, tree od) od {
	return od{{"file tree", tree}, {"meta version", 2}, {"name", "t"}, {"piece length", pieceLen}}
}

func TestParseTorrentFileFields(t *testing.T) {
	info := v1Info([]any{
		file(10, "..", "..", "etc", "passwd"),
		file(20, "/abs", "a\\b", "c\x00d\xff\u0085"),
		od{{"attr", "p"}, {"length", 16354}, {"path", []any{".pad", "16354"}}},
		file(5, "\u202egnp.exe"),
		od{{"attr", "l"}, {"length", 99}, {"path", []any{"link"}}, {"symlink path", []any{"x"}}},
		file(16384, "ok", "doc.pdf"),
	}, 16384, 3)
	info[1].v = "../../../t\u2028"
	infoBytes := benc(info)
	// Top-level keys out of order, a trailing newline: the info bytes must
	// still be taken exactly as written.
	in := append(benc(od{{"info", raw(infoBytes)}, {"announce", " http://a/ann "}, {"announce-list", []any{[]any{"http://a/ann", "udp://b:1"}, []any{"bad\nurl", 5}}}}), '\n')
	tor, err := ParseTorrentFile(in)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(infoBytes)
	wantPaths := []string{"_/_/etc/passwd", "_abs/a_b/c\\u0000d\\xff\\u0085", ".pad/16354", "\\u202egnp.exe", "link", "ok/doc.pdf"}
	var paths []string
	for _, f := range tor.Files {
		paths = append(paths, f.Path)
	}
	switch {
	case tor.InfoHash.String() != hex.EncodeToString(sum[:]) || !bytes.Equal(tor.InfoBytes, infoBytes):
		t.Errorf("infohash %s, want %x", tor.InfoHash, sum)
	case tor.Name != ".._.._.._t\\u2028":
		t.Errorf("name %q", tor.Name)
	case !slicesEqual(paths, wantPaths):
		t.Errorf("paths %q\nwant  %q", paths, wantPaths)
	case !tor.Files[2].Pad || !tor.Files[4].Symlink || tor.Files[4].Length != 0:
		t.Errorf("pad/symlink flags: %+v", tor.Files)
	case tor.Files[5].Offset != 16389 || tor.TotalLength != 32773 || len(tor.Pieces) != 3:
		t.Errorf("layout: offset %d total %d pieces %d", tor.Files[5].Offset, tor.TotalLength, len(tor.Pieces))
	case !slicesEqual(tor.Trackers, []string{"http://a/ann", "udp://b:1"}):
		t.Errorf("trackers %q", tor.Trackers)
	case tor.Version != V1 || tor.InfoHashV2.String() != "":
		t.Errorf("version %v %q", tor.Version, tor.InfoHashV2)
	}
	checkSafeNames(t, tor)
	fromInfo, err := ParseInfo(infoBytes)
	if err != nil {
		t.Fatal(err)
	}
	if fromInfo.InfoHash != tor.InfoHash || len(fromInfo.Trackers) != 0 || len(fromInfo.Files) != len(tor.Files) {
		t.Errorf("ParseInfo differs: %+v", fromInfo)
	}
}

func TestParseV2Layout(t *testing.T) {
	info := benc(v2Info(16384, od{
		{"dir", od{{"a", leaf(40000, root(1))}, {"b", od{{"", od{{"length", 0}}}}}}},
		{"z", leaf(5, root(2))},
	}))
	tor, err := ParseInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	want := []TorrentFile{
		{Path: "dir/a", Length: 40000, Offset: 0, PiecesRoot: []byte(root(1))},
		{Path: "dir/b", Length: 0, Offset: 49152},
		{Path: "z", Length: 5, Offset: 49152, PiecesRoot: []byte(root(2))},
	}
	if tor.Version != V2 || tor.InfoHashV2.IsZero() || tor.InfoHash != tor.InfoHashV2.Truncated() || tor.Pieces != nil {
		t.Errorf("v2 header: %v %s %s", tor.Version, tor.InfoHash, tor.InfoHashV2)
	}
	if fmt.Sprint(tor.Files) != fmt.Sprint(want) || tor.TotalLength != 40005 {
		t.Errorf("files %+v\nwant  %+v", tor.Files, want)
	}
	if _, err := ParseInfo(append(info, 'e')); err == nil {
		t.Error("ParseInfo accepted trailing bytes")
	}
}

func slicesEqual(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) && len(a) == len(b) }

// TestFixtures checks the small torrents in testdata, made by libtorrent
// (internal/interop's CreateTorrents), against the infohashes libtorrent
// printed.
func TestFixtures(t *testing.T) {
	tests := []struct {
		file, v1, v2 string
		version      Version
		files        int
	}{
		{"v1-single.torrent", "e88cfa24193771ee4e2680b83b4706f7fdc26340", "", V1, 1},
		{"v1-multi.torrent", "118a5da1de4d1c7f750d049651eb4c16a83a56d0", "", V1, 2},
		{"v2-multi.torrent", "ef9cd016ef4d39b7fc9f74955e7dd67fe8c60a31", "ef9cd016ef4d39b7fc9f74955e7dd67fe8c60a31b876a74eadd764f2eff9c17d", V2, 2},
		{"hybrid-multi.torrent", "7918b18ce47d6dcd50c7f63211e399744e71c4d7", "0a2aec9a06b09144170ac3ce241f21ccb101b7b9af2c1c90cdaf65de13e114e0", Hybrid, 4},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tor, err := ParseTorrentFile(b)
			if err != nil {
				t.Errorf("%s: %v", tt.file, err)
				return
			}
			if tor.InfoHash.String() != tt.v1 || tor.InfoHashV2.String() != tt.v2 || tor.Version != tt.version || len(tor.Files) != tt.files {
				t.Errorf("%s: %s %s %v %d files", tt.file, tor.InfoHash, tor.InfoHashV2, tor.Version, len(tor.Files))
			}
			if len(tor.Trackers) != 1 || tor.Trackers[0] != "http://127.0.0.1:1/announce" {
				t.Errorf("%s: trackers %q", tt.file, tor.Trackers)
			}
		})
	}
}
