package evidence

import (
	"context"
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// ntpEpoch is 1900-01-01, the origin of NTP timestamps.
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func ntpStamp(t time.Time) uint64 {
	d := t.Sub(ntpEpoch)
	sec := uint64(d / time.Second)
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// startFakeNTP answers NTP client queries on 127.0.0.1 as a stratum-1
// server whose clock is ahead of ours by skew. It returns its address and
// a counter of queries answered.
func startFakeNTP(t *testing.T, skew time.Duration) (string, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if k < 48 || buf[0]&7 != 3 { // client mode only
				continue
			}
			now := time.Now().Add(skew)
			resp := make([]byte, 48)
			resp[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, server mode
			resp[1] = 1               // stratum 1
			resp[2] = 4
			resp[3] = 0xec
			copy(resp[12:16], "LOCL")
			binary.BigEndian.PutUint64(resp[16:], ntpStamp(now.Add(-time.Second))) // reference
			copy(resp[24:32], buf[40:48])                                          // origin = client's transmit
			binary.BigEndian.PutUint64(resp[32:], ntpStamp(now))                   // receive
			binary.BigEndian.PutUint64(resp[40:], ntpStamp(now))                   // transmit
			n.Add(1)
			pc.WriteTo(resp, from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String(), &n
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
