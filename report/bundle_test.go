package report

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/leakhunt/leakhunt/evidence"
)

// fullDisk is a file that takes limit bytes, shared by all files, then
// fails as a full disk does.
type fullDisk struct {
	f    *os.File
	left *atomic.Int64
}

func (d fullDisk) Write(b []byte) (int, error) {
	if d.left.Add(-int64(len(b))) < 0 {
		return 0, &fs.PathError{Op: "write", Path: d.f.Name(), Err: syscall.ENOSPC}
	}
	return d.f.Write(b)
}

func (d fullDisk) Close() error { return d.f.Close() }

// TestBundleAllOrNothing: a report cut short (here by a full disk, at
// several points) leaves no output directory and no temporary files; a
// complete one is moved into place whole.
func TestBundleAllOrNothing(t *testing.T) {
	for _, limit := range []int64{0, 2000, 20000, 60000} {
		t.Run(strings.Repeat("x", int(limit/2000)), func(t *testing.T) {
			s, keys, dir := fixtureStore(t)
			opt := fixtureOptions(t, dir, "en")
			left := &atomic.Int64{}
			left.Store(limit)
			opt.createFile = func(p string) (io.WriteCloser, error) {
				f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				return fullDisk{f, left}, err
			}
			_, err := Generate(context.Background(), s, keys, opt)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("err = %v, want ENOSPC", err)
			}
			if _, err := os.Stat(opt.OutDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("partial bundle left at %s", opt.OutDir)
			}
			if entries, _ := os.ReadDir(filepath.Dir(opt.OutDir)); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// TestBundlePermissions: bundle files hold addresses and peer ids: 0600,
// directories 0700.
func TestBundlePermissions(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	opt.Zip = true
	sum, err := Generate(context.Background(), s, keys, opt)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(opt.OutDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, st.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(sum.Zip); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("zip: %v, %v", st, err)
	}
}

// TestConsistencyFromPreviousCheckpoint: a bundle proves that its tree
// extends the checkpoint signed before it; a changed proof fails.
func TestConsistencyFromPreviousCheckpoint(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	first := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, first); err != nil {
		t.Fatal(err)
	}
	more := []evidence.Observation{{Level: 4, Source: "probe", IP: "85.10.1.5", Port: 6881, InfoHash: ihA, Document: doc, Version: "t", PiecesVerified: []int{3}}}
	if _, err := s.AppendObservations(more); err != nil {
		t.Fatal(err)
	}
	opt := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{PreviousCheckpointName, ConsistencyProofName} {
		if _, err := os.Stat(filepath.Join(opt.OutDir, f)); err != nil {
			t.Fatalf("bundle lacks %s", f)
		}
	}
	if probs, err := VerifyBundle(opt.OutDir, VerifyOptions{}); err != nil || len(probs) != 0 {
		t.Fatalf("fresh bundle: %v %v", probs, err)
	}
	// A forger who rewrites the proof (and MANIFEST) still fails.
	p := filepath.Join(opt.OutDir, ConsistencyProofName)
	b, _ := os.ReadFile(p)
	lines := strings.Split(string(b), "\n")
	lines[3] = strings.Repeat("A", 43) + "="
	os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600)
	probs, _ := VerifyBundle(opt.OutDir, VerifyOptions{})
	found := false
	for _, pr := range probs {
		found = found || (pr.Path == ConsistencyProofName && strings.Contains(pr.What, "does not extend"))
	}
	if !found {
		t.Errorf("changed consistency proof: %v", probs)
	}
}

// TestVerifyPinnedKey: a bundle verifies against the pinned signer only.
func TestVerifyPinnedKey(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	other, err := evidence.LoadOrCreateKeys(filepath.Join(t.TempDir(), "o.db"), "leakhunt-test")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key string
		ok        bool
	}{
		{"own fingerprint", keys.Fingerprint, true},
		{"own key", keys.VerifierKey, true},
		{"other fingerprint", other.Fingerprint, false},
		{"other key, same name", other.VerifierKey, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs, err := VerifyBundle(opt.OutDir, VerifyOptions{Key: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			if ok := len(probs) == 0; ok != tc.ok {
				t.Errorf("problems %v, want ok=%v", probs, tc.ok)
			}
			if !tc.ok && (probs[0].Path != "key.pub" || !strings.Contains(probs[0].What, keys.Fingerprint)) {
				t.Errorf("problem %v does not name the bundle's signer", probs[0])
			}
		})
	}
	if name, fp, err := BundleKey(opt.OutDir); err != nil || name != "leakhunt-test" || fp != keys.Fingerprint {
		t.Errorf("BundleKey = %q %q %v", name, fp, err)
	}
}
