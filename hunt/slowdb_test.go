package hunt

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/pgtest"
	"github.com/leakhunt/leakhunt/store"
)

// floodSource announces n distinct peers of one infohash as fast as the
// pipeline takes them, counting what it emitted.
type floodSource struct {
	ih      fingerprint.InfoHash
	n       int
	emitted atomic.Int64
}

func (f *floodSource) Name() string { return "flood" }

func (f *floodSource) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	for i := range f.n {
		if ctx.Err() != nil {
			return nil
		}
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, byte(i >> 16), byte(i >> 8), byte(i)}), 6881)
		emit(crawler.Sighting{InfoHash: f.ih, Source: crawler.SourceDHTAnnounce, Peer: ap.String(), Time: time.Now()})
		f.emitted.Add(1)
	}
	return nil
}

// TestSlowDatabase hunts into PostgreSQL behind a link that delays every
// packet 20 ms each way, while a source announces peers of a watched
// torrent far faster than that database can take their records. The
// observation queue fills (its channel's capacity is its bound) and holds
// the source back (backpressure, not memory), the heap stays bounded, and when the hunt is stopped
// mid-flood every announce it took is in the log: nothing is lost.
func TestSlowDatabase(t *testing.T) {
	u := pgtest.Slow(t, pgtest.Database(t), 20*time.Millisecond)
	dir := t.TempDir()
	s, err := store.Open(u, &store.Options{Sensor: "far", KeyPath: filepath.Join(dir, "key"), CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s, rec, ih, info := fixtureIn(t, s, dir)
	tor, err := fingerprint.ParseInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Torrent(tor, "test"); err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	src := &floodSource{ih: ih, n: n}
	cfg := Config{Sources: []crawler.Source{src}, Watch: true, AllowLoopback: true, ProbeInterval: time.Hour, QueueSize: 4096}
	p, err := New(s, rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	// Sample the queues and the heap until the first records are in and
	// the queues have filled; then stop the hunt mid-flood.
	var maxObs, maxSightings int
	var maxHeap uint64
	sample := func() {
		st := p.Stats()
		maxObs, maxSightings = max(maxObs, st.QueueObservations), max(maxSightings, st.QueueSightings)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		maxHeap = max(maxHeap, ms.HeapAlloc)
	}
	filled := interop.Until(ctx, func() bool {
		sample()
		return p.Stats().Observations > 0 && maxObs >= ObservationQueue/2
	})
	for range 20 { // a little longer, to watch the bounds hold
		sample()
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("hunt: %v", err)
	}
	if !filled {
		t.Fatalf("the observation queue never filled (at most %d of %d): the database was not the slow part; stats %+v", maxObs, ObservationQueue, p.Stats())
	}
	st := p.Stats()
	t.Logf("emitted %d of %d announces; stats %+v; queues at most %d observations, %d sightings; peak heap %d MiB",
		src.emitted.Load(), n, st, maxObs, maxSightings, maxHeap>>20)
	if src.emitted.Load() >= n {
		t.Errorf("the source emitted all %d announces before the hunt stopped: nothing held it back", n)
	}
	if maxHeap > 256<<20 {
		t.Errorf("heap reached %d MiB", maxHeap>>20)
	}
	// Every announce the pipeline took is one L1 record in the log.
	size, err := s.LogSize()
	if err != nil {
		t.Fatal(err)
	}
	if size != st.Sightings || st.Observations != st.Sightings {
		t.Errorf("%d announces taken, %d observations written, %d records in the log: want all equal", st.Sightings, st.Observations, size)
	}
	peers, err := s.PeersOf(ih)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(peers)) != size {
		t.Errorf("%d peer summaries for %d records of distinct peers", len(peers), size)
	}
	if problems, err := s.Check(); err != nil || len(problems) > 0 {
		t.Errorf("store check: %v %v", err, fmt.Sprint(problems))
	}
}
