package localswarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config describes a swarm. The zero value of a field means its default.
type Config struct {
	// Nodes is the number of DHT nodes (default 16).
	Nodes int
	// SampleSize is the most infohashes in one sample_infohashes reply
	// (default 20, libtorrent's maximum).
	SampleSize int
	// Interval is the BEP 51 interval each node advertises, whole seconds
	// (default 60 s). Queries from the same address that arrive sooner get the
	// previous samples again and are counted in [Stats.EarlySampleQueries].
	Interval time.Duration
	// Replicas is how many of the nodes closest to an infohash store it
	// (default 8, as in BEP 5).
	Replicas int
	// Logger receives debug logs (default: discard).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Nodes <= 0 {
		c.Nodes = 16
	}
	if c.SampleSize <= 0 {
		c.SampleSize = 20
	}
	if c.Interval <= 0 {
		c.Interval = time.Minute
	}
	c.Interval = c.Interval.Truncate(time.Second)
	if c.Interval < time.Second {
		c.Interval = time.Second
	}
	if c.Replicas <= 0 {
		c.Replicas = 8
	}
	c.Replicas = min(c.Replicas, c.Nodes)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Stats counts what the swarm's nodes saw. Read it with [Swarm.Stats].
type Stats struct {
	// SampleQueries is the number of sample_infohashes queries received.
	SampleQueries int64
	// EarlySampleQueries is how many of them came from an address before the
	// interval advertised to it had passed.
	EarlySampleQueries int64
	// GetPeersQueries is the number of get_peers queries received.
	GetPeersQueries int64
	// AnnouncePeerQueries is the number of announce_peer queries received.
	AnnouncePeerQueries int64
}

type swarmStats struct {
	sampleQueries, earlySampleQueries, getPeers, announcePeer atomic.Int64
}

// Swarm is a running local swarm. Its methods are safe for concurrent use.
type Swarm struct {
	cfg   Config
	nodes []*node
	dir   string // temporary directory for seeded files

	stats swarmStats

	mu          sync.Mutex
	closed      bool
	wg          sync.WaitGroup
	infohashes  [][20]byte
	seen        map[[20]byte]bool
	seeders     []*Seeder
	seederCount int
}

// Start launches cfg.Nodes DHT nodes on 127.0.0.1 and bootstraps them to
// each other. The swarm runs until [Swarm.Close]; ctx bounds only the start.
func Start(ctx context.Context, cfg Config) (*Swarm, error) {
	cfg = cfg.withDefaults()
	sw := &Swarm{cfg: cfg, seen: make(map[[20]byte]bool)}
	for i := 0; i < cfg.Nodes; i++ {
		// Each node starts from up to 4 random nodes started before it, so
		// the swarm is one connected graph.
		var starting []netip.AddrPort
		for j := 0; j < min(4, i); j++ {
			starting = append(starting, sw.nodes[rand.IntN(i)].addr)
		}
		if i == 0 {
			starting = nil
		}
		n, err := startNode(sw, func() []netip.AddrPort {
			if len(starting) == 0 && len(sw.nodes) > 1 {
				return []netip.AddrPort{sw.nodes[1].addr}
			}
			return starting
		})
		if err != nil {
			sw.Close()
			return nil, err
		}
		sw.nodes = append(sw.nodes, n)
	}
	// Two rounds: the second one fills tables with nodes that joined later.
	for round := 0; round < 2 && len(sw.nodes) > 1; round++ {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(32)
		for _, n := range sw.nodes[min(1, len(sw.nodes)-1):] {
			g.Go(func() error { return n.bootstrap(gctx) })
		}
		if err := g.Wait(); err != nil {
			sw.Close()
			return nil, fmt.Errorf("bootstrap local swarm: %w", err)
		}
	}
	if len(sw.nodes) > 1 {
		if err := sw.nodes[0].bootstrap(ctx); err != nil {
			sw.Close()
			return nil, fmt.Errorf("bootstrap local swarm: %w", err)
		}
	}
	cfg.Logger.Debug("local swarm started", "nodes", len(sw.nodes))
	return sw, nil
}

// spawn runs f in a goroutine owned by the swarm, unless it is closed.
func (sw *Swarm) spawn(f func()) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.closed {
		return false
	}
	sw.wg.Add(1)
	go func() {
		defer sw.wg.Done()
		f()
	}()
	return true
}

// BootstrapAddrs returns the addresses of up to three nodes, for a crawler
// to bootstrap from ("127.0.0.1:port").
func (sw *Swarm) BootstrapAddrs() []string {
	var out []string
	for _, n := range sw.nodes[:min(3, len(sw.nodes))] {
		out = append(out, n.addr.String())
	}
	return out
}

// AddInfohash stores ih, with the given peers (possibly none), in the
// Replicas nodes whose IDs are closest to it.
func (sw *Swarm) AddInfohash(ih [20]byte, peers ...netip.AddrPort) {
	sw.mu.Lock()
	if !sw.seen[ih] {
		sw.seen[ih] = true
		sw.infohashes = append(sw.infohashes, ih)
	}
	sw.mu.Unlock()
	for _, n := range sw.closest(ih, sw.cfg.Replicas) {
		if len(peers) == 0 {
			n.store.add(ih, netip.AddrPort{})
		}
		for _, p := range peers {
			n.store.add(ih, p)
		}
	}
}

// AnnounceFake registers addr as a peer of ih although nothing listens
// there, as a forged or stale announce would.
func (sw *Swarm) AnnounceFake(ih [20]byte, addr netip.AddrPort) {
	sw.AddInfohash(ih, addr)
}

func (sw *Swarm) closest(ih [20]byte, k int) []*node {
	ns := slices.Clone(sw.nodes)
	slices.SortFunc(ns, func(a, b *node) int {
		da, db := xor(a.id, ih), xor(b.id, ih)
		return bytes.Compare(da[:], db[:])
	})
	return ns[:min(k, len(ns))]
}

// Infohashes returns every infohash added to the swarm, in order.
func (sw *Swarm) Infohashes() [][20]byte {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return slices.Clone(sw.infohashes)
}

// Stats returns a snapshot of the swarm's counters.
func (sw *Swarm) Stats() Stats {
	return Stats{
		SampleQueries:       sw.stats.sampleQueries.Load(),
		EarlySampleQueries:  sw.stats.earlySampleQueries.Load(),
		GetPeersQueries:     sw.stats.getPeers.Load(),
		AnnouncePeerQueries: sw.stats.announcePeer.Load(),
	}
}

// tempDir returns the swarm's directory for seeded files, creating it.
func (sw *Swarm) tempDir() (string, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.closed {
		return "", errors.New("swarm is closed")
	}
	if sw.dir == "" {
		d, err := os.MkdirTemp("", "localswarm-")
		if err != nil {
			return "", fmt.Errorf("create swarm directory: %w", err)
		}
		sw.dir = d
	}
	return sw.dir, nil
}

// Close stops every node and seeder, waits for their goroutines and
// removes the files it created. It is safe to call more than once.
func (sw *Swarm) Close() {
	sw.mu.Lock()
	if sw.closed {
		sw.mu.Unlock()
		return
	}
	sw.closed = true
	seeders := sw.seeders
	sw.mu.Unlock()
	for _, s := range seeders {
		s.Close()
	}
	for _, n := range sw.nodes {
		n.close()
	}
	sw.wg.Wait()
	if sw.dir != "" {
		_ = os.RemoveAll(sw.dir)
	}
}
