package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The conformance suite: tests written against *Store run on every
// backend through forEachBackend, so that bbolt and PostgreSQL answer the
// same calls the same way. PostgreSQL runs when LEAKHUNT_TEST_PG names a
// server (scripts/pgtest.sh start prints it); each test gets its own
// database, dropped after.

// pgTestEnv names the environment variable holding the test server's URL.
const pgTestEnv = "LEAKHUNT_TEST_PG"

// forEachBackend runs fn on a new, empty store of each backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("bolt", func(t *testing.T) { fn(t, openTemp(t)) })
	t.Run("postgres", func(t *testing.T) {
		u := newPGDatabase(t)
		fn(t, openPGTemp(t, u, "sensor-1"))
	})
}

// newPGDatabase creates a database with a random name on the test server
// and returns its URL; it is dropped when the test ends. It skips the
// test when no server is configured.
func newPGDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(pgTestEnv)
	if admin == "" {
		t.Skipf("%s is not set: no PostgreSQL server for this test (start one with: eval \"$(scripts/pgtest.sh start)\")", pgTestEnv)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "leakhunt_test_" + hex.EncodeToString(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", pgTestEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

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
