package dht_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	alog "github.com/anacrolix/log"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

func TestMain(m *testing.M) {
	// Before any anacrolix client or server exists.
	alog.Default.SetHandlers(alog.DiscardHandler)
	os.Exit(m.Run())
}

// collector records sightings; safe for concurrent use.
type collector struct {
	mu     sync.Mutex
	seen   map[fingerprint.InfoHash][]crawler.Sighting // by infohash
	notify chan struct{}
}

func newCollector() *collector {
	return &collector{seen: make(map[fingerprint.InfoHash][]crawler.Sighting), notify: make(chan struct{}, 1)}
}

func (c *collector) emit(s crawler.Sighting) {
	c.mu.Lock()
	c.seen[s.InfoHash] = append(c.seen[s.InfoHash], s)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// waitFor waits until ok holds for the sightings or ctx ends.
func (c *collector) waitFor(ctx context.Context, ok func(map[fingerprint.InfoHash][]crawler.Sighting) bool) bool {
	for {
		c.mu.Lock()
		done := ok(c.seen)
		c.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-c.notify:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *collector) has(ih [20]byte, source string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.seen[fingerprint.InfoHash(ih)] {
		if s.Source == source {
			return true
		}
	}
	return false
}

func testConfig(bootstrap []string) dht.Config {
	cfg := dht.DefaultConfig()
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Bootstrap = bootstrap
	cfg.AllowLocal = true
	cfg.QueryTimeout = 500 * time.Millisecond
	cfg.GetPeersTimeout = 5 * time.Second
	cfg.RateLimit = 2000
	cfg.FailureBackoff = 2 * time.Second
	return cfg
}

// runDiscover runs Discover in the background; the returned func stops it
// and reports its error.
func runDiscover(t *testing.T, n *dht.Node, c *collector) func() {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- n.Discover(ctx, c.emit) }()
	return func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Discover: %v", err)
		}
	}
}

func allSampled(ihs [][20]byte) func(map[fingerprint.InfoHash][]crawler.Sighting) bool {
	return func(seen map[fingerprint.InfoHash][]crawler.Sighting) bool {
		for _, ih := range ihs {
			if !slices.ContainsFunc(seen[fingerprint.InfoHash(ih)], func(s crawler.Sighting) bool {
				return s.Source == dht.SourceSample
			}) {
				return false
			}
		}
		return true
	}
}

func randomHash() (h [20]byte) {
	_, _ = rand.Read(h[:])
	return h
}

// waitGoroutines waits for the goroutine count to fall back to at most n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	if !interop.Within(10*time.Second, func() bool { return runtime.NumGoroutine() <= n }) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), n, buf)
	}
}

func TestCrawlLocalSwarm(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 30, Interval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()

	var seeders []*localswarm.Seeder
	for i := range 3 {
		data := bytes.Repeat([]byte(fmt.Sprintf("leaked document %d\n", i)), 20_000+i*5000)
		cfg := localswarm.SeederConfig{Name: fmt.Sprintf("leak-%d.txt", i), Files: []localswarm.File{{Data: data}}, PieceLength: 32 << 10}
		if i == 2 {
			cfg = localswarm.SeederConfig{Name: "bundle", PieceLength: 16 << 10, Files: []localswarm.File{
				{Path: "a/one.txt", Data: data}, {Path: "two.txt", Data: []byte("second file")}}}
		}
		s, err := sw.AddSeeder(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		seeders = append(seeders, s)
	}
	fake := netip.MustParseAddrPort("127.0.0.1:9") // nothing listens there
	for range 40 {
		sw.AnnounceFake(randomHash(), fake)
	}

	n, err := dht.New(testConfig(sw.BootstrapAddrs()))
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	stop := runDiscover(t, n, c)
	if !c.waitFor(ctx, allSampled(sw.Infohashes())) {
		t.Fatalf("not every infohash sampled: %+v", n.Stats())
	}
	t.Logf("stats after discovery: %+v", n.Stats())
	// The walk reaches every node, from three bootstrap nodes.
	if !interop.Until(ctx, func() bool { return n.Stats().Bep51Nodes >= 30 }) {
		t.Fatalf("the walk reached %d of 30 nodes", n.Stats().Bep51Nodes)
	}

	f := metadata.New(metadata.Config{PeerTimeout: 5 * time.Second, AllowLoopback: true})
	for _, s := range seeders {
		peers, err := n.GetPeers(ctx, s.InfoHash)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(peers, s.Addr) {
			t.Fatalf("GetPeers(%x) = %v, want %v among them", s.InfoHash, peers, s.Addr)
		}
		info, err := f.Fetch(ctx, s.InfoHash, peers)
		if err != nil {
			t.Fatal(err)
		}
		if sha1.Sum(info) != s.InfoHash || !bytes.Equal(info, s.InfoBytes) {
			t.Fatal("fetched metadata differs")
		}
	}
	// A fake announce gives a peer with nothing behind it.
	fakeIH := sw.Infohashes()[len(seeders)]
	peers, err := n.GetPeers(ctx, fakeIH)
	if err != nil || !slices.Equal(peers, []netip.AddrPort{fake}) {
		t.Fatalf("GetPeers(fake) = %v, %v", peers, err)
	}
	if _, err := f.Fetch(ctx, fakeIH, peers); metadata.Kind(err) != "dial" {
		t.Fatalf("fetch from a fake peer: %v", err)
	}

	stop()
	ss := sw.Stats()
	if ss.EarlySampleQueries != 0 {
		t.Errorf("%d sample_infohashes queries came before the node's interval", ss.EarlySampleQueries)
	}
	if ss.AnnouncePeerQueries != 0 {
		t.Errorf("the swarm received %d announce_peer queries; the crawler must never announce", ss.AnnouncePeerQueries)
	}
	if saved := n.Nodes(); len(saved) < 20 {
		t.Errorf("Nodes() returned %d nodes, want most of the 30", len(saved))
	}
	n.Close()
	sw.Close()
	waitGoroutines(t, base+2)
}

func TestListenerSeesClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	n, err := dht.New(testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := newCollector()
	stop := runDiscover(t, n, c)
	defer stop()

	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	s, err := sw.AddSeeder(ctx, localswarm.SeederConfig{
		Name: "announced.txt", Files: []localswarm.File{{Data: []byte("announced through the DHT")}},
		AnnounceDHT: []string{n.Addr().String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	ih := fingerprint.InfoHash(s.InfoHash)
	ok := c.waitFor(ctx, func(seen map[fingerprint.InfoHash][]crawler.Sighting) bool {
		var gp, ann bool
		for _, x := range seen[ih] {
			gp = gp || x.Source == dht.SourceGetPeers
			ann = ann || x.Source == dht.SourceAnnounce && x.Peer == s.Addr.String()
		}
		return gp && ann
	})
	if !ok {
		c.mu.Lock()
		t.Fatalf("listener saw %+v for %s, want get_peers and announce naming %s; stats %+v", c.seen[ih], ih, s.Addr, n.Stats())
	}
	// We answer get_peers with the announced peer, as a normal node.
	peers, err := n.GetPeers(ctx, s.InfoHash)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GetPeers from the listener's own traversal: %v", peers)
}

func TestRestartFromSavedNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 20, Interval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	for range 20 {
		sw.AddInfohash(randomHash())
	}
	n1, err := dht.New(testConfig(sw.BootstrapAddrs()))
	if err != nil {
		t.Fatal(err)
	}
	c1 := newCollector()
	stop := runDiscover(t, n1, c1)
	if !c1.waitFor(ctx, allSampled(sw.Infohashes())) {
		t.Fatalf("first run did not sample everything: %+v", n1.Stats())
	}
	stop()
	saved := n1.Nodes()
	n1.Close()
	if len(saved) == 0 {
		t.Fatal("no nodes saved")
	}

	// A trap router: any packet it receives means we bootstrapped from it.
	trap, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer trap.Close()
	trapped := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 2048)
		if _, _, err := trap.ReadFrom(buf); err == nil {
			trapped <- struct{}{}
		}
	}()
	more := randomHash()
	sw.AddInfohash(more)
	cfg := testConfig([]string{trap.LocalAddr().String()})
	cfg.KnownNodes = saved
	n2, err := dht.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	c2 := newCollector()
	stop2 := runDiscover(t, n2, c2)
	defer stop2()
	if !c2.waitFor(ctx, allSampled(sw.Infohashes())) {
		t.Fatalf("restart did not sample everything: %+v", n2.Stats())
	}
	select {
	case <-trapped:
		t.Fatal("the restarted node contacted the bootstrap router")
	default:
	}
}

func TestBootstrapWhenNothingKnown(t *testing.T) {
	// With no known nodes and an unreachable router, Discover keeps running
	// and returns when its context ends.
	trap, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer trap.Close()
	got := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 2048)
		if _, _, err := trap.ReadFrom(buf); err == nil {
			got <- struct{}{}
		}
	}()
	n, err := dht.New(testConfig([]string{trap.LocalAddr().String()}))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Discover(ctx, func(crawler.Sighting) {}) }()
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("the router was never contacted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPublicOnlyByDefault(t *testing.T) {
	// Without AllowLocal the node refuses to talk to loopback nodes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	sw.AddInfohash(randomHash())
	cfg := testConfig(sw.BootstrapAddrs())
	cfg.AllowLocal = false
	n, err := dht.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	dctx, dcancel := context.WithTimeout(ctx, time.Second)
	defer dcancel()
	if err := n.Discover(dctx, func(crawler.Sighting) {}); err != nil {
		t.Fatal(err)
	}
	if st := sw.Stats(); st.SampleQueries != 0 {
		t.Fatalf("swarm received %d sample queries from a node limited to public addresses", st.SampleQueries)
	}
}
