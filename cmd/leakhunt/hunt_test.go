package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/demo"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/store"
)

// child is leakhunt running as a separate process, with its stderr lines
// collected.
type child struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LEAKHUNT_TEST_MAIN="+strings.Join(args, "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return c
}

// count is the number of stderr lines containing s so far.
func (c *child) count(s string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

func (c *child) waitFor(t *testing.T, s string, n int, limit time.Duration) {
	t.Helper()
	if !interop.Within(limit, func() bool { return c.count(s) >= n }) {
		c.mu.Lock()
		t.Fatalf("no %d × %q within %s; stderr:\n%s", n, s, limit, strings.Join(c.lines, "\n"))
	}
}

// TestHuntInterruptKillResume runs `leakhunt hunt` as a real process
// against the demo swarm: Ctrl-C (SIGINT) makes it exit 130 within seconds
// with a consistent store and a signed log; a second run resumes without
// fetching again what was seen, and a SIGKILL mid-hunt loses nothing that
// was committed.
func TestHuntInterruptKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a swarm and two hunts (about 30 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sc, err := demo.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "hunt.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range sc.Documents {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		fp, err := fingerprint.File(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddDocument(store.Document{Name: name, Fingerprint: fp}, p); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	args := []string{"hunt", "--db", db, "-v", "--listen", "127.0.0.1:0", "--allow-local", "--bootstrap", strings.Join(sc.Bootstrap(), ","),
		"--probe-interval", "2s", "--fetches", "8"}

	leaks := 0
	for _, tor := range sc.Torrents {
		if tor.Document != "" {
			leaks++
		}
	}
	// Run 1: hunt until every leak is proven and a probe reached L4, then
	// Ctrl-C.
	c := startChild(t, args...)
	c.waitFor(t, "proven match", leaks, 60*time.Second)
	c.waitFor(t, "probe done", 1, 60*time.Second)
	start := time.Now()
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		t.Fatal("hunt did not exit within 15 s of SIGINT")
	}
	err = c.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit after SIGINT = %v, want code 130", err)
	}
	t.Logf("exited %v after SIGINT", time.Since(start).Round(time.Millisecond))
	fetched1 := c.count("metadata fetched")
	if fetched1 < len(sc.Torrents) {
		t.Fatalf("first run fetched %d torrents, want all %d", fetched1, len(sc.Torrents))
	}
	seen1, log1 := checkStore(t, db, leaks)

	// Run 2: resume, then SIGKILL while it probes.
	c = startChild(t, args...)
	c.waitFor(t, "probe done", 2, 60*time.Second)
	c.cmd.Process.Kill()
	<-c.done
	c.cmd.Wait()
	if n := c.count("metadata fetched"); n != 0 {
		t.Errorf("the resumed hunt fetched %d torrents again; the seen set should have stopped it", n)
	}
	seen2, log2 := checkStore(t, db, leaks)
	if seen2 < seen1 || log2 < log1 {
		t.Fatalf("after the kill: seen %d (was %d), log %d (was %d)", seen2, seen1, log2, log1)
	}
}

// checkStore opens the store, verifies its evidence log, and returns the
// seen-set size and log size; leaks is the number of proven matches it must hold.
func checkStore(t *testing.T, db string, leaks int) (seen int, logSize int64) {
	t.Helper()
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	vk, err := os.ReadFile(db + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	problems, n, err := evidence.VerifyStore(s, strings.TrimSpace(string(vk)))
	if err != nil || len(problems) > 0 || n == 0 {
		t.Fatalf("VerifyStore: %d records, %v, %v", n, problems, err)
	}
	if err := s.ForEachSeen(func(fingerprint.InfoHash) { seen++ }); err != nil {
		t.Fatal(err)
	}
	ms, _ := s.Matches()
	proven := 0
	for _, m := range ms {
		if m.Verdict == fingerprint.VerdictProven {
			proven++
		}
	}
	if proven != leaks {
		t.Fatalf("store holds %d proven matches, want %d", proven, leaks)
	}
	return seen, n
}
