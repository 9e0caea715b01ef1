package hunt

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
	"github.com/leakhunt/leakhunt/store"
)

// ed2kBench is a catalogued leak with n honest ed2k peers on 127.0.0.1
// sharing it, published as its sources in an in-process Kad network.
type ed2kBench struct {
	s       *store.Store
	rec     *Recorder
	h       fingerprint.ED2KHash
	size    int64
	disc    *KadDiscovery
	sources []ED2KSource
	prober  *ed2k.Prober
}

func newED2KBench(b *testing.B, n int) *ed2kBench {
	b.Helper()
	s, data, _, h := catalogLeak(b, "tuition_fees_2026.csv")
	e := &ed2kBench{s: s, h: h, size: int64(len(data))}
	net, err := emulefixture.StartKad(emulefixture.KadOptions{Nodes: 20, Seed: 5, Near: []kad.ID{kad.ID(e.h)}})
	if err != nil {
		b.Skipf("fixture Kad network: %v", err)
	}
	b.Cleanup(net.Close)
	for range n {
		p, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: e.h, Size: e.size, Data: bytes.NewReader(data), Name: "t.csv"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(p.Close)
		net.PublishSource(kad.ID(e.h), kad.Source{IP: p.Addr().Addr(), TCPPort: p.Addr().Port(), Type: kad.SourceOpen, Size: uint64(e.size)})
		e.sources = append(e.sources, ED2KSource{Addr: p.Addr(), Source: "link"})
	}
	kcfg := kad.DefaultConfig()
	kcfg.ListenAddr, kcfg.AllowLocal, kcfg.Contacts = "127.0.0.1:0", true, net.Contacts()[:3]
	kc, err := kad.New(kcfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { kc.Close() })
	e.disc = NewKadDiscovery(kc, e.s, nil, time.Hour, nil)
	pcfg := ed2k.DefaultConfig()
	pcfg.UserHash = ed2k.NewUserHash()
	if e.prober, err = ed2k.NewProber(pcfg); err != nil {
		b.Fatal(err)
	}
	if e.rec, err = NewRecorder(e.s); err != nil {
		b.Fatal(err)
	}
	return e
}

// round probes srcs once with a fresh pipeline, the records written.
func (e *ed2kBench) round(b *testing.B, srcs []ED2KSource) Round {
	cfg := DefaultConfig()
	cfg.AllowLoopback, cfg.ED2K, cfg.MaxProbes = true, e.prober, 16
	p, err := New(e.s, e.rec, cfg)
	if err != nil {
		b.Fatal(err)
	}
	var r Round
	if err := p.WatchED2K(context.Background(), e.h, srcs, 1, func(x Round) { r = x }); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkED2KProbeRound: one round of ed2k probes of 64 sources on the
// local network (HELLO, file status, one block, byte comparison, record
// with transcript), 16 at once. Reports sources probed per minute.
func BenchmarkED2KProbeRound(b *testing.B) {
	e := newED2KBench(b, 64)
	b.ReportAllocs()
	b.ResetTimer()
	probed := 0
	for range b.N {
		r := e.round(b, e.sources)
		if r.Levels[4] != len(e.sources) {
			b.Fatalf("round %+v", r)
		}
		probed += r.Probed
	}
	b.ReportMetric(float64(probed)/b.Elapsed().Minutes(), "probed/min")
}

// BenchmarkKadSourcesRound: Kad source searches for one document indexed
// by an in-process network holding 64 sources, then one round of probes
// of what was found. Kad pacing (aMule allows 3 source searches per
// minute per node IP) dominates after the first search. Reports sources
// found and probed per minute.
func BenchmarkKadSourcesRound(b *testing.B) {
	e := newED2KBench(b, 64)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	found, probed := 0, 0
	for range b.N {
		srcs, err := e.disc.FindED2KSources(ctx, e.h, e.size)
		if err != nil || len(srcs) != len(e.sources) {
			b.Fatalf("found %d sources, %v", len(srcs), err)
		}
		found += len(srcs)
		probed += e.round(b, srcs).Probed
	}
	b.ReportMetric(float64(found)/b.Elapsed().Minutes(), "found/min")
	b.ReportMetric(float64(probed)/b.Elapsed().Minutes(), "probed/min")
}
