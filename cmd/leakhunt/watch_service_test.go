package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// TestCommandsThroughRunningWatch: while `watch` holds the store, peers
// and catalog go through its control socket (the store is never opened
// twice), and Ctrl-C still exits 130 and removes the socket.
func TestCommandsThroughRunningWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a watch of a local seeder (about 10 s)")
	}
	a := newAdvCase(t)
	dir, err := os.MkdirTemp("", "lhw") // short: the control socket's path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a.db = filepath.Join(dir, "w.db")
	if _, errOut, code := cli(t, "catalog", "add", "--db", a.db, a.docPath); code != 0 {
		t.Fatalf("catalog add: exit %d: %s", code, errOut)
	}
	info, stream := v1Torrent(t, 16<<10, [][]string{{"leak.csv"}}, [][]byte{a.doc})
	honest := a.crafted(info, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: stream})
	c := startChild(t, "watch", "--db", a.db, "--allow-local", "--dht=false", "--probe-interval", "1s", "--claim-wait", "1s", a.torrentFile("leak", info))
	if !interop.Within(30*time.Second, func() bool { _, err := os.Stat(dashboard.ControlPath(a.db)); return err == nil }) {
		t.Fatal("watch opened no control socket")
	}
	if !interop.Within(60*time.Second, func() bool {
		for _, r := range l4Peers(t, a.db) {
			if r.IP == honest.Addr().String() {
				return true
			}
		}
		return false
	}) {
		t.Fatal("peers through the running watch never listed the honest seeder at L4")
	}
	if out, errOut, code := cli(t, "catalog", "list", "--db", a.db); code != 0 || !strings.Contains(out, "leak.csv") {
		t.Fatalf("catalog list through the watch: exit %d\n%s%s", code, out, errOut)
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not exit within 20 s of SIGINT")
	}
	var ee *exec.ExitError
	if err := c.cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit after SIGINT = %v, want code 130", err)
	}
	if _, err := os.Stat(dashboard.ControlPath(a.db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
}
