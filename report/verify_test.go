package report

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/display"
)

// copyDir copies a bundle directory.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func bundleFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func TestVerifyTamper(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	opt.MinLevel = 2
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	if probs, err := VerifyBundle(opt.OutDir, VerifyOptions{}); err != nil || len(probs) != 0 {
		t.Fatalf("fresh bundle: %v %v", probs, err)
	}
	files := bundleFiles(t, opt.OutDir)
	if len(files) < 12 {
		t.Fatalf("only %d files: %v", len(files), files)
	}
	for _, f := range files {
		for _, where := range []string{"start", "middle", "end"} {
			t.Run(f+"/"+where, func(t *testing.T) {
				cp := filepath.Join(t.TempDir(), "b")
				copyDir(t, opt.OutDir, cp)
				p := filepath.Join(cp, filepath.FromSlash(f))
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				i := map[string]int{"start": 0, "middle": len(b) / 2, "end": len(b) - 1}[where]
				b[i] ^= 0x01
				os.WriteFile(p, b, 0o644)
				probs, err := VerifyBundle(cp, VerifyOptions{})
				if err != nil {
					if f == ManifestName {
						return // a broken MANIFEST is still reported, but an error is acceptable too
					}
					t.Fatal(err)
				}
				named := false
				for _, pr := range probs {
					if pr.Path == f {
						named = true
					}
				}
				if !named {
					t.Errorf("flipped a byte of %s at %d: problems %v do not name it", f, i, probs)
				}
			})
		}
	}
	t.Run("extra file", func(t *testing.T) {
		cp := filepath.Join(t.TempDir(), "b")
		copyDir(t, opt.OutDir, cp)
		os.WriteFile(filepath.Join(cp, "letters", "isp-999.txt"), []byte("x"), 0o644)
		probs, _ := VerifyBundle(cp, VerifyOptions{})
		if len(probs) == 0 || probs[0].Path != "letters/isp-999.txt" {
			t.Errorf("problems %v", probs)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		cp := filepath.Join(t.TempDir(), "b")
		copyDir(t, opt.OutDir, cp)
		os.Remove(filepath.Join(cp, "annex", "peer-00001.txt"))
		probs, _ := VerifyBundle(cp, VerifyOptions{})
		if len(probs) != 1 || probs[0].Path != "annex/peer-00001.txt" || !strings.Contains(probs[0].What, "missing") {
			t.Errorf("problems %v", probs)
		}
	})
	t.Run("not a bundle", func(t *testing.T) {
		if _, err := VerifyBundle(t.TempDir(), VerifyOptions{}); err == nil {
			t.Error("empty directory accepted")
		}
	})
}

// resign rewrites MANIFEST and MANIFEST.sig after an edit, as a forger
// holding the key could: the content checks must still catch it.
func resign(t *testing.T, dir string, signer note.Signer) {
	t.Helper()
	var sb strings.Builder
	for _, f := range bundleFiles(t, dir) {
		if f == ManifestName || f == ManifestSigName {
			continue
		}
		sum, err := fileSHA256(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(sum + "  " + f + "\n")
	}
	os.WriteFile(filepath.Join(dir, ManifestName), []byte(sb.String()), 0o644)
	sig, err := note.Sign(&note.Note{Text: manifestNoteText(sha256.Sum256([]byte(sb.String())))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ManifestSigName), sig, 0o644)
}

func TestVerifyNamesOnlyProvenPeers(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		edit       func(string) string
		want       string
	}{
		{"letter names an L1 peer", "letters/isp-001.txt", func(s string) string {
			return strings.Replace(s, "85.10.1.5 port", "192.0.2.55 port", 1)
		}, "names 192.0.2.55"},
		{"csv names an unbundled peer", "peers.csv", func(s string) string {
			return strings.Replace(s, "85.10.1.5", "85.10.1.9", 1)
		}, "no record at L2"},
		{"csv overstates a level", "peers.csv", func(s string) string {
			return strings.Replace(s, ",L4,", ",L5,", 1)
		}, "claims L5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "b")
			copyDir(t, opt.OutDir, cp)
			p := filepath.Join(cp, filepath.FromSlash(tt.file))
			b, _ := os.ReadFile(p)
			edited := tt.edit(string(b))
			if edited == string(b) {
				t.Fatal("edit changed nothing")
			}
			os.WriteFile(p, []byte(edited), 0o644)
			resign(t, cp, keys.Signer)
			probs, err := VerifyBundle(cp, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != 1 || probs[0].Path != tt.file || !strings.Contains(probs[0].What, tt.want) {
				t.Errorf("problems %v, want one on %s containing %q", probs, tt.file, tt.want)
			}
		})
	}
	t.Run("forged record", func(t *testing.T) {
		cp := filepath.Join(t.TempDir(), "b")
		copyDir(t, opt.OutDir, cp)
		p := filepath.Join(cp, "proofs", "records.jsonl")
		b, _ := os.ReadFile(p)
		lines := strings.Split(string(b), "\n")
		lines[0] = strings.Replace(lines[0], `"leaf":"ey`, `"leaf":"Ey`, 1)
		os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
		resign(t, cp, keys.Signer)
		probs, _ := VerifyBundle(cp, VerifyOptions{})
		if len(probs) == 0 || probs[0].Path != "proofs/records.jsonl" {
			t.Errorf("problems %v", probs)
		}
	})
}

func TestHostileInert(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	opt.MinLevel = 2
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	for _, f := range bundleFiles(t, opt.OutDir) {
		b, err := os.ReadFile(filepath.Join(opt.OutDir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, r := range text {
			if display.Unsafe(r) && r != '\n' && r != '\r' && r != '\t' {
				t.Errorf("%s holds the raw character U+%04X", f, r)
				break
			}
		}
		switch {
		case strings.HasSuffix(f, ".html"), strings.HasSuffix(f, ".svg"):
			for _, bad := range []string{"<script", "<img src=x", "<b>", "onerror="} {
				if strings.Contains(text, bad) {
					t.Errorf("%s holds unescaped %q", f, bad)
				}
			}
		case strings.HasPrefix(f, "letters/"):
			if strings.Contains(text, "10.66.77.88") {
				t.Errorf("%s shows an address from a torrent name as an address", f)
			}
			if strings.Contains(text, strings.Repeat("A", maxField+1)) {
				t.Errorf("%s shows a 10,000-character name uncut", f)
			}
		case f == "peers.csv":
			rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				for _, c := range row {
					if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
						t.Errorf("peers.csv cell %.40q would run as a formula", c)
					}
				}
			}
		}
	}
	html, _ := os.ReadFile(filepath.Join(opt.OutDir, "index.html"))
	if !strings.Contains(string(html), "&lt;script&gt;") {
		t.Error("index.html lost the hostile name instead of escaping it")
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("0000000000000000000000000000000000000000000000000000000000000000  letters/isp-001.txt\n"))
	f.Add([]byte("zz  ../etc/passwd\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(strings.NewReader(string(b)))
		if err == nil {
			for rel := range m {
				if !validRel(rel) {
					t.Fatalf("accepted path %q", rel)
				}
			}
		}
	})
}

func FuzzCheckProofLine(f *testing.F) {
	f.Add([]byte(`{"peer":"peer-00001","index":0,"leaf":"e30=","proof":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]}`))
	f.Add([]byte(`{"index":-1,"leaf":"!!","proof":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs := &bundleRecords{levels: map[string]evidence.Level{}, ours: map[string]bool{}, transcripts: map[int64]string{},
			bases: map[string]basisCheck{}, read: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}
		if checkProofLine(b, evidence.Checkpoint{Size: 3}, recs) == nil {
			t.Fatalf("forged line accepted: %q", b)
		}
	})
}
