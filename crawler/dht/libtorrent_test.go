package dht_test

import (
	"context"
	"crypto/sha1"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/internal/interop"
)

// TestLibtorrentInterop crawls a swarm of libtorrent sessions, an
// independent DHT implementation that answers BEP 51 itself.
func TestLibtorrentInterop(t *testing.T) {
	sw := interop.StartLibtorrentSwarm(t, 5)
	ih := sw.InfoHash
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	// Bootstrap from two of the sessions; the walk finds the others.
	n, err := dht.New(testConfig(sw.DHT[len(sw.DHT)-2:]))
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
	// The seeder's announce may still be on its way: ask until it is in.
	var peers []netip.AddrPort
	if !interop.Until(ctx, func() bool {
		if peers, err = n.GetPeers(ctx, ih); err != nil {
			t.Fatal(err)
		}
		return slices.Contains(peers, sw.Seed)
	}) {
		t.Fatalf("GetPeers = %v, want %v among them", peers, sw.Seed)
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
