package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/store"
)

const stateDHTID = "dht.id"

// dhtSet is our DHT presence: an IPv4 node and, with --listen6, an IPv6
// node (BEP 32), sharing one node ID. Each restores its routing table from
// the store and saves it back.
type dhtSet struct {
	s     *store.Store
	nodes []*dht.Node
	keys  []string // state key of each node's table
}

// startDHT starts the nodes the flags ask for.
func startDHT(s *store.Store, h *huntFlags, log *slog.Logger) (*dhtSet, error) {
	set := &dhtSet{s: s}
	var id [20]byte
	if b, err := s.State(stateDHTID); err == nil && len(b) == 20 {
		id = [20]byte(b)
	}
	for _, l := range []struct{ addr, key string }{{h.listen, "dht.nodes"}, {h.listen6, "dht.nodes6"}} {
		if l.addr == "" {
			continue
		}
		cfg := dht.DefaultConfig()
		cfg.ListenAddr = l.addr
		if len(h.bootstrap) > 0 {
			cfg.Bootstrap = h.bootstrap
		}
		cfg.AllowLocal = h.allowLocal
		cfg.RateLimit = h.rate
		if log != nil {
			cfg.Logger = log
		}
		cfg.NodeID = id
		if b, err := s.State(l.key); err == nil {
			json.Unmarshal(b, &cfg.KnownNodes) // a damaged table only costs a bootstrap
		}
		n, err := dht.New(cfg)
		if err != nil {
			set.close()
			return nil, err
		}
		id = n.ID()
		set.nodes, set.keys = append(set.nodes, n), append(set.keys, l.key)
	}
	if len(set.nodes) == 0 {
		return nil, usagef("no DHT node to start: give --listen or --listen6")
	}
	if err := s.PutState(stateDHTID, id[:]); err != nil {
		set.close()
		return nil, err
	}
	return set, nil
}

// sources are the nodes as sighting sources.
func (d *dhtSet) sources() []crawler.Source {
	out := make([]crawler.Source, len(d.nodes))
	for i, n := range d.nodes {
		out[i] = n
	}
	return out
}

// GetPeers asks every node at once and merges what they find.
func (d *dhtSet) GetPeers(ctx context.Context, ih [20]byte) ([]netip.AddrPort, error) {
	if len(d.nodes) == 1 {
		return d.nodes[0].GetPeers(ctx, ih)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []netip.AddrPort
	var errs []error
	for _, n := range d.nodes {
		wg.Go(func() {
			ps, err := n.GetPeers(ctx, ih)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, ps...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(all) > 0 {
		return all, nil
	}
	return nil, errors.Join(errs...)
}

// stats sums the nodes' counters.
func (d *dhtSet) stats() dht.Stats {
	var t dht.Stats
	for _, n := range d.nodes {
		s := n.Stats()
		t.NodesInTable += s.NodesInTable
		t.NodesTracked += s.NodesTracked
		t.SamplesReceived += s.SamplesReceived
		t.GetPeersHeard += s.GetPeersHeard
		t.AnnouncesHeard += s.AnnouncesHeard
	}
	return t
}

// save writes every node's routing table to the store.
func (d *dhtSet) save() error {
	var errs []error
	for i, n := range d.nodes {
		b, err := json.Marshal(n.Nodes())
		if err == nil {
			err = d.s.PutState(d.keys[i], b)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (d *dhtSet) close() {
	for _, n := range d.nodes {
		n.Close()
	}
}
