package evidence

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkProbeL4 measures probes per second to L4 on loopback: several
// anacrolix seeders of a 1 MiB torrent with 16 KiB pieces, one worker per
// seeder probing it over and over over TCP. It reports probes/s and the
// process's peak RSS (seeders included).
func BenchmarkProbeL4(b *testing.B) {
	const seeders = 4
	fx := newFixture(b, 16<<10, 0, 1<<20, 0)
	probers := make([]*Prober, seeders)
	peers := make([]netip.AddrPort, seeders)
	for i := range seeders {
		cl := startSeeder(b, fx)
		peers[i] = seederAddr(b, cl, TransportTCP, false)
		probers[i] = NewProber(testConfig())
	}
	var next, l4 atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range seeders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				res, err := probers[w].Probe(context.Background(), fx.target, peers[w], TransportTCP)
				if err == nil && res.Observation.Level == L4Served {
					l4.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if l4.Load() != int64(b.N) {
		b.Fatalf("%d of %d probes reached L4", l4.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "probes/s")
	b.ReportMetric(float64(peakRSSKiB())/1024, "peakRSS-MiB")
}

// peakRSSKiB reads VmHWM from /proc/self/status (0 when unavailable).
func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
