package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
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

// startDHT starts the nodes the flags ask for. Bootstrap nodes the
// address policy refuses are named on stderr; when all of them are, that
// is a usage error, since the node could find nobody.
func startDHT(s *store.Store, h *huntFlags, log *slog.Logger) (*dhtSet, error) {
	stderr := h.stderr
	if stderr == nil {
		stderr = io.Discard
	}
	bootstrap, err := bootstrapNodes(h, stderr)
	if err != nil {
		return nil, err
	}
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
		if bootstrap != nil {
			cfg.Bootstrap = bootstrap
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

// bootstrapNodes returns the DHT bootstrap nodes to use (nil: the
// package's public routers). With --allow-local and no --bootstrap it is
// none: a local swarm must not reach the public DHT. Nodes given by
// address that the policy refuses are left out and named on stderr.
func bootstrapNodes(h *huntFlags, stderr io.Writer) ([]string, error) {
	if len(h.bootstrap) == 0 {
		if h.allowLocal {
			say(stderr, "--allow-local without --bootstrap: no public DHT router is contacted; the DHT node knows only the nodes saved from earlier runs")
			return []string{}, nil
		}
		return nil, nil
	}
	pol := netpolicy.Policy{}
	if h.allowLocal {
		pol = netpolicy.Local()
	}
	var kept, refused []string
	for _, b := range h.bootstrap {
		ap, err := netip.ParseAddrPort(b)
		if err != nil { // a host name: checked when resolved and dialled
			kept = append(kept, b)
			continue
		}
		if err := pol.CheckAddrPort(ap); err != nil {
			refused = append(refused, b)
			var ae *netpolicy.AddressError
			why := err.Error()
			if errors.As(err, &ae) {
				why = ae.Reason + " address"
			}
			hint := ""
			if !h.allowLocal && (ae == nil || ae.Reason == netpolicy.Loopback || ae.Reason == netpolicy.Private) {
				hint = " (--allow-local allows loopback and private addresses)"
			}
			say(stderr, "--bootstrap %s refused: %s%s", b, why, hint)
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) == 0 {
		return nil, usagef("every --bootstrap node was refused (%s): the DHT node would find nobody", strings.Join(refused, ", "))
	}
	return kept, nil
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
