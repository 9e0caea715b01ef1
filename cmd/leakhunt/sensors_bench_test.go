package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/internal/pgtest"
	"github.com/leakhunt/leakhunt/store"
)

// BenchmarkSensorFetches hunts a local swarm listing 300 infohashes (their
// metadata served on loopback) with 1 and then 3 sensors sharing one
// PostgreSQL store, as `leakhunt hunt` assembles them, and reports the
// metadata fetched per second until every infohash is in the store, and
// how many fetches were made in all (each infohash once). On the local
// swarm, finding the infohashes (DHT samples) bounds the rate: each sensor
// samples on its own.
func BenchmarkSensorFetches(b *testing.B) {
	for _, sensors := range []int{1, 3} {
		b.Run(fmt.Sprintf("sensors=%d", sensors), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchSensorFetches(b, sensors)
			}
		})
	}
}

func benchSensorFetches(b *testing.B, sensors int) {
	const count = 300
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	u := pgtest.Database(b)
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 12, Interval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer sw.Close()
	meta, err := localswarm.StartMetadataServer(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer meta.Close()
	ihs := make([]fingerprint.InfoHash, count)
	for i := range ihs {
		ih := meta.Add(localswarm.SampleInfo(fmt.Sprintf("bench-%d.bin", i), 1<<20))
		sw.AddInfohash(ih, meta.Addr())
		ihs[i] = ih
	}
	dir := b.TempDir()
	var stops []func()
	var fetched func() int64
	start := time.Now()
	for i := 0; i < sensors; i++ {
		name := fmt.Sprintf("fetcher-%d", i)
		s, err := store.Open(u, &store.Options{Sensor: name, KeyPath: filepath.Join(dir, name), CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if i == 0 {
			doc := filepath.Join(leaksDirB(b), "incident_memo.txt")
			fp, err := fingerprint.File(doc, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.AddDocument(store.Document{Name: "incident_memo.txt", Fingerprint: fp}, doc); err != nil {
				b.Fatal(err)
			}
		}
		opt := localOptions(sw.BootstrapAddrs())
		opt.Watch = false
		h, stop := startLocalHunt(b, ctx, s, opt)
		stops = append(stops, stop)
		prev := fetched
		fetched = func() int64 {
			n := h.Stats().MetadataOK
			if prev != nil {
				n += prev()
			}
			return n
		}
	}
	defer func() { // before the stores close
		for _, stop := range stops {
			stop()
		}
	}()
	watcher, err := store.Open(u, &store.Options{ReadOnly: true, CacheDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer watcher.Close()
	if !interop.Within(150*time.Second, func() bool {
		for _, ih := range ihs {
			if _, err := watcher.Torrent(ih); err != nil {
				return false
			}
		}
		return true
	}) {
		b.Fatalf("not every infohash fetched in 150 s (%d fetches)", fetched())
	}
	elapsed := time.Since(start)
	total := fetched()
	b.ReportMetric(float64(count)/elapsed.Seconds(), "fetches/s")
	b.ReportMetric(float64(total), "fetches")
}

// leaksDirB is leaksDir for benchmarks.
func leaksDirB(b *testing.B) string {
	p, err := filepath.Abs("../../testdata/leaks")
	if err != nil {
		b.Fatal(err)
	}
	return p
}
