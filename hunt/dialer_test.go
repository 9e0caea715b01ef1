package hunt

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/store"
)

// TestOneConnectionPerPeer: as a hunt wires them, a metadata fetch and a
// probe of the same peer never have connections open to it at once
// (Transmission drops the second).
func TestOneConnectionPerPeer(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var open, most, total atomic.Int32
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			total.Add(1)
			n := open.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			wg.Add(1)
			go func() { // hold it a while, say nothing, hang up
				defer wg.Done()
				time.Sleep(200 * time.Millisecond) // a slow peer: the behaviour under test, not a wait
				open.Add(-1)
				c.Close()
			}()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()

	s, err := store.Open(filepath.Join(t.TempDir(), "d.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opt := DefaultOptions()
	opt.AllowLocal, opt.Fetches, opt.Probes, opt.Encryption = true, 4, 4, peerdial.EncryptNever
	cfg := pipelineConfig(s, opt, slog.New(slog.DiscardHandler))
	info := localswarm.SampleInfo("doc.bin", 64<<10)
	tor, err := fingerprint.ParseInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	doc := make([]byte, 64<<10)
	m := fingerprint.Match{InfoHash: tor.InfoHash, FileIndex: 0, FileOffset: 0, FileLength: tor.Files[0].Length,
		Method: fingerprint.MethodV1Pieces, Verdict: fingerprint.VerdictProven}
	target, _, err := evidence.NewTarget(tor, m, bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var calls sync.WaitGroup
	for range 2 {
		calls.Go(func() { cfg.Fetcher.Fetch(ctx, target.InfoHash, []netip.AddrPort{addr}) })
		calls.Go(func() { cfg.Prober.Probe(ctx, target, addr, evidence.TransportTCP) })
	}
	calls.Wait()
	ln.Close()
	wg.Wait()
	if most.Load() != 1 || total.Load() < 4 {
		t.Errorf("%d connections, at most %d open at once; want at least 4, one at a time", total.Load(), most.Load())
	}
}
