package emulefixture_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

// TestThroughput measures the eMule side of a hunt on loopback: Kad source
// searches for many documents, then an ed2k probe of every source found,
// with the client's per-IP pacing and bounded concurrency. It reports
// sources found and probed per minute and the peak heap, and checks that
// no fixture node saw more requests than aMule allows.
func TestThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	const docs, sourcesPerDoc = 20, 3
	var targets []kad.ID
	type document struct {
		hash [16]byte
		data []byte
	}
	var ds []document
	for i := range docs {
		data := bytes.Repeat([]byte{byte(i), 'x', 'y'}, 100_000+i)
		h := md5.Sum(data) // any 16 bytes name the file for the fixture
		ds = append(ds, document{h, data})
		targets = append(targets, kad.ID(h))
	}
	n, err := emulefixture.StartKad(emulefixture.KadOptions{Nodes: 2*docs + 20, Near: targets, Seed: 3})
	if err != nil {
		t.Skipf("fixture Kad network: %v", err)
	}
	defer n.Close()
	for _, d := range ds {
		for range sourcesPerDoc {
			p, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: d.hash, Size: int64(len(d.data)), Data: bytes.NewReader(d.data), Compress: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			a := p.Addr()
			n.PublishSource(kad.ID(d.hash), kad.Source{IP: a.Addr(), TCPPort: a.Port(), Type: kad.SourceOpen, UserHash: ed2k.NewUserHash(), Size: uint64(len(d.data))})
		}
	}

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // samples the heap until stop closes
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	cfg := kad.DefaultConfig()
	cfg.ListenAddr, cfg.AllowLocal, cfg.Contacts = "127.0.0.1:0", true, n.Contacts()[:5]
	// Generous for a loaded machine: a Kad answer that comes after the
	// timeout is a source not found.
	cfg.QueryTimeout, cfg.ResultWait = 3*time.Second, 500*time.Millisecond
	c, err := kad.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pcfg := ed2k.DefaultConfig()
	pcfg.UserHash = ed2k.NewUserHash()
	prober, err := ed2k.NewProber(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	var found, served atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, d := range ds {
		g.Go(func() error {
			srcs, err := c.SearchSources(gctx, d.hash, uint64(len(d.data)))
			if err != nil {
				return err
			}
			found.Add(int64(len(srcs)))
			for _, s := range srcs {
				res, err := prober.Probe(gctx, ed2k.Target{Hash: d.hash, Size: int64(len(d.data)), Doc: bytes.NewReader(d.data)}, s.Addr())
				if err == nil && res.Level == ed2k.L4Served {
					served.Add(1)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	perMin := func(v int64) float64 { return float64(v) / elapsed.Minutes() }
	st := n.Stats()
	t.Logf("%d documents: %d sources found, %d served (L4) in %v: %.0f found/min, %.0f probed to L4/min; peak heap %.1f MiB; Kad requests %v; client %+v",
		docs, found.Load(), served.Load(), elapsed.Round(time.Millisecond), perMin(found.Load()), perMin(served.Load()),
		float64(peak.Load())/(1<<20), st.Requests, c.Stats())
	if found.Load() != docs*sourcesPerDoc || served.Load() != docs*sourcesPerDoc {
		t.Errorf("found %d, served %d, want %d each", found.Load(), served.Load(), docs*sourcesPerDoc)
	}
	if st.Dropped != 0 || st.Banned != 0 {
		t.Errorf("aMule's flood accounting: %d dropped, %d banning", st.Dropped, st.Banned)
	}
}
