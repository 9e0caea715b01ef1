package dht_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// mapState is an in-memory dht.State.
type mapState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *mapState) Get(k string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok
}

func (s *mapState) Put(k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = append([]byte(nil), v...)
	return nil
}

func TestSetNeedsAListenAddress(t *testing.T) {
	if _, err := dht.NewSet(dht.SetConfig{}); !errors.Is(err, dht.ErrNoNode) {
		t.Fatalf("NewSet with no address: %v, want ErrNoNode", err)
	}
}

func TestSetKeepsIDAndTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 10, Interval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	ih := randomHash()
	planted := netip.MustParseAddrPort("127.0.0.1:9")
	sw.AnnounceFake(ih, planted)

	st := &mapState{m: map[string][]byte{"nodes6": []byte("{damaged")}}
	cfg := dht.SetConfig{Listen: "127.0.0.1:0", Bootstrap: sw.BootstrapAddrs(), AllowLocal: true, State: st}
	s1, err := dht.NewSet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	id1, ok := st.Get("id")
	if !ok || len(id1) != 20 {
		t.Fatalf("node ID not kept: %x", id1)
	}
	peers, err := s1.GetPeers(ctx, ih)
	if err != nil || !slices.Contains(peers, planted) {
		s1.Close()
		t.Fatalf("GetPeers through the set: %v %v", peers, err)
	}
	if err := s1.Save(); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	var saved []dht.NodeInfo
	b, _ := st.Get("nodes")
	if err := json.Unmarshal(b, &saved); err != nil || len(saved) == 0 {
		t.Fatalf("routing table not saved: %q %v", b, err)
	}

	// A second run on the same state has the same ID and, given no router,
	// still finds the swarm through the saved table.
	cfg.Bootstrap = []string{}
	s2, err := dht.NewSet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if id2, _ := st.Get("id"); string(id2) != string(id1) {
		t.Fatalf("node ID changed across runs: %x then %x", id1, id2)
	}
	if peers, err := s2.GetPeers(ctx, ih); err != nil || !slices.Contains(peers, planted) {
		t.Fatalf("restarted set found no peers from its saved table: %v %v", peers, err)
	}
}
