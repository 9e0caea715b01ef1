// Package lttest runs libtorrent (Debian's python3-libtorrent, through
// /usr/bin/python3) as an independent BitTorrent implementation, for tests
// and `leakhunt validate`: it creates torrents with its own hashing and
// seeds them on loopback. Tests that use it skip, saying why, where
// libtorrent is missing.
package lttest

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Python is the interpreter that has python3-libtorrent.
const Python = "/usr/bin/python3"

//go:embed lt_seed.py
var seedScript []byte

// Need skips t unless libtorrent can be used, saying why.
func Need(t testing.TB) {
	t.Helper()
	if why := Available(); why != "" {
		t.Skipf("libtorrent test: %s", why)
	}
}

// Available says why libtorrent cannot be used, or "" when it can.
func Available() string {
	if _, err := os.Stat(Python); err != nil {
		return fmt.Sprintf("%s is missing", Python)
	}
	if err := exec.Command(Python, "-c", "import libtorrent").Run(); err != nil {
		return "python3-libtorrent is not installed (apt-get install python3-libtorrent)"
	}
	return ""
}

// Start has libtorrent create a torrent of file ("v1" or "hybrid", with
// the given piece length), write it to torrentOut and seed it on host (a
// loopback address) with DHT, LSD, UPnP and NAT-PMP off. It returns the
// seeder's port and a function that stops it; it stops too when ctx ends.
func Start(ctx context.Context, file, torrentOut string, pieceLen int, mode, host string) (port uint16, stop func(), err error) {
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return 0, nil, fmt.Errorf("libtorrent seeder: %q is not a loopback address", host)
	}
	dir, err := os.MkdirTemp("", "lt-seed-")
	if err != nil {
		return 0, nil, err
	}
	script := filepath.Join(dir, "lt_seed.py")
	if err := os.WriteFile(script, seedScript, 0o600); err != nil {
		os.RemoveAll(dir)
		return 0, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, Python, script, file, torrentOut, strconv.Itoa(pieceLen), host, mode)
	stdin, err := cmd.StdinPipe()
	if err == nil {
		var stdout io.ReadCloser
		if stdout, err = cmd.StdoutPipe(); err == nil {
			if err = cmd.Start(); err == nil {
				stop = func() {
					stdin.Close()
					cancel()
					_ = cmd.Wait()
					os.RemoveAll(dir)
				}
				line, rerr := bufio.NewReader(stdout).ReadString('\n')
				p, perr := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "LISTEN ")), 10, 16)
				if rerr != nil || !strings.HasPrefix(line, "LISTEN ") || perr != nil {
					stop()
					return 0, nil, fmt.Errorf("libtorrent seeder: %q %v", line, rerr)
				}
				return uint16(p), stop, nil
			}
		}
	}
	cancel()
	os.RemoveAll(dir)
	return 0, nil, fmt.Errorf("libtorrent seeder: %w", err)
}

// Seed is [Start] for a test: it skips t where libtorrent is missing and
// stops the seeder when the test ends.
func Seed(t testing.TB, file, torrentOut string, pieceLen int, mode, host string) uint16 {
	t.Helper()
	Need(t)
	port, stop, err := Start(context.Background(), file, torrentOut, pieceLen, mode, host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return port
}
