package report

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// benchStore builds a store of nObs observations over nHosts hosts in
// batches of 5,000, interleaved so that each peer's records are spread
// over the whole log. Host h reaches level h%4+1 (L1 to L4); 60% of every
// host's observations are L1 announces.
func benchStore(b *testing.B, dir string, nObs, nHosts int) (*store.Store, *evidence.Keys) {
	b.Helper()
	db := filepath.Join(dir, "bench.db")
	s, err := store.Open(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := evidence.LoadOrCreateKeys(db, "leakhunt-bench")
	if err != nil {
		b.Fatal(err)
	}
	var ih = testIH("cccccccccccccccccccccccccccccccccccccccc")
	if _, err := s.PutTorrent(store.Torrent{InfoHash: ih, Name: "bench leak", FirstSeen: time.Unix(1.7e9, 0)}); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]evidence.Observation, 0, 5000)
	for i := 0; i < nObs; i++ {
		h := i % nHosts
		round := i / nHosts
		lvl := evidence.L1Announced
		if top := evidence.Level(h%4 + 1); round%10 >= 6 {
			lvl = min(top, evidence.Level(2+round%3))
			if round%10 == 9 {
				lvl = top
			}
		}
		o := evidence.Observation{Time: t0.Add(time.Duration(i) * 2 * time.Second), ClockOffset: "-1.5ms", Level: lvl,
			Source: "dht", IP: fmt.Sprintf("85.%d.%d.%d", 10+h/65536, h/256%256, h%256), Port: 6881 + h%7, InfoHash: ih,
			Document: strings.Repeat("1", 64), Version: "leakhunt bench"}
		if lvl >= 2 {
			o.Source, o.PeerID, o.Client, o.Transport = "probe", "2d5452343035302d000000000000000000000000", "Transmission 4.0.5", "tcp"
			o.ListenAddr, o.TranscriptSHA256 = "10.0.0.2:40000", strings.Repeat("ab", 32)
		}
		if lvl >= 3 {
			o.PiecesClaimed, o.ClaimedCount = []int{0, 1, 2, 3}, 4
		}
		if lvl >= 4 {
			o.PiecesVerified = []int{round % 4}
		}
		batch = append(batch, o)
		if len(batch) == cap(batch) || i == nObs-1 {
			if _, err := s.AppendObservations(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return s, keys
}

// peakHeap samples the heap in use until stop is called.
func peakHeap() (stop func() uint64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the machine's one-minute load average (other work
// slows the run down: compare CPU times).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

// BenchmarkGenerate: report generation over 1,000,000 observations of
// 10,000 hosts (LEAKHUNT_BENCH_OBS overrides the size).
//
//	go test -run XXX -bench Generate -benchtime 1x ./report/
func BenchmarkGenerate(b *testing.B) {
	nObs, nHosts := 1_000_000, 10_000
	if v := os.Getenv("LEAKHUNT_BENCH_OBS"); v != "" {
		fmt.Sscan(v, &nObs)
	}
	dir := b.TempDir()
	start := time.Now()
	var s *store.Store
	var keys *evidence.Keys
	if keep := os.Getenv("LEAKHUNT_BENCH_STORE"); keep != "" { // reuse a store built earlier
		var err error
		if _, err = os.Stat(filepath.Join(keep, "bench.db")); err != nil {
			s, keys = benchStore(b, keep, nObs, nHosts)
		} else if s, err = store.Open(filepath.Join(keep, "bench.db"), nil); err != nil {
			b.Fatal(err)
		} else if keys, err = evidence.LoadOrCreateKeys(filepath.Join(keep, "bench.db"), "leakhunt-bench"); err != nil {
			b.Fatal(err)
		}
	} else {
		s, keys = benchStore(b, dir, nObs, nHosts)
	}
	defer s.Close()
	b.Logf("store of %d observations over %d hosts built in %s", nObs, nHosts, time.Since(start).Round(time.Millisecond))
	for _, lvl := range []evidence.Level{4, 2} {
		b.Run(lvl.String(), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				runtime.GC()
				stop := peakHeap()
				opt := DefaultOptions()
				opt.MinLevel = lvl
				if os.Getenv("LEAKHUNT_BENCH_LOG") != "" {
					opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
				}
				opt.OutDir = filepath.Join(dir, fmt.Sprintf("out-L%d-%d", lvl, i))
				if pf := os.Getenv("LEAKHUNT_BENCH_PROF"); pf != "" {
					f, err := os.Create(fmt.Sprintf("%s.L%d", pf, lvl))
					if err != nil {
						b.Fatal(err)
					}
					pprof.StartCPUProfile(f)
					defer pprof.StopCPUProfile()
				}
				t0, cpu0 := time.Now(), cpuTime()
				sum, err := Generate(context.Background(), s, keys, opt)
				if err != nil {
					b.Fatal(err)
				}
				el, cpu := time.Since(t0), cpuTime()-cpu0
				peak := stop()
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(sum.BundledRecords), "records-bundled")
				b.ReportMetric(cpu.Seconds(), "cpu-s")
				b.Logf("L%d: %d peers, %d letters, %d rows, %d of %d records bundled in %s (CPU %s, load average %s); peak heap %.0f MiB; process VmHWM %s",
					lvl, sum.Peers, sum.Letters, sum.Rows, sum.BundledRecords, sum.Records, el.Round(time.Millisecond), cpu.Round(time.Millisecond),
					loadAverage(), float64(peak)/(1<<20), vmHWM())
				os.RemoveAll(opt.OutDir)
			}
		})
	}
}
