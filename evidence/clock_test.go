package evidence

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/ntptest"
)

// startFakeNTP answers NTP client queries on 127.0.0.1 as a stratum-1
// server whose clock is ahead of ours by skew. It returns its address and
// a counter of queries answered.
func startFakeNTP(t *testing.T, skew time.Duration) (string, *atomic.Int64) {
	s := ntptest.Start(t, skew)
	return s.Addr, &s.Queries
}

func TestClockMeasuresAndCaches(t *testing.T) {
	const skew = 3 * time.Second
	srv, queries := startFakeNTP(t, skew)
	// A dead server first: the clock must fall through to the next one.
	dead, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.LocalAddr().String()
	dead.Close()
	c := NewClock(ClockConfig{Servers: []string{deadAddr, srv}, Timeout: 500 * time.Millisecond, Interval: time.Hour})
	ctx := context.Background()
	off, ok := c.Offset(ctx)
	if !ok {
		t.Fatal("unsynchronized with a working server")
	}
	if off < skew-time.Second || off > skew+time.Second {
		t.Errorf("offset %v, want about %v", off, skew)
	}
	s := c.OffsetString(ctx)
	if d, err := time.ParseDuration(s); err != nil || d != off.Round(time.Microsecond) {
		t.Errorf("OffsetString = %q, want %v", s, off.Round(time.Microsecond))
	}
	if got := queries.Load(); got != 1 {
		t.Errorf("%d queries, want 1 (cached)", got)
	}
}

func TestClockUnsynchronized(t *testing.T) {
	for name, servers := range map[string][]string{
		"no servers": nil,
		"no answer":  {"127.0.0.1:9"},
	} {
		c := NewClock(ClockConfig{Servers: servers, Timeout: 300 * time.Millisecond})
		if got := c.OffsetString(context.Background()); got != Unsynchronized {
			t.Errorf("%s: OffsetString = %q, want %q", name, got, Unsynchronized)
		}
	}
	// A cancelled context gives "unsynchronized" without measuring.
	srv, queries := startFakeNTP(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := NewClock(ClockConfig{Servers: []string{srv}})
	if got := c.OffsetString(ctx); got != Unsynchronized || queries.Load() != 0 {
		t.Errorf("cancelled: %q after %d queries", got, queries.Load())
	}
}

func TestProbeRecordsClockOffset(t *testing.T) {
	srv, _ := startFakeNTP(t, 2*time.Second)
	fx := newFixture(t, 16<<10, 0, 32<<10, 0)
	cl := startSeeder(t, fx)
	cfg := testConfig()
	cfg.Clock = NewClock(ClockConfig{Servers: []string{srv}, Timeout: time.Second})
	res, err := NewProber(cfg).Probe(context.Background(), fx.target, seederAddr(t, cl, TransportTCP, false), TransportTCP)
	if err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseDuration(res.Observation.ClockOffset)
	if err != nil || d < time.Second || d > 3*time.Second {
		t.Errorf("ClockOffset = %q, want about 2s", res.Observation.ClockOffset)
	}
}

// TestClockAgreement: every server is asked; the offset used is one the
// majority agrees on, and the measurement says who was asked, who
// answered, who agreed and which answer was used.
func TestClockAgreement(t *testing.T) {
	good1, _ := startFakeNTP(t, 2*time.Second)
	good2, _ := startFakeNTP(t, 2*time.Second+5*time.Millisecond)
	liar, liarQueries := startFakeNTP(t, 40*time.Second)
	far, _ := startFakeNTP(t, -30*time.Second)
	tests := []struct {
		name     string
		servers  []string
		synced   bool
		agreeing int
		offset   time.Duration
	}{
		{"majority against a liar", []string{liar, good1, good2}, true, 2, 2 * time.Second},
		{"one server", []string{good1}, true, 1, 2 * time.Second},
		{"two that disagree", []string{good1, liar}, false, 0, 0},
		{"two that agree", []string{good1, good2}, true, 2, 2 * time.Second},
		{"no majority", []string{good1, liar, far}, false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClock(ClockConfig{Servers: tt.servers, Timeout: time.Second})
			m := c.Measure(context.Background())
			if m.Synchronized() != tt.synced || m.Agreeing != tt.agreeing || m.Answered != len(tt.servers) || len(m.Asked) != len(tt.servers) {
				t.Fatalf("measurement %+v: want synchronized %v, %d agreeing of %d", m, tt.synced, tt.agreeing, len(tt.servers))
			}
			if m.MeasuredAt.IsZero() || m.MeasuredAt.Location() != time.UTC {
				t.Errorf("MeasuredAt = %v", m.MeasuredAt)
			}
			if !tt.synced {
				if m.Error == "" || OffsetText(m) != Unsynchronized {
					t.Errorf("unsynchronized measurement %+v", m)
				}
				return
			}
			if d := time.Duration(m.Offset) - tt.offset; d.Abs() > 500*time.Millisecond || m.Server == liar || m.Stratum != 1 || m.RTT <= 0 {
				t.Errorf("used %s: offset %v stratum %d rtt %v; want about %v from an agreeing stratum-1 server", m.Server, m.Offset, m.Stratum, m.RTT, tt.offset)
			}
			if b, ok := m.ErrorBound(); !ok || b < time.Duration(m.Offset).Abs() {
				t.Errorf("ErrorBound = %v, %v", b, ok)
			}
		})
	}
	if liarQueries.Load() == 0 {
		t.Error("the liar was never asked: every server must be")
	}
}

// TestClockAt: an observation finds the measurement it relied on, never
// one made after it.
func TestClockAt(t *testing.T) {
	srv, queries := startFakeNTP(t, time.Second)
	c := NewClock(ClockConfig{Servers: []string{srv}, Timeout: time.Second, Interval: time.Hour})
	ctx := context.Background()
	if _, ok := c.At(time.Now(), ""); ok {
		t.Fatal("a measurement before any was made")
	}
	first := c.Current(ctx)
	between := time.Now()
	second := c.Measure(ctx)
	if queries.Load() != 2 {
		t.Fatalf("%d queries, want 2 (Measure measures again)", queries.Load())
	}
	if m, ok := c.At(between, OffsetText(first)); !ok || !m.MeasuredAt.Equal(first.MeasuredAt) {
		t.Errorf("At(between) = %+v, %v; want the first", m, ok)
	}
	if m, ok := c.At(time.Now(), ""); !ok || !m.MeasuredAt.Equal(second.MeasuredAt) {
		t.Errorf("At(now) = %+v; want the second", m)
	}
	if _, ok := c.At(first.MeasuredAt.Add(-time.Millisecond), ""); ok {
		t.Error("At before the first measurement found one")
	}
}

// TestClockMinInterval: measurements closer than MinInterval are shared,
// so that back-to-back probe rounds do not query servers in bursts.
func TestClockMinInterval(t *testing.T) {
	srv, queries := startFakeNTP(t, 0)
	c := NewClock(ClockConfig{Servers: []string{srv}, Timeout: time.Second, MinInterval: time.Hour})
	a := c.Measure(context.Background())
	b := c.Measure(context.Background())
	if queries.Load() != 1 || !a.MeasuredAt.Equal(b.MeasuredAt) {
		t.Errorf("%d queries; want the second measurement shared", queries.Load())
	}
}
