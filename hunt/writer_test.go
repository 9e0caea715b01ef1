package hunt

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/ntptest"
	"github.com/leakhunt/leakhunt/store"
)

// TestWriterFailureStops: when the store refuses observations the watch
// stops at once with the store's error, instead of probing on and losing
// what it observes.
func TestWriterFailureStops(t *testing.T) {
	s, _, ihHex := matchedFixture(t)
	path := s.Path()
	s.Close()
	ro, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rec, err := NewRecorder(ro)
	if err != nil {
		t.Fatal(err)
	}
	pr := &fakeProber{level: evidence.L4Served, hits: map[netip.AddrPort]int{}}
	cfg := Config{Peers: fixedPeers{netip.MustParseAddrPort("127.0.0.1:40001")}, Prober: pr, Watch: true,
		ProbeInterval: 50 * time.Millisecond, Transports: []string{"tcp"}, AllowLoopback: true}
	p, err := New(ro, rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = p.Watch(ctx, ihHex, 0, nil)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("Watch = %v (ctx %v); want the store's error before the deadline", err, ctx.Err())
	}
}

// blockingProber holds each probe until its context ends, then reports
// what it had observed by then (the peer claimed pieces).
type blockingProber struct{ started chan struct{} }

func (b *blockingProber) Probe(ctx context.Context, tg evidence.Target, ap netip.AddrPort, tr string) (evidence.ProbeResult, error) {
	close(b.started)
	<-ctx.Done()
	o := evidence.Observation{Time: time.Now().UTC(), Level: evidence.L3Claims, Source: "probe", IP: ap.Addr().String(), Port: int(ap.Port()),
		InfoHash: tg.InfoHash, Transport: tr, PiecesClaimed: []int{0}, ClaimedCount: 1, Error: ctx.Err().Error()}
	return evidence.ProbeResult{Observation: o}, ctx.Err()
}

// TestInterruptedProbeRecorded: a probe that had observed something when
// the hunt was interrupted is written before the run returns.
func TestInterruptedProbeRecorded(t *testing.T) {
	s, rec, ihHex := matchedFixture(t)
	pr := &blockingProber{started: make(chan struct{})}
	cfg := Config{Peers: fixedPeers{netip.MustParseAddrPort("127.0.0.1:40001")}, Prober: pr, Watch: true,
		ProbeInterval: time.Hour, Transports: []string{"tcp"}, AllowLoopback: true}
	p, err := New(s, rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-pr.started; cancel() }()
	if err := p.Watch(ctx, ihHex, 0, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch = %v, want context.Canceled", err)
	}
	peers, err := s.PeersOf(ihHex)
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || peers[0].Level != evidence.L3Claims {
		t.Fatalf("peers %+v; want the interrupted probe's L3 on record", peers)
	}
}

// TestRoundClockMeasurements: a probe round measures the clock at its
// start and end against every server, records both measurements in the
// log, and each observation carries the measurement it relied on.
func TestRoundClockMeasurements(t *testing.T) {
	s, rec, ihHex := matchedFixture(t)
	a, b := ntptest.Start(t, 2*time.Second), ntptest.Start(t, 2*time.Second)
	clock := evidence.NewClock(evidence.ClockConfig{Servers: []string{a.Addr, b.Addr}, Timeout: time.Second, Interval: time.Hour})
	pr := &fakeProber{level: evidence.L4Served, hits: map[netip.AddrPort]int{}}
	cfg := Config{Peers: fixedPeers{netip.MustParseAddrPort("127.0.0.1:40001")}, Prober: pr, Watch: true, Clock: clock,
		ProbeInterval: time.Hour, Transports: []string{"tcp"}, AllowLoopback: true}
	p, err := New(s, rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Watch(context.Background(), ihHex, 1, nil); err != nil {
		t.Fatal(err)
	}
	if a.Queries.Load() < 2 || b.Queries.Load() < 2 {
		t.Errorf("queries %d and %d; want each server asked at the start and the end of the round", a.Queries.Load(), b.Queries.Load())
	}
	n, _ := s.LogSize()
	clocks, peers := 0, 0
	for i := range n {
		o, err := s.Observation(i)
		if err != nil {
			t.Fatal(err)
		}
		if o.Source == evidence.SourceClock {
			clocks++
		}
		if o.NamesPeer() {
			peers++
		}
		if o.Clock == nil || !o.Clock.Synchronized() || o.Clock.Agreeing != 2 || len(o.Clock.Asked) != 2 || o.Clock.MeasuredAt.After(o.Time) {
			t.Errorf("record %d (%s) clock %+v", i, o.Source, o.Clock)
		}
	}
	if clocks != 2 || peers == 0 {
		t.Errorf("%d clock records and %d peer records; want the 2 measurements of the round besides the peers", clocks, peers)
	}
	if ps, _ := s.Peers(0); len(ps) != 1 {
		t.Errorf("clock records made peers: %+v", ps)
	}
}
