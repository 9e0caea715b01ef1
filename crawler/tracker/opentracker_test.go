package tracker

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/interop"
)

// TestOpentracker asks a real tracker, opentracker, over HTTP and UDP. It
// answers a stopped announce with no peers, so the default mode announces
// as a leecher that serves nothing and withdraws; afterwards the tracker
// lists the seeder and nothing of ours.
func TestOpentracker(t *testing.T) {
	ih := [20]byte{0x1e, 0xa4, 0x40, 0x7e}
	tr := interop.StartOpentracker(t, ih)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seeder := netip.MustParseAddrPort("127.0.0.1:5001")
	if _, err := tr.Announce(ctx, ih, seeder.Port(), 0, "started"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{tr.HTTP, tr.UDP} {
		stopped, err := testClient(ModeStopped).Announce(ctx, u, ih, 0)
		if err != nil {
			t.Fatalf("%s, stopped only: %v", u, err)
		}
		if len(stopped.Peers) != 0 {
			t.Logf("%s answered a stopped announce with %v: this opentracker behaves unlike the one the mode exists for", u, stopped.Peers)
		}
		r, err := testClient(ModeLeecher).Announce(ctx, u, ih, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if !slices.Equal(r.Peers, []netip.AddrPort{seeder}) || !r.HasCounts || r.Seeders != 1 {
			t.Errorf("%s: peers %v, seeders %d, want the seeder %v", u, r.Peers, r.Seeders, seeder)
		}
		// Another leecher of the swarm sees the seeder alone: neither a
		// usable address of ours nor the IP:0 we stood as for a moment.
		others, err := tr.Peers(ctx, ih, 6000)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(others, []netip.AddrPort{seeder}) {
			t.Errorf("after our %s announces the tracker lists %v, want only %v", u, others, seeder)
		}
	}
	c, err := testClient(ModeLeecher).Scrape(ctx, tr.UDP, ih)
	if err != nil || c.Seeders != 1 || c.Leechers != 0 {
		t.Errorf("scrape after our announces: %+v, %v, want 1 seeder and no leecher", c, err)
	}
}
