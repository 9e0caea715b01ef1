package dht

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// State is where a [Set] keeps its node ID and routing tables between
// runs (store.Store.KV("dht.") is one). Safe for concurrent use.
type State interface {
	Get(key string) ([]byte, bool)
	Put(key string, val []byte) error
}

// Keys of a Set's state: the node ID and each node's routing table.
const (
	stateID     = "id"
	stateNodes4 = "nodes"
	stateNodes6 = "nodes6"
)

// SetConfig configures a [Set].
type SetConfig struct {
	// Listen and Listen6 are the UDP addresses of the IPv4 and IPv6
	// (BEP 32) nodes; an empty one is not started. At least one is needed.
	Listen, Listen6 string
	// Bootstrap is as [Config.Bootstrap]: nil means the public routers.
	Bootstrap []string
	// AllowLocal, RateLimit and Logger are as in [Config].
	AllowLocal bool
	RateLimit  float64
	Logger     *slog.Logger
	// State keeps the node ID and the routing tables; nil keeps nothing.
	State State
}

// Set is our DHT presence: an IPv4 node and, when asked, an IPv6 node,
// sharing one node ID, which each restore their routing table from State
// and save it back. A Set is safe for concurrent use.
type Set struct {
	state State
	nodes []*Node
	keys  []string // state key of each node's table
}

// ErrNoNode is returned by [NewSet] when no listen address is given.
var ErrNoNode = errors.New("no DHT node to start: give a listen address")

// NewSet starts the nodes cfg asks for.
func NewSet(cfg SetConfig) (*Set, error) {
	set := &Set{state: cfg.State}
	var id [20]byte
	if b, ok := set.get(stateID); ok && len(b) == 20 {
		id = [20]byte(b)
	}
	for _, l := range []struct{ addr, key string }{{cfg.Listen, stateNodes4}, {cfg.Listen6, stateNodes6}} {
		if l.addr == "" {
			continue
		}
		ncfg := DefaultConfig()
		ncfg.ListenAddr = l.addr
		if cfg.Bootstrap != nil {
			ncfg.Bootstrap = cfg.Bootstrap
		}
		ncfg.AllowLocal = cfg.AllowLocal
		if cfg.RateLimit > 0 {
			ncfg.RateLimit = cfg.RateLimit
		}
		if cfg.Logger != nil {
			ncfg.Logger = cfg.Logger
		}
		ncfg.NodeID = id
		if b, ok := set.get(l.key); ok {
			json.Unmarshal(b, &ncfg.KnownNodes) // a damaged table only costs a bootstrap
		}
		n, err := New(ncfg)
		if err != nil {
			set.Close()
			return nil, err
		}
		id = n.ID()
		set.nodes, set.keys = append(set.nodes, n), append(set.keys, l.key)
	}
	if len(set.nodes) == 0 {
		return nil, ErrNoNode
	}
	if set.state != nil {
		if err := set.state.Put(stateID, id[:]); err != nil {
			set.Close()
			return nil, fmt.Errorf("save the DHT node ID: %w", err)
		}
	}
	return set, nil
}

func (s *Set) get(key string) ([]byte, bool) {
	if s.state == nil {
		return nil, false
	}
	return s.state.Get(key)
}

// Sources are the nodes as sighting sources.
func (s *Set) Sources() []crawler.Source {
	out := make([]crawler.Source, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = n
	}
	return out
}

// GetPeers asks every node at once and merges what they find.
func (s *Set) GetPeers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error) {
	if len(s.nodes) == 1 {
		return s.nodes[0].GetPeers(ctx, ih)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []netip.AddrPort
	var errs []error
	for _, n := range s.nodes {
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

// Stats sums the nodes' counters.
func (s *Set) Stats() Stats {
	var t Stats
	for _, n := range s.nodes {
		st := n.Stats()
		t.NodesInTable += st.NodesInTable
		t.NodesTracked += st.NodesTracked
		t.QueriesSent += st.QueriesSent
		t.Replies += st.Replies
		t.Timeouts += st.Timeouts
		t.ErrorReplies += st.ErrorReplies
		t.Bep51Nodes += st.Bep51Nodes
		t.NoBep51Nodes += st.NoBep51Nodes
		t.SamplesReceived += st.SamplesReceived
		t.GetPeersHeard += st.GetPeersHeard
		t.AnnouncesHeard += st.AnnouncesHeard
		t.InfohashesEmitted += st.InfohashesEmitted
		t.Dropped += st.Dropped
		t.NodesDropped += st.NodesDropped
	}
	return t
}

// Save writes every node's routing table to State.
func (s *Set) Save() error {
	if s.state == nil {
		return nil
	}
	var errs []error
	for i, n := range s.nodes {
		b, err := json.Marshal(n.Nodes())
		if err == nil {
			err = s.state.Put(s.keys[i], b)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Close stops every node.
func (s *Set) Close() {
	for _, n := range s.nodes {
		n.Close()
	}
}
