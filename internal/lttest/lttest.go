// Package lttest runs libtorrent (Debian's python3-libtorrent, through
// /usr/bin/python3) as an independent BitTorrent implementation in tests:
// it creates torrents with its own hashing and seeds them on loopback.
// Tests that use it skip, saying why, where libtorrent is missing.
package lttest

import (
	"bufio"
	"context"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Python is the interpreter that has python3-libtorrent.
const Python = "/usr/bin/python3"

//go:embed lt_seed.py
var seedScript []byte

// Need skips t unless libtorrent can be imported.
func Need(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Skipf("libtorrent test needs %s: %v", Python, err)
	}
	if err := exec.Command(Python, "-c", "import libtorrent").Run(); err != nil {
		t.Skipf("libtorrent test needs python3-libtorrent (apt-get install python3-libtorrent; import libtorrent failed: %v)", err)
	}
}

// Seed has libtorrent create a torrent of file ("v1" or "hybrid", with
// the given piece length), write it to torrentOut and seed it on host (a
// loopback address) until the test ends. It returns the seeder's port.
func Seed(t testing.TB, file, torrentOut string, pieceLen int, mode, host string) uint16 {
	t.Helper()
	Need(t)
	script := filepath.Join(t.TempDir(), "lt_seed.py")
	if err := os.WriteFile(script, seedScript, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, Python, script, file, torrentOut, strconv.Itoa(pieceLen), host, mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "LISTEN ") {
		t.Fatalf("lt_seed.py: %q %v", line, err)
	}
	port, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "LISTEN ")), 10, 16)
	if err != nil {
		t.Fatal(err)
	}
	return uint16(port)
}
