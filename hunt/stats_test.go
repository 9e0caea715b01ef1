package hunt

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
)

// TestStatsCounts checks the counters a dashboard shows: sightings by
// source, probes by the level they proved, observations by level (which
// add up to the observations written), and idle queues after the run.
func TestStatsCounts(t *testing.T) {
	s, rec, ih := matchedFixture(t)
	peers := fixedPeers{netip.MustParseAddrPort("127.0.0.1:40001"), netip.MustParseAddrPort("127.0.0.1:40002")}
	pr := &fakeProber{level: evidence.L3Claims, hits: map[netip.AddrPort]int{}}
	src := listSource{[]crawler.Sighting{{InfoHash: ih, Source: crawler.SourceDHTSample}, {InfoHash: ih, Source: crawler.SourceWeb}, {InfoHash: ih, Source: crawler.SourceWeb}}}
	p, err := New(s, rec, Config{Sources: []crawler.Source{src}, Peers: peers, Prober: pr, Watch: true, ProbeInterval: time.Hour,
		Transports: []string{"tcp"}, AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stop := start(t, ctx, p)
	waitUntil(t, ctx, "both peers probed", func() bool { return p.Stats().ProbesByLevel[evidence.L3Claims] == int64(len(peers)) })
	stop()
	st := p.Stats()
	if st.SightingsBySource[crawler.SourceWeb] != 2 || st.SightingsBySource[crawler.SourceDHTSample] != 1 {
		t.Errorf("sightings by source %v", st.SightingsBySource)
	}
	if st.ProbesByLevel[evidence.L3Claims] != int64(len(peers)) {
		t.Errorf("probes by level %v, want %d at L3", st.ProbesByLevel, len(peers))
	}
	var sum int64
	for _, n := range st.ObservationsByLevel {
		sum += n
	}
	if sum != st.Observations || st.ObservationsByLevel[evidence.L3Claims] != int64(len(peers)) {
		t.Errorf("observations by level %v (sum %d), written %d", st.ObservationsByLevel, sum, st.Observations)
	}
	if st.QueueSightings != 0 || st.QueueFetches != 0 || st.QueueObservations != 0 {
		t.Errorf("queues after the run: %d %d %d", st.QueueSightings, st.QueueFetches, st.QueueObservations)
	}
}
