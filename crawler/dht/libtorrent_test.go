package dht_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/crawler/metadata"
)

const python = "/usr/bin/python3"

// startLibtorrentSwarm runs testdata/lt_swarm.py and returns what it
// printed. The process is killed when the test ends.
func startLibtorrentSwarm(t *testing.T) (dhtAddrs []string, seed netip.AddrPort, ih [20]byte) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("skipping: %s not found (install python3-libtorrent)", python)
	}
	if err := exec.Command(python, "-c", "import libtorrent").Run(); err != nil {
		t.Skipf("skipping: python3-libtorrent not importable: %v", err)
	}
	cmd := exec.Command(python, "testdata/lt_swarm.py", t.TempDir(), "5")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	var out struct {
		DHT      []string `json:"dht"`
		SeedPeer string   `json:"seed_peer"`
		InfoHash string   `json:"infohash"`
		Error    string   `json:"error"`
	}
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &out); err != nil {
			t.Fatalf("lt_swarm.py printed %q: %v", l, err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("lt_swarm.py did not start")
	}
	if out.Error != "" {
		t.Fatalf("lt_swarm.py: %s", out.Error)
	}
	b, err := hex.DecodeString(out.InfoHash)
	if err != nil || len(b) != 20 {
		t.Fatalf("bad infohash %q", out.InfoHash)
	}
	return out.DHT, netip.MustParseAddrPort(out.SeedPeer), [20]byte(b)
}

// TestLibtorrentInterop crawls a swarm of libtorrent sessions, an
// independent DHT implementation that answers BEP 51 itself.
func TestLibtorrentInterop(t *testing.T) {
	dhtAddrs, seed, ih := startLibtorrentSwarm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	// Bootstrap from two of the sessions; the walk finds the others.
	n, err := dht.New(testConfig(dhtAddrs[len(dhtAddrs)-2:]))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := newCollector()
	stop := runDiscover(t, n, c)
	defer stop()
	if !c.waitFor(ctx, allSampled([][20]byte{ih})) {
		t.Fatalf("libtorrent's infohash was not sampled; stats %+v", n.Stats())
	}
	st := n.Stats()
	t.Logf("stats: %+v", st)
	if st.Bep51Nodes == 0 {
		t.Error("no libtorrent node answered sample_infohashes")
	}
	var peers []netip.AddrPort
	for !slices.Contains(peers, seed) {
		if peers, err = n.GetPeers(ctx, ih); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatalf("GetPeers = %v, want %v among them", peers, seed)
		}
		if !slices.Contains(peers, seed) {
			time.Sleep(200 * time.Millisecond) // the announce may still be on its way
		}
	}
	info, err := metadata.New(metadata.Config{PeerTimeout: 10 * time.Second, AllowLoopback: true}).Fetch(ctx, ih, peers)
	if err != nil {
		t.Fatal(err)
	}
	if sha1.Sum(info) != ih {
		t.Fatal("metadata does not hash to the infohash")
	}
	t.Logf("fetched %d bytes of metadata from libtorrent", len(info))
}
