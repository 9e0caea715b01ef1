package fingerprint

import (
	"bufio"
	"bytes"
	"errors"
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
		// A backslash only starts an escape (\xNN, \uNNNN).
		for i := strings.IndexByte(s, '\\'); i >= 0; i = strings.IndexByte(s[i+1:], '\\') + i + 1 {
			if i+1 >= len(s) || (s[i+1] != 'x' && s[i+1] != 'u') {
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

var _ = bytes.Equal
