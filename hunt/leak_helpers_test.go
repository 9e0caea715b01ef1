package hunt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// catalogLeak opens a new store cataloguing one of testdata/leaks, and
// returns it with the leak's bytes, fingerprint and ed2k hash.
func catalogLeak(tb testing.TB, name string) (*store.Store, []byte, fingerprint.Fingerprint, fingerprint.ED2KHash) {
	tb.Helper()
	leak, _ := filepath.Abs(filepath.Join("..", "testdata", "leaks", name))
	data, err := os.ReadFile(leak)
	if err != nil {
		tb.Fatal(err)
	}
	fp, err := fingerprint.File(leak, nil)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := fingerprint.ParseED2KHash(fp.ED2K)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := store.Open(filepath.Join(tb.TempDir(), "leak.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, _, err := s.AddDocument(store.Document{Name: name, Fingerprint: fp}, leak); err != nil {
		tb.Fatal(err)
	}
	return s, data, fp, h
}
