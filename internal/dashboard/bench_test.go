package dashboard

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// benchPeers is the store size the latency benchmark reads.
const benchPeers = 100_000

// benchDocs are the documents the benchmark's observations name.
var benchDocs = []string{"a1a1a1a1", "b2b2b2b2", "c3c3c3c3", "d4d4d4d4"}

// benchObservation is the i-th observation of a benchmark store: peers
// spread over 16 torrents, four documents and every level, one a minute.
func benchObservation(i int, t0 time.Time) evidence.Observation {
	doc := fmt.Sprintf("%s%056x", benchDocs[i%len(benchDocs)], i%len(benchDocs))
	o := evidence.Observation{Time: t0.Add(time.Duration(i) * time.Minute), ClockOffset: "unsynchronized",
		Level: evidence.Level(1 + i%5), Source: "probe", IP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
		Port: 6881 + i%7, InfoHash: fingerprint.InfoHash{byte(i % 16)}, Document: doc, Version: "bench", Client: "qBittorrent/5.0", Transport: "tcp"}
	if o.Level >= evidence.L4Served {
		o.PiecesVerified = []int{i % 40}
	}
	return o
}

// benchStore is a store of n peers, one observation each, appended in
// batches as a hunt's writer appends them.
func benchStore(b *testing.B, n int) *store.Store {
	b.Helper()
	s, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]evidence.Observation, 0, 5000)
	for i := range n {
		batch = append(batch, benchObservation(i, t0))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.AppendObservations(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return s
}

// benchServe runs a dashboard over s on loopback and returns its address.
func benchServe(b *testing.B, s *store.Store) string {
	b.Helper()
	srv, err := New(Config{Store: s})
	if err != nil {
		b.Fatal(err)
	}
	srv.limit = newLimiter(1e9, 1e9) // the benchmark is one client asking as fast as it can
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, nil, &Web{ln: ln}) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	if _, err := srv.peers.current(0); err != nil {
		b.Fatal(err)
	}
	return "http://" + ln.Addr().String()
}

// get fetches a URL and reads the whole answer.
func benchGet(b *testing.B, hc *http.Client, url string) {
	resp, err := hc.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n == 0 {
		b.Fatalf("GET %s: %s, %d bytes, %v", url, resp.Status, n, err)
	}
}

// BenchmarkPeerPages measures the latency of a filtered page of 100 rows
// with 100,000 peers in the store: the web page and the JSON API, over
// HTTP on loopback. It reports the median and the 99th percentile.
func BenchmarkPeerPages(b *testing.B) {
	s := benchStore(b, benchPeers)
	base := benchServe(b, s)
	doc := fmt.Sprintf("%s%056x", benchDocs[2], 2)
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct{ name, path string }{
		{"page", "/peers?min_level=L3&document=" + doc[:12]},
		{"page-deep", "/peers?min_level=L2&offset=40000"},
		{"api", "/api/peers?min_level=L4&since=2026-02-01&limit=100"},
		{"api-ip", "/api/peers?ip=10.1.2.3"},
		{"overview", "/"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t := time.Now()
				benchGet(b, hc, base+tc.path)
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkObservationsWhileServed measures what serving the dashboard
// costs a hunt's observation throughput: observations appended in
// batches of 1,000 (as the pipeline's writer does) to a store of 100,000
// peers, alone ("idle"), and while the dashboard serves it to a browser
// with the overview and the peers page open (the event stream every 2 s,
// the peers rows and the charts fetched again on each change) and a
// Prometheus scraping /metrics every second ("served"). Compare obs/s,
// and the process's CPU time per observation (the viewers' own requests
// included), which other work on the machine does not change.
func BenchmarkObservationsWhileServed(b *testing.B) {
	for _, served := range []bool{false, true} {
		name := "idle"
		if served {
			name = "served"
		}
		b.Run(name, func(b *testing.B) {
			s := benchStore(b, benchPeers)
			if served {
				stop := benchViewers(b, benchServe(b, s))
				defer stop()
			}
			t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			batch := make([]evidence.Observation, 1000)
			next := benchPeers
			cpu0 := processCPU(b)
			b.ResetTimer()
			for b.Loop() {
				for j := range batch {
					batch[j] = benchObservation(next, t0)
					next++
				}
				if _, err := s.AppendObservations(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "obs/s")
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N*len(batch)), "cpu-µs/obs")
		})
	}
}

// processCPU is the CPU time this process has used, user and system:
// unlike wall time, other programs on the machine do not change it.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchViewers starts what a person and a monitor ask of the dashboard:
// an event stream, the peers rows and the charts every 2 s, /metrics
// every second.
func benchViewers(b *testing.B, base string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	hc := &http.Client{}
	every := func(d time.Duration, paths ...string) {
		wg.Go(func() {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				for _, p := range paths {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+p, nil)
					if resp, err := hc.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Go(func() { // the browser's event stream
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events", nil)
		if resp, err := hc.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	every(2*time.Second, "/peers/rows?min_level=L2", "/chart/levels.svg", "/chart/rates.svg")
	every(time.Second, "/metrics")
	return func() { cancel(); wg.Wait() }
}
