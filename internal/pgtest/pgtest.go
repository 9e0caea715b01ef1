// Package pgtest gives tests a PostgreSQL database of their own on the
// server named by LEAKHUNT_TEST_PG (scripts/pgtest.sh start prints it):
// one created with a random name for each test and dropped when it ends,
// so that tests run in parallel. Without the variable, tests skip and say
// why.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the environment variable holding the test server's URL.
const Env = "LEAKHUNT_TEST_PG"

// Database creates a database with a random name on the test server and
// returns its URL; it is dropped (its connections closed) when the test
// ends. It skips the test when no server is configured.
func Database(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		t.Skipf("%s is not set: no PostgreSQL server for this test (start one with: eval \"$(scripts/pgtest.sh start)\")", Env)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "leakhunt_test_" + hex.EncodeToString(rnd[:])
	exec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	u.Path = "/" + name
	return u.String()
}

// exec runs one statement on the server as the administrator.
func exec(t testing.TB, admin, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("connect to %s: %v", Env, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Errorf("%s: %v", stmt, err)
	}
}

// Cluster starts a PostgreSQL cluster of the test's own with
// scripts/pgtest.sh (for tests that restart the server) and returns its
// URL and a function that restarts it, cutting every connection. The
// cluster is stopped and removed when the test ends. It skips the test
// when LEAKHUNT_TEST_PG is unset (no PostgreSQL here) or the script
// cannot start a cluster.
func Cluster(t testing.TB) (url string, restart func()) {
	t.Helper()
	if os.Getenv(Env) == "" {
		t.Skipf("%s is not set: no PostgreSQL server for this test (start one with: eval \"$(scripts/pgtest.sh start)\")", Env)
	}
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate scripts/pgtest.sh")
	}
	script := filepath.Join(filepath.Dir(self), "..", "..", "scripts", "pgtest.sh")
	out, err := osexec.Command(script, "start").Output()
	if err != nil {
		t.Skipf("scripts/pgtest.sh start: %v", err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if ok {
			vars[k] = strings.Trim(v, "'")
		}
	}
	dir := vars["PGTEST_DIR"]
	if dir == "" || vars[Env] == "" {
		t.Fatalf("scripts/pgtest.sh start printed %q", out)
	}
	t.Cleanup(func() {
		if out, err := osexec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("scripts/pgtest.sh stop: %v: %s", err, out)
		}
	})
	return vars[Env], func() {
		if out, err := osexec.Command(script, "restart", dir).CombinedOutput(); err != nil {
			t.Errorf("scripts/pgtest.sh restart: %v: %s", err, out)
		}
	}
}

// Conn connects to the database at u for the test (to look at or change
// it behind the store's back), closed when the test ends.
func Conn(t testing.TB, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
