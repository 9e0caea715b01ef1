package main

import (
	"context"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/store"
)

// BenchmarkTimeToL4 measures how long a hunt takes to prove a leak served
// (L4) when it is shared as it is, alone under its catalogued name, in a
// local swarm of 24 BEP 51 nodes holding 2,000 other infohashes, each node
// handing out 20 samples a reply in the order it learnt them, every 5 s at
// most; the leak was learnt halfway): with predicted infohashes looked
// up every round (predict) and with BEP 51 sampling alone (sampling).
// Reported as s/L4. Run: scripts/bench-predict.sh.
func BenchmarkTimeToL4(b *testing.B) {
	for _, predict := range []bool{true, false} {
		name := "sampling"
		if predict {
			name = "predict"
		}
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for i := range b.N {
				total += timeToL4(b, predict, uint64(i))
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/L4")
		})
	}
}

func timeToL4(b *testing.B, predict bool, seed uint64) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 24, Interval: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer sw.Close()
	// The leak sits in the middle of what each node holds: nodes hand out
	// samples in the order they learnt infohashes. Decoys have no peers, so
	// each costs the pipeline one get_peers and no metadata fetch.
	decoys := func(n int) {
		for range n {
			var ih [20]byte
			rand.Read(ih[:])
			sw.AddInfohash(ih)
		}
	}
	decoys(1000)
	doc := make([]byte, 3<<20)
	rng := mrand.New(mrand.NewPCG(seed, 7))
	for i := range doc {
		doc[i] = byte(rng.Uint32())
	}
	const name = "q3_payroll_export.csv"
	seeder, err := sw.AddSeeder(ctx, localswarm.SeederConfig{Name: name, PieceLength: 256 << 10,
		Files: []localswarm.File{{Data: doc}}, AnnounceDHT: sw.BootstrapAddrs()})
	if err != nil {
		b.Fatal(err)
	}
	defer seeder.Close()
	decoys(1000)

	dir := b.TempDir()
	s, err := store.Open(filepath.Join(dir, "p.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		b.Fatal(err)
	}
	fp, err := fingerprint.File(p, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.AddDocument(store.Document{Name: name, Fingerprint: fp}, p); err != nil {
		b.Fatal(err)
	}
	opt := localOptions(sw.BootstrapAddrs())
	opt.Predict = predict
	start := time.Now()
	pl, stop := startLocalHunt(b, ctx, s, opt)
	defer stop()
	ih := fingerprint.InfoHash(seeder.InfoHash)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		peers, _ := s.PeersOf(ih)
		for _, pr := range peers {
			if pr.Level == evidence.L4Served {
				d := time.Since(start)
				b.Logf("predict=%v: L4 after %v (%d sightings)", predict, d.Round(10*time.Millisecond), pl.Stats().Sightings)
				return d
			}
		}
		select {
		case <-ctx.Done():
			b.Fatalf("predict=%v: no L4 after %v", predict, time.Since(start))
		case <-tick.C:
		}
	}
}

// localOptions are the options of a hunt of a local swarm with the given
// bootstrap nodes: our DHT node on loopback, probes to L4 every two
// seconds.
func localOptions(bootstrap []string) hunt.Options {
	opt := hunt.DefaultOptions()
	opt.Listen, opt.Bootstrap, opt.AllowLocal, opt.DHTRate, opt.Predict = "127.0.0.1:0", bootstrap, true, 2000, false
	opt.Fetches, opt.Probes, opt.ProbeInterval = 16, 8, 2*time.Second
	return opt
}

// startLocalHunt runs a hunt assembled as `leakhunt hunt` assembles it
// (our DHT node, fetcher, prober; predicted infohashes with opt.Predict)
// over a store, for a local swarm; stop ends it and reports its error.
func startLocalHunt(tb testing.TB, ctx context.Context, s *store.Store, opt hunt.Options) (*hunt.Hunt, func()) {
	tb.Helper()
	rec, err := hunt.NewRecorder(s)
	if err != nil {
		tb.Fatal(err)
	}
	if opt.Keys == nil {
		if opt.Keys, err = (&keyFlags{}).keys(s, ""); err != nil {
			tb.Fatal(err)
		}
	}
	h, err := hunt.Assemble(s, rec, opt)
	if err != nil {
		tb.Fatal(err)
	}
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(hctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				tb.Error(err)
			}
			h.Close()
		})
	}
	tb.Cleanup(stop) // also when the caller fails first
	return h, stop
}
