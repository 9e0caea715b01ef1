package dht

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/time/rate"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Source names used in the sightings a Node emits.
const (
	SourceSample   = crawler.SourceDHTSample
	SourceGetPeers = crawler.SourceDHTGetPeers
	SourceAnnounce = crawler.SourceDHTAnnounce
)

var _ crawler.Source = (*Node)(nil)

// ErrClosed is returned by a Node's methods after [Node.Close].
var ErrClosed = errors.New("dht node is closed")

// Node is a DHT node that crawls. Create it with [New]; all its methods are
// safe for concurrent use.
type Node struct {
	cfg     Config
	log     *slog.Logger
	srv     *dht.Server
	conn    net.PacketConn
	ipv6    bool
	sendLim *rate.Limiter // every packet the server sends
	store   *peerStore
	sampler *sampler

	heard   chan crawler.Sighting // listener -> Discover
	stats   counters
	running atomic.Bool

	mu        sync.Mutex // guards maintStarted with closed
	maintOn   bool
	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

type counters struct {
	queriesSent, replies, timeouts, errorReplies    atomic.Int64
	bep51Nodes, noBep51Nodes, samples               atomic.Int64
	emitted, dropped, getPeersHeard, announcesHeard atomic.Int64
	nodesDropped                                    atomic.Int64
}

// Stats is a snapshot of a Node's counters.
type Stats struct {
	// NodesInTable is the number of nodes in the DHT routing table.
	NodesInTable int
	// NodesTracked is the number of nodes the sampler tracks.
	NodesTracked int
	// QueriesSent counts the sampler's queries (sample_infohashes and
	// find_node); Replies, Timeouts and ErrorReplies their outcomes.
	QueriesSent, Replies, Timeouts, ErrorReplies int64
	// Bep51Nodes and NoBep51Nodes count nodes seen answering with samples
	// and without.
	Bep51Nodes, NoBep51Nodes int64
	// SamplesReceived counts infohashes received in samples.
	SamplesReceived int64
	// GetPeersHeard and AnnouncesHeard count queries received.
	GetPeersHeard, AnnouncesHeard int64
	// InfohashesEmitted counts sightings passed to emit.
	InfohashesEmitted int64
	// Dropped counts listener sightings lost because the queue was full.
	Dropped int64
	// NodesDropped counts nodes not tracked because the table was full.
	NodesDropped int64
}

// New starts a node listening on cfg.ListenAddr. It answers queries at once;
// crawling starts with [Node.Discover]. Call [Node.Close] when done.
func New(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	ap, err := netip.ParseAddrPort(cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: want ip:port: %w", cfg.ListenAddr, err)
	}
	network := "udp4"
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		network = "udp6"
	}
	conn, err := net.ListenPacket(network, ap.String())
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	if uc, ok := conn.(*net.UDPConn); ok {
		// Replies to a burst of queries arrive together; the kernel caps
		// this at net.core.rmem_max.
		_ = uc.SetReadBuffer(4 << 20)
	}
	n := &Node{
		cfg:     cfg,
		log:     cfg.Logger,
		conn:    conn,
		ipv6:    network == "udp6",
		sendLim: rate.NewLimiter(rate.Limit(cfg.RateLimit), max(1, int(cfg.RateLimit/10))),
		store:   newPeerStore(cfg.PeerStoreInfohashes, cfg.PeerStorePeers),
		heard:   make(chan crawler.Sighting, cfg.ListenerBuffer),
		closed:  make(chan struct{}),
	}
	scfg := dht.NewDefaultServerConfig()
	scfg.Conn = conn
	scfg.NodeId = cfg.NodeID
	scfg.NoSecurity = true
	scfg.SendLimiter = n.sendLim
	scfg.PeerStore = n.store
	scfg.QueryResendDelay = func() time.Duration { return cfg.QueryTimeout }
	scfg.Logger = alog.Default.WithFilterLevel(alog.Disabled)
	scfg.OnQuery = n.onQuery
	scfg.OnAnnouncePeer = n.onAnnouncePeer
	scfg.IPBlocklist = policyBlocklist{n.policy()}
	if n.ipv6 {
		scfg.DefaultWant = []krpc.Want{krpc.WantNodes6}
	} else {
		scfg.DefaultWant = []krpc.Want{krpc.WantNodes}
	}
	// The server falls back on these only when its table is empty.
	scfg.StartingNodes = func() ([]dht.Addr, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var out []dht.Addr
		for _, a := range resolve(ctx, cfg.Bootstrap, n.ipv6) {
			out = append(out, dht.NewAddr(net.UDPAddrFromAddrPort(a)))
		}
		if len(out) == 0 {
			return nil, errors.New("no bootstrap node resolved")
		}
		return out, nil
	}
	srv, err := dht.NewServer(scfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start dht server: %w", err)
	}
	n.srv = srv
	n.sampler = newSampler(n)
	for _, ni := range cfg.KnownNodes {
		id, ap, err := ni.parse()
		if err != nil {
			n.log.Debug("skipping saved node", "node", ni.Addr, "err", err)
			continue
		}
		if ap.Addr().Is6() != n.ipv6 {
			continue
		}
		_ = srv.AddNode(krpc.NodeInfo{ID: id, Addr: krpc.NodeAddr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port())}})
		n.sampler.learn(ap, &id)
	}
	return n, nil
}

func (ni NodeInfo) parse() (id [20]byte, ap netip.AddrPort, err error) {
	b, err := hex.DecodeString(ni.ID)
	if err != nil || len(b) != 20 {
		return id, ap, fmt.Errorf("node id %q: want 40 hex digits", ni.ID)
	}
	copy(id[:], b)
	ap, err = netip.ParseAddrPort(ni.Addr)
	if err != nil {
		return id, ap, fmt.Errorf("node address %q: %w", ni.Addr, err)
	}
	return id, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// resolve turns host:port strings into addresses of the wanted family.
func resolve(ctx context.Context, hostPorts []string, ipv6 bool) []netip.AddrPort {
	var out []netip.AddrPort
	for _, hp := range hostPorts {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			continue
		}
		pn, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
		if err != nil {
			continue
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			continue
		}
		for _, ip := range ips {
			ip = ip.Unmap()
			if ip.Is6() == ipv6 {
				out = append(out, netip.AddrPortFrom(ip, uint16(pn)))
			}
		}
	}
	return out
}

// Name implements crawler.Source.
func (n *Node) Name() string { return "dht" }

// Addr returns the UDP address the node listens on.
func (n *Node) Addr() netip.AddrPort {
	return n.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// ID returns our node ID.
func (n *Node) ID() [20]byte { return n.srv.ID() }

// onQuery runs with the server's lock held: it must not block or call the
// server. It hands sightings to Discover through a bounded channel.
func (n *Node) onQuery(q *krpc.Msg, src net.Addr) bool {
	if q.Q != "get_peers" || q.A == nil {
		return true
	}
	n.stats.getPeersHeard.Add(1)
	n.hear(crawler.Sighting{
		Time:     time.Now().UTC(),
		InfoHash: fingerprint.InfoHash(q.A.InfoHash),
		Source:   SourceGetPeers,
	})
	return true
}

// onAnnouncePeer is called (in its own goroutine) for announce_peer queries
// with a valid token; port already honours implied_port.
func (n *Node) onAnnouncePeer(ih metainfo.Hash, ip net.IP, port int, portOk bool) {
	n.stats.announcesHeard.Add(1)
	s := crawler.Sighting{
		Time:     time.Now().UTC(),
		InfoHash: fingerprint.InfoHash(ih),
		Source:   SourceAnnounce,
	}
	if a, ok := netip.AddrFromSlice(ip); ok && portOk && port > 0 && port <= 65535 {
		s.Peer = netip.AddrPortFrom(a.Unmap(), uint16(port)).String()
	}
	n.hear(s)
}

func (n *Node) hear(s crawler.Sighting) {
	select {
	case n.heard <- s:
	default:
		n.stats.dropped.Add(1)
	}
}

// Discover implements crawler.Source: it runs the sampler and forwards what
// the listener hears until ctx is done or the node is closed. emit is
// called from several goroutines and may block. Only one Discover may run
// at a time.
func (n *Node) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("dht node: Discover is already running")
	}
	defer n.running.Store(false)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	select {
	case <-n.closed:
		return ErrClosed
	default:
	}
	n.startMaintainer()
	count := func(s crawler.Sighting) {
		n.stats.emitted.Add(1)
		emit(s)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-n.closed:
				cancel()
				return
			case s := <-n.heard:
				count(s)
			}
		}
	}()
	n.sampler.run(ctx, count)
	cancel()
	wg.Wait()
	return nil
}

// startMaintainer starts the server's table maintenance once; it ends with
// the server.
func (n *Node) startMaintainer() {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-n.closed:
		return
	default:
	}
	if n.maintOn {
		return
	}
	n.maintOn = true
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.srv.TableMaintainer()
	}()
}

// GetPeers runs a get_peers traversal for ih (no announce) bounded by
// Config.GetPeersTimeout and returns the distinct peers found.
func (n *Node) GetPeers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error) {
	select {
	case <-n.closed:
		return nil, ErrClosed
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.GetPeersTimeout)
	defer cancel()
	a, err := n.srv.AnnounceTraversal(ih)
	if err != nil {
		return nil, fmt.Errorf("get_peers %x: %w", ih, err)
	}
	seen := make(map[netip.AddrPort]bool)
	var out []netip.AddrPort
	stopped := false
	for {
		select {
		case pv, ok := <-a.Peers:
			if !ok {
				a.Close()
				return out, nil
			}
			for _, p := range pv.Peers {
				ip, ok := netip.AddrFromSlice(p.IP)
				if !ok || p.Port <= 0 || p.Port > 65535 {
					continue
				}
				ap := netip.AddrPortFrom(ip.Unmap(), uint16(p.Port))
				if n.policy().CheckAddrPort(ap) != nil {
					continue
				}
				if !seen[ap] && len(out) < 1000 {
					seen[ap] = true
					out = append(out, ap)
				}
			}
		case <-ctx.Done():
			if !stopped {
				// Stop the traversal and keep draining until Peers closes,
				// so no goroutine of the traversal is left behind.
				a.Close()
				stopped = true
			}
		}
	}
}

// Nodes returns the nodes worth saving for the next run: the routing table
// and the nodes that answered the sampler recently.
func (n *Node) Nodes() []NodeInfo {
	seen := make(map[string]bool)
	var out []NodeInfo
	add := func(id [20]byte, ap netip.AddrPort) {
		s := ap.String()
		if seen[s] || !ap.IsValid() {
			return
		}
		seen[s] = true
		out = append(out, NodeInfo{ID: hex.EncodeToString(id[:]), Addr: s})
	}
	for _, ni := range n.srv.Nodes() {
		ip, ok := netip.AddrFromSlice(ni.Addr.IP)
		if !ok || ni.Addr.Port <= 0 || ni.Addr.Port > 65535 {
			continue
		}
		add(ni.ID, netip.AddrPortFrom(ip.Unmap(), uint16(ni.Addr.Port)))
	}
	for _, g := range n.sampler.goodNodes(1000) {
		add(g.id, g.addr)
	}
	return out
}

// Stats returns a snapshot of the node's counters. Do not call it from an
// anacrolix callback (it takes the server's lock).
func (n *Node) Stats() Stats {
	return Stats{
		NodesInTable:      n.srv.NumNodes(),
		NodesTracked:      n.sampler.tracked(),
		QueriesSent:       n.stats.queriesSent.Load(),
		Replies:           n.stats.replies.Load(),
		Timeouts:          n.stats.timeouts.Load(),
		ErrorReplies:      n.stats.errorReplies.Load(),
		Bep51Nodes:        n.stats.bep51Nodes.Load(),
		NoBep51Nodes:      n.stats.noBep51Nodes.Load(),
		SamplesReceived:   n.stats.samples.Load(),
		GetPeersHeard:     n.stats.getPeersHeard.Load(),
		AnnouncesHeard:    n.stats.announcesHeard.Load(),
		InfohashesEmitted: n.stats.emitted.Load(),
		Dropped:           n.stats.dropped.Load(),
		NodesDropped:      n.stats.nodesDropped.Load(),
	}
}

// Close stops the node and waits for its goroutines. Discover returns soon
// after. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		close(n.closed)
		n.mu.Unlock()
		n.srv.Close()
	})
	n.wg.Wait()
	return nil
}
