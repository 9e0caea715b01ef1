package store

import (
	"path/filepath"
	"testing"

	"github.com/leakhunt/leakhunt/internal/pgtest"
)

// The conformance suite: tests written against *Store run on every
// backend through forEachBackend, so that bbolt and PostgreSQL answer the
// same calls the same way. PostgreSQL runs when LEAKHUNT_TEST_PG names a
// server (scripts/pgtest.sh start prints it); each test gets its own
// database, dropped after.

// forEachBackend runs fn on a new, empty store of each backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("bolt", func(t *testing.T) { fn(t, openTemp(t)) })
	t.Run("postgres", func(t *testing.T) {
		u := newPGDatabase(t)
		fn(t, openPGTemp(t, u, "sensor-1"))
	})
}

// newPGDatabase is a database of the test's own (see pgtest.Database).
func newPGDatabase(t testing.TB) string { return pgtest.Database(t) }

// openPGTemp opens the store at u as sensor, its key path and document
// cache under a temporary directory, closed when the test ends.
func openPGTemp(t testing.TB, u, sensor string) *Store {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(u, &Options{Sensor: sensor, KeyPath: filepath.Join(dir, "key"), CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
