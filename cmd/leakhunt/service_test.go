package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/demo"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/store"
)

// TestCommandsThroughRunningHunt runs `leakhunt hunt --http` as a real
// process against the demo swarm, with one leaked document left out of
// the catalogue, and uses the other commands while it runs: peers lists
// the L4 hosts, catalog add of the missing document makes the running
// hunt prove the torrent it had already fetched, catalog list and rm see
// the running catalogue, report writes a bundle that verify passes,
// verify checks the store, matches lists the proofs; the dashboard
// answers on the address printed. Ctrl-C still exits 130 and removes the
// control socket.
func TestCommandsThroughRunningHunt(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a swarm and a hunt (about 30 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sc, err := demo.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	dir, err := os.MkdirTemp("", "lhs") // short: the control socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db := filepath.Join(dir, "h.db")
	late, leaks := lateDocument(t, sc, dir, db)

	c := startChild(t, "hunt", "--db", db, "-v", "--listen", "127.0.0.1:0", "--allow-local", "--bootstrap", strings.Join(sc.Bootstrap(), ","),
		"--probe-interval", "2s", "--fetches", "8", "--http", "127.0.0.1:0")
	c.waitFor(t, "dashboard at http://127.0.0.1:", 1, 30*time.Second)
	c.waitFor(t, "proven match", leaks-1, 60*time.Second)
	c.waitFor(t, "metadata fetched", len(sc.Torrents), 60*time.Second)

	if fi, err := os.Stat(dashboard.ControlPath(db)); err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("control socket: %v %v, want a socket of mode 0600", fi, err)
	}
	if !interop.Within(60*time.Second, func() bool { return len(l4Peers(t, db)) > 0 }) {
		t.Fatal("peers --min-level L4 listed nobody through the running hunt")
	}

	// The missing document: the running hunt matches it against the
	// torrent it fetched before.
	lateFile := filepath.Join(dir, late)
	added, errOut, code := cli(t, "catalog", "add", "--db", db, lateFile)
	if code != 0 || !strings.Contains(added, lateFile) {
		t.Fatalf("catalog add through the hunt: exit %d\n%s\n%s", code, added, errOut)
	}
	lateID, _, _ := strings.Cut(added, "\t")
	c.waitFor(t, "document matched against recorded torrents", 1, 30*time.Second)
	c.waitFor(t, "proven match", leaks, 60*time.Second)
	out, errOut, code := cli(t, "catalog", "list", "--db", db, "--json")
	if code != 0 || strings.Count(out, "\n") != len(sc.Documents) {
		t.Fatalf("catalog list: exit %d, %d lines, want %d\n%s\n%s", code, strings.Count(out, "\n"), len(sc.Documents), out, errOut)
	}
	if out, errOut, code := cli(t, "matches", "--db", db, "--leads=false"); code != 0 || !strings.Contains(out, late) {
		t.Fatalf("matches through the hunt: exit %d, want %s listed\n%s\n%s", code, late, out, errOut)
	}

	if out, errOut, code := cli(t, "catalog", "rm", "--db", db, lateID); code != 0 || !strings.Contains(out, "removed "+lateID) {
		t.Fatalf("catalog rm through the hunt: exit %d\n%s\n%s", code, out, errOut)
	}
	c.waitFor(t, "catalogue changed", 2, 30*time.Second)
	if out, _, _ := cli(t, "catalog", "list", "--db", db, "--json"); strings.Count(out, "\n") != len(sc.Documents)-1 {
		t.Fatalf("catalog list after rm:\n%s", out)
	}

	bundle := filepath.Join(dir, "report")
	if out, errOut, code := cli(t, "report", "--db", db, "--out", bundle, "--no-rdap"); code != 0 || !strings.Contains(out, "wrote "+bundle) {
		t.Fatalf("report through the hunt: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := cli(t, "verify", bundle); code != 0 {
		t.Fatalf("verify of the bundle made by the hunt: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := cli(t, "verify", "--db", db); code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Fatalf("verify of the store through the hunt: exit %d\n%s\n%s", code, out, errOut)
	}
	checkDashboardAnswers(t, c)

	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		t.Fatal("hunt did not exit within 20 s of SIGINT")
	}
	var ee *exec.ExitError
	if err := c.cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit after SIGINT = %v, want code 130", err)
	}
	if _, err := os.Stat(dashboard.ControlPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
	// With the hunt gone the commands open the store themselves.
	if n := len(l4Peers(t, db)); n == 0 {
		t.Error("peers from the store after the hunt: no L4 host")
	}
}

// lateDocument catalogues every leaked document of the scenario but one,
// which it writes beside the store and returns, with the number of leaks.
func lateDocument(t *testing.T, sc *demo.Scenario, dir, db string) (late string, leaks int) {
	t.Helper()
	for _, tor := range sc.Torrents {
		if tor.Document != "" {
			leaks++
			late = tor.Document
		}
	}
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, b := range sc.Documents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if name == late {
			continue
		}
		fp, err := fingerprint.File(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddDocument(store.Document{Name: name, Fingerprint: fp}, p); err != nil {
			t.Fatal(err)
		}
	}
	return late, leaks
}

// l4Peers runs `leakhunt peers --json --min-level L4`.
func l4Peers(t *testing.T, db string) []peerRow {
	t.Helper()
	out, errOut, code := cli(t, "peers", "--db", db, "--json", "--min-level", "L4")
	if code != 0 {
		t.Fatalf("peers: exit %d: %s", code, errOut)
	}
	var rows []peerRow
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var r peerRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Level != "L4" && r.Level != "L5" {
			t.Fatalf("peers --min-level L4 listed %s", l)
		}
		rows = append(rows, r)
	}
	return rows
}

// checkDashboardAnswers fetches the overview API and the metrics from the
// address the hunt printed.
func checkDashboardAnswers(t *testing.T, c *child) {
	t.Helper()
	c.mu.Lock()
	var base string
	for _, l := range c.lines {
		if _, u, ok := strings.Cut(l, "dashboard at "); ok {
			base = strings.TrimSpace(u)
		}
	}
	c.mu.Unlock()
	for _, tc := range []struct{ path, want string }{
		{"api/overview", `"hunting":true`},
		{"metrics", "leakhunt_observations_total"},
	} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %s %v, want %q in\n%.2000s", tc.path, resp.Status, err, tc.want, b)
		}
		if tc.path == "metrics" {
			// The hunt's DHT node sampled the swarm: its queries count.
			if m := regexp.MustCompile(`(?m)^leakhunt_dht_queries_sent_total ([0-9.e+]+)$`).FindStringSubmatch(string(b)); m == nil || m[1] == "0" {
				t.Errorf("leakhunt_dht_queries_sent_total: %v", m)
			}
		}
	}
}

// syncBuffer is a buffer written by one goroutine and read by another.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe: `leakhunt serve` serves a store with no hunt: the dashboard
// on loopback without a token, the API saying so, and the other commands
// going through it; interrupted, it exits 130 and removes its socket.
func TestServe(t *testing.T) {
	db, _ := reportFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--db", db, "--http", "127.0.0.1:0"}, io.Discard, &stderr) }()
	var base string
	if !interop.Within(20*time.Second, func() bool {
		_, u, ok := strings.Cut(stderr.String(), "dashboard at ")
		base, _, _ = strings.Cut(u, "\n")
		return ok && strings.HasSuffix(base, "/")
	}) {
		t.Fatalf("serve printed no address:\n%s", stderr.String())
	}
	if strings.Contains(base, "token") {
		t.Errorf("a loopback dashboard asks for a token: %s", base)
	}
	resp, err := http.Get(base + "api/hello")
	if err != nil {
		t.Fatal(err)
	}
	var hello dashboard.Hello
	err = json.NewDecoder(resp.Body).Decode(&hello)
	resp.Body.Close()
	if err != nil || hello.Mode != "serve" {
		t.Fatalf("/api/hello: %+v %v", hello, err)
	}
	if !interop.Within(20*time.Second, func() bool {
		_, err := os.Stat(dashboard.ControlPath(db))
		return err == nil
	}) {
		t.Fatal("no control socket")
	}
	if out, errOut, code := cli(t, "peers", "--db", db); code != 0 || !strings.Contains(out, "L4") {
		t.Fatalf("peers through serve: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := cli(t, "serve", "--db", db, "--http", "127.0.0.1:0"); code != 2 || !strings.Contains(errOut, "serves it already") {
		t.Fatalf("a second serve: exit %d: %s", code, errOut)
	}
	cancel()
	if err := <-done; exitCode(err) != exitInterrupted {
		t.Fatalf("serve ended with %v, want an interruption", err)
	}
	if _, err := os.Stat(dashboard.ControlPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
}
