package interop

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Python is the interpreter the libtorrent peers run under.
const Python = "/usr/bin/python3"

//go:embed lt_peer.py
var ltPeerScript string

// NeedLibtorrent skips t unless /usr/bin/python3 can import libtorrent.
func NeedLibtorrent(t testing.TB) {
	t.Helper()
	need(t, Python)
	if out, err := exec.Command(Python, "-c", "import libtorrent").CombinedOutput(); err != nil {
		t.Skipf("skipping: %s cannot import libtorrent (apt-get install python3-libtorrent): %v %s", Python, err, out)
	}
}

// spawnLibtorrent runs a libtorrent peer (lt_peer.py) holding tor: a seed,
// or with opt.Empty a peer in upload mode that holds no piece and
// downloads none.
func spawnLibtorrent(t testing.TB, tor *Torrent, opt Options) (*Peer, func()) {
	t.Helper()
	NeedLibtorrent(t)
	st := prepare(t, Python, tor, opt)
	host, port := st.host, st.port
	cfg, _ := json.Marshal(map[string]any{
		"torrent": st.torrentPath, "save_path": st.dataDir, "host": host.String(), "port": port,
		"tcp": opt.Transport != "utp", "utp": opt.Transport != "tcp",
		"encryption": opt.Encryption.String(), "seed": !opt.Empty, "upload_mode": opt.Empty,
	})
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	p := start(t, st.dir, stdinR, outW, st.bin, "-c", ltPeerScript, string(cfg))
	go func() { <-p.exited; outW.Close(); stdinR.Close() }()
	t.Cleanup(func() { stdinW.Close() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	ready := func() {
		t.Helper()
		var line string
		p.waitFor(t, "libtorrent "+opt.String(), func() (bool, error) {
			select {
			case l, ok := <-lines:
				if !ok {
					return false, io.EOF
				}
				line = l
				return true, nil
			default:
				return false, nil
			}
		})
		var first struct {
			Port  int    `json:"port"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &first); err != nil || first.Error != "" || first.Port != port {
			t.Fatalf("libtorrent peer said %q (%v), want port %d; log:\n%s", line, err, port, p.log())
		}
	}
	var mu sync.Mutex
	status := func(ctx context.Context) (downloaded int64, clients []string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(stdinW, "status\n"); err != nil {
			return 0, nil, err
		}
		select {
		case l, ok := <-lines:
			if !ok {
				return 0, nil, io.EOF
			}
			var st struct {
				Downloaded int64    `json:"downloaded"`
				Clients    []string `json:"clients"`
			}
			if err := json.Unmarshal([]byte(l), &st); err != nil {
				return 0, nil, fmt.Errorf("libtorrent status %q: %w", l, err)
			}
			return st.Downloaded, st.Clients, nil
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
	return &Peer{
		Name: "libtorrent " + opt.String(),
		Addr: netip.AddrPortFrom(host, uint16(port)),
		Downloaded: func(ctx context.Context) (int64, error) {
			d, _, err := status(ctx)
			return d, err
		},
		PeerClients: func(ctx context.Context) ([]string, error) {
			_, c, err := status(ctx)
			return c, err
		},
	}, ready
}

// IdentifyClient returns the client name libtorrent gives a peer id.
func IdentifyClient(t testing.TB, peerID [20]byte) string {
	t.Helper()
	NeedLibtorrent(t)
	out, err := exec.Command(Python, "-c", "import sys, libtorrent as lt; print(lt.identify_client(lt.sha1_hash(bytes.fromhex(sys.argv[1]))))",
		fmt.Sprintf("%x", peerID)).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
