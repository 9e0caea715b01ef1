package metadata_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// BenchmarkFetch fetches distinct info dictionaries (5.2 KB each, as
// crawlbench's) from 8 local metadata servers, 32 fetches in flight, and
// reports fetches/s; the servers run in the process, so allocations count
// both sides of the wire.
func BenchmarkFetch(b *testing.B) {
	ctx := context.Background()
	var servers []*localswarm.MetadataServer
	for range 8 {
		s, err := localswarm.StartMetadataServer(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		servers = append(servers, s)
	}
	type job struct {
		ih   [20]byte
		peer netip.AddrPort
	}
	jobs := make([]job, b.N)
	for i := range jobs {
		s := servers[i%len(servers)]
		jobs[i] = job{s.Add(localswarm.SampleInfo(fmt.Sprintf("torrent-%d.bin", i), 4<<20)), s.Addr()}
	}
	f := metadata.New(metadata.Config{MaxConns: 32, AllowLoopback: true})
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(jobs)); i = next.Add(1) - 1 {
				if _, err := f.Fetch(ctx, jobs[i].ih, []netip.AddrPort{jobs[i].peer}); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fetches/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d fetches failed", n)
	}
}
