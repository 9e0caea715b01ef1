// Command crawlbench measures the DHT crawler and the metadata fetcher
// against a local swarm on loopback.
//
//	go run ./internal/localswarm/cmd/crawlbench -phase discover
//	go run ./internal/localswarm/cmd/crawlbench -phase fetch
//
// discover: a swarm of -nodes DHT nodes holds -infohashes infohashes
// (each stored on the -replicas closest nodes); the crawler bootstraps from
// three nodes and samples until it has seen -target of them. fetch: -seeders
// metadata-only peers serve -fetches distinct info dictionaries; the
// fetcher fetches them all with -concurrency fetches in flight. Both print
// the elapsed time and the peak RSS of the process (swarm included).
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	alog "github.com/anacrolix/log"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

func main() {
	phase := flag.String("phase", "discover", "discover or fetch")
	nodes := flag.Int("nodes", 200, "DHT nodes in the swarm")
	infohashes := flag.Int("infohashes", 50_000, "infohashes stored in the swarm")
	replicas := flag.Int("replicas", 8, "nodes storing each infohash")
	samples := flag.Int("samples", 100, "most samples per sample_infohashes reply")
	interval := flag.Duration("interval", time.Second, "BEP 51 interval the nodes advertise")
	target := flag.Float64("target", 0.95, "fraction of infohashes to discover")
	rateLimit := flag.Float64("rate", 5000, "crawler packets per second")
	seeders := flag.Int("seeders", 100, "metadata-only seeders")
	fetches := flag.Int("fetches", 20_000, "metadata fetches")
	concurrency := flag.Int("concurrency", 128, "fetches in flight")
	infoLen := flag.Int64("torrent-size", 4<<20, "content size of each torrent (sets the metadata size)")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	alog.Default.SetHandlers(alog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var err error
	switch *phase {
	case "discover":
		err = discover(ctx, *nodes, *infohashes, *replicas, *samples, *interval, *target, *rateLimit)
	case "fetch":
		err = fetch(ctx, *seeders, *fetches, *concurrency, *infoLen)
	default:
		err = fmt.Errorf("unknown phase %q", *phase)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crawlbench:", err)
		os.Exit(1)
	}
}

func discover(ctx context.Context, nodes, infohashes, replicas, samples int, interval time.Duration, target, rateLimit float64) error {
	t0 := time.Now()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: nodes, SampleSize: samples, Interval: interval, Replicas: replicas})
	if err != nil {
		return err
	}
	defer sw.Close()
	for range infohashes {
		var ih [20]byte
		_, _ = rand.Read(ih[:])
		sw.AddInfohash(ih)
	}
	fmt.Printf("swarm: %d nodes, %d infohashes x %d replicas, %d samples/reply, interval %v (setup %.1fs)\n",
		nodes, infohashes, replicas, samples, interval, time.Since(t0).Seconds())

	cfg := dht.DefaultConfig()
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Bootstrap = sw.BootstrapAddrs()
	cfg.AllowLocal = true
	cfg.RateLimit = rateLimit
	cfg.Concurrency = 256
	cfg.QueryTimeout = time.Second
	n, err := dht.New(cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	want := int(target * float64(infohashes))
	var mu sync.Mutex
	seen := make(map[fingerprint.InfoHash]bool, infohashes)
	done := make(chan struct{})
	dctx, dcancel := context.WithCancel(ctx)
	defer dcancel()
	start := time.Now()
	go func() {
		_ = n.Discover(dctx, func(s crawler.Sighting) {
			mu.Lock()
			defer mu.Unlock()
			if s.Source != dht.SourceSample || seen[s.InfoHash] {
				return
			}
			seen[s.InfoHash] = true
			if len(seen) == want {
				close(done)
			}
		})
	}()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			el := time.Since(start)
			st := n.Stats()
			fmt.Printf("discovered %d/%d (%.0f%%) in %.1fs; queries %d, replies %d, timeouts %d, BEP 51 nodes %d, samples %d; early queries at nodes %d; peak RSS %d MiB\n",
				want, infohashes, target*100, el.Seconds(), st.QueriesSent, st.Replies, st.Timeouts, st.Bep51Nodes,
				st.SamplesReceived, sw.Stats().EarlySampleQueries, peakRSS()>>20)
			return nil
		case <-tick.C:
			mu.Lock()
			k := len(seen)
			mu.Unlock()
			fmt.Printf("  %5.1fs: %d seen, %+v\n", time.Since(start).Seconds(), k, n.Stats())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func fetch(ctx context.Context, seeders, fetches, concurrency int, infoLen int64) error {
	type job struct {
		ih   [20]byte
		peer netip.AddrPort
	}
	var servers []*localswarm.MetadataServer
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	for range seeders {
		s, err := localswarm.StartMetadataServer(ctx)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	jobs := make([]job, fetches)
	var infoSize int
	for i := range jobs {
		s := servers[i%len(servers)]
		info := localswarm.SampleInfo(fmt.Sprintf("torrent-%d.bin", i), infoLen)
		infoSize = len(info)
		jobs[i] = job{ih: s.Add(info), peer: s.Addr()}
	}
	runtime.GC()
	fmt.Printf("%d seeders, %d torrents, %d bytes of metadata each; RSS before fetching %d MiB\n",
		seeders, fetches, infoSize, currentRSS()>>20)
	f := metadata.New(metadata.Config{MaxConns: concurrency, AllowLoopback: true})
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(jobs)) || ctx.Err() != nil {
					return
				}
				j := jobs[i]
				if _, err := f.Fetch(ctx, j.ih, []netip.AddrPort{j.peer}); err != nil {
					if failed.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "first failure:", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("fetched %d (failed %d) in %.2fs: %.0f fetches/s, %d in flight; peak RSS %d MiB (whole process: fetcher and the %d seeders)\n",
		fetches, failed.Load(), el.Seconds(), float64(fetches)/el.Seconds(), concurrency, peakRSS()>>20, seeders)
	return nil
}

func procStatus(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

func peakRSS() int64    { return procStatus("VmHWM") }
func currentRSS() int64 { return procStatus("VmRSS") }
