package localswarm

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/interop"
)

func TestStoreSamples(t *testing.T) {
	s := newStore()
	for i := range 5 {
		s.add([20]byte{byte(i)}, netip.AddrPort{})
	}
	src := netip.MustParseAddrPort("127.0.0.1:1")
	now := time.Unix(0, 0)
	seen := map[byte]bool{}
	tests := []struct {
		after     time.Duration
		wantEarly bool
	}{{0, false}, {500 * time.Millisecond, true}, {time.Second, false}, {time.Second, false}}
	for _, tt := range tests {
		now = now.Add(tt.after)
		samples, num, early := s.sample(src, 2, time.Second, now)
		if num != 5 || early != tt.wantEarly || len(samples) != 40 {
			t.Fatalf("after %v: %d bytes, num %d, early %v", tt.after, len(samples), num, early)
		}
		seen[samples[0]], seen[samples[20]] = true, true
	}
	if len(seen) != 5 {
		t.Errorf("three timely queries of 2 samples saw %d of 5 infohashes", len(seen))
	}
}

func TestStartClose(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sw, err := Start(ctx, Config{Nodes: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sw.nodes {
		if got := len(n.srv.Nodes()); got == 0 {
			t.Errorf("node %v has an empty table", n.addr)
		}
		if !n.addr.Addr().IsLoopback() {
			t.Errorf("node listens on %v", n.addr)
		}
	}
	ih := [20]byte{9}
	sw.AnnounceFake(ih, netip.MustParseAddrPort("127.0.0.1:9"))
	holders := 0
	for _, n := range sw.nodes {
		if len(n.store.GetPeers(ih)) == 1 {
			holders++
		}
	}
	if holders != 8 {
		t.Errorf("%d nodes hold the infohash, want 8", holders)
	}
	h, err := StartHostile(HostileSlowDrip)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	sw.Close()
	if !interop.Within(10*time.Second, func() bool { return runtime.NumGoroutine() <= base+1 }) {
		n := runtime.NumGoroutine()
		t.Errorf("%d goroutines after Close, %d before", n, base)
	}
}
