package report

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/evidence"
)

var update = flag.Bool("update", false, "rewrite golden files")

// lettersText concatenates a bundle's letters with their names.
func lettersText(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "letters", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("==== " + filepath.Base(f) + "\n")
		b.Write(data)
	}
	return b.String()
}

func TestGoldenLetters(t *testing.T) {
	for _, tc := range []struct{ lang, kind, golden string }{
		{"en", KindTakedown, "letters-en"}, {"ja", KindTakedown, "letters-ja"},
		{"en", KindDisclosure, "disclosure-en"}, {"ja", KindDisclosure, "disclosure-ja"},
	} {
		lang := tc.lang
		t.Run(tc.golden, func(t *testing.T) {
			s, keys, dir := fixtureStore(t)
			opt := fixtureOptions(t, dir, lang)
			opt.Kind = tc.kind
			sum, err := Generate(context.Background(), s, keys, opt)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Peers != 3 || sum.Letters != 3 || sum.Records != 12 || sum.ContactsUnknown != 2 {
				t.Errorf("summary = %+v, want 3 peers, 3 letters (2 without contact), 12 records", sum)
			}
			got := lettersText(t, opt.OutDir)
			golden := filepath.Join("testdata", tc.golden+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("letters differ from %s (run with -update after checking):\n%s", golden, got)
			}
			probs, err := VerifyBundle(opt.OutDir, VerifyOptions{})
			if err != nil || len(probs) != 0 {
				t.Errorf("fresh bundle: problems %v, err %v", probs, err)
			}
		})
	}
}

func TestMinLevel(t *testing.T) {
	tests := []struct {
		level   evidence.Level
		wantErr error
		peers   int
		absent  []string
	}{
		{0, ErrLevelTooLow, 0, nil},
		{1, ErrLevelTooLow, 0, nil},
		{2, nil, 5, []string{"192.0.2.55"}},
		{4, nil, 3, []string{"192.0.2.55", "85.10.1.9", "2a0a:1000::5"}},
		{5, ErrNoPeers, 0, []string{"85.10.1.5"}},
	}
	for _, tt := range tests {
		t.Run(levelName("en", tt.level), func(t *testing.T) {
			s, keys, dir := fixtureStore(t)
			opt := fixtureOptions(t, dir, "en")
			opt.MinLevel = tt.level
			sum, err := Generate(context.Background(), s, keys, opt)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == ErrLevelTooLow {
				if _, err := os.Stat(opt.OutDir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("output written although the level was refused")
				}
				return
			}
			if sum.Peers != tt.peers {
				t.Errorf("peers = %d, want %d", sum.Peers, tt.peers)
			}
			for _, f := range []string{"peers.csv", "evidence.json", "index.html"} {
				b, err := os.ReadFile(filepath.Join(opt.OutDir, f))
				if err != nil {
					t.Fatal(err)
				}
				for _, ip := range tt.absent {
					if strings.Contains(string(b), ip) {
						t.Errorf("%s names %s, below L%d", f, ip, tt.level)
					}
				}
			}
			letters := lettersText(t, opt.OutDir)
			for _, ip := range tt.absent {
				if strings.Contains(letters, ip) {
					t.Errorf("letters name %s, below L%d", ip, tt.level)
				}
			}
			if probs, err := VerifyBundle(opt.OutDir, VerifyOptions{}); err != nil || len(probs) != 0 {
				t.Errorf("problems %v, err %v", probs, err)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	opt.Config = FileConfig{}
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	got := lettersText(t, opt.OutDir)
	for _, want := range []string{"[contractor name not configured]", "[client name not configured]", "[case reference not configured]", "[abuse contact unknown]"} {
		if !strings.Contains(got, want) {
			t.Errorf("letters lack %q", want)
		}
	}
}

func TestOutDirMustBeEmpty(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	os.MkdirAll(opt.OutDir, 0o755)
	os.WriteFile(filepath.Join(opt.OutDir, "old.txt"), []byte("x"), 0o644)
	if _, err := Generate(context.Background(), s, keys, opt); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err = %v, want a not-empty error", err)
	}
}

func TestZip(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "ja")
	opt.Zip = true
	sum, err := Generate(context.Background(), s, keys, opt)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(sum.Zip)
	if err != nil || st.Size() == 0 {
		t.Fatalf("zip %q: %v", sum.Zip, err)
	}
	if _, err := os.Stat(filepath.Join(opt.OutDir, filepath.Base(sum.Zip))); err == nil {
		t.Error("zip written inside the bundle")
	}
}

func TestPrivateNeverLookedUp(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "fe80::1", "fd00::1", "192.0.2.1", "100.64.0.1"} {
		if Classify(mustAddr(t, ip)) == "" {
			t.Errorf("%s classified as public", ip)
		}
	}
	for _, ip := range []string{"85.10.1.5", "2a0a:1000::5"} {
		if c := Classify(mustAddr(t, ip)); c != "" {
			t.Errorf("%s classified %q", ip, c)
		}
	}
	_ = evidence.L2Connected
}
