package evidence

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/ntp"
)

// Unsynchronized is the clock offset recorded when no offset was measured.
const Unsynchronized = "unsynchronized"

// ClockConfig configures a [Clock].
type ClockConfig struct {
	// Servers are NTP servers, "host" or "host:port" (default port 123),
	// all asked at each measurement. None means the clock is always
	// "unsynchronized".
	Servers []string
	// Timeout bounds one query to one server.
	Timeout time.Duration
	// Interval is how long a measurement is reused before measuring
	// again. Probe rounds also measure at their start and end.
	Interval time.Duration
	// RetryInterval is how long a failed measurement ("unsynchronized") is
	// reused before trying again.
	RetryInterval time.Duration
	// Tolerance is how far an answer's offset may be from the median of
	// all answers, beyond half its own round trip, and still agree.
	Tolerance time.Duration
	// MinInterval is the least time between two measurements: [Clock.Measure]
	// returns a measurement younger than this instead of asking the
	// servers again (public servers ask clients not to query in bursts).
	// Zero measures every time.
	MinInterval time.Duration
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// DefaultClockConfig returns a ClockConfig using the public NTP pool. Tests
// must not use it: it reaches the internet.
func DefaultClockConfig() ClockConfig {
	return ClockConfig{
		Servers:       []string{"0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org", "3.pool.ntp.org"},
		Timeout:       3 * time.Second,
		Interval:      10 * time.Minute,
		RetryInterval: time.Minute,
		Tolerance:     50 * time.Millisecond,
		MinInterval:   15 * time.Second,
	}
}

// keptMeasurements bounds the measurements a Clock remembers for [Clock.At].
const keptMeasurements = 64

// Clock measures our clock's offset against several NTP servers and keeps
// the recent measurements. It is safe for concurrent use; concurrent
// callers share one measurement.
type Clock struct {
	cfg    ClockConfig
	logger *slog.Logger
	lock   chan struct{} // held while measuring

	mu   sync.Mutex
	kept []ClockMeasurement // oldest first
}

// NewClock returns a Clock. Zero durations take DefaultClockConfig values.
func NewClock(cfg ClockConfig) *Clock {
	def := DefaultClockConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Interval <= 0 {
		cfg.Interval = def.Interval
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = def.RetryInterval
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = def.Tolerance
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Clock{cfg: cfg, logger: logger, lock: make(chan struct{}, 1)}
}

// Current returns the latest measurement, measuring again when it is older
// than Interval (RetryInterval after a failure). While a measurement runs,
// other callers wait for it or for ctx; a cancelled ctx gives an
// unsynchronized measurement without measuring.
func (c *Clock) Current(ctx context.Context) ClockMeasurement {
	if m, ok := c.fresh(); ok {
		return m
	}
	return c.measureShared(ctx, true)
}

// Measure measures now unless the last measurement is younger than
// MinInterval (a measurement already running is shared), and returns it.
func (c *Clock) Measure(ctx context.Context) ClockMeasurement {
	if c.cfg.MinInterval > 0 {
		c.mu.Lock()
		if n := len(c.kept); n > 0 {
			if age := time.Since(c.kept[n-1].MeasuredAt); age >= 0 && age < c.cfg.MinInterval {
				m := c.kept[n-1]
				c.mu.Unlock()
				return m
			}
		}
		c.mu.Unlock()
	}
	return c.measureShared(ctx, false)
}

func (c *Clock) fresh() (ClockMeasurement, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.kept) == 0 {
		return ClockMeasurement{}, false
	}
	m := c.kept[len(c.kept)-1]
	limit := c.cfg.Interval
	if !m.Synchronized() {
		limit = c.cfg.RetryInterval
	}
	age := time.Since(m.MeasuredAt)
	return m, age >= 0 && age < limit
}

func (c *Clock) measureShared(ctx context.Context, reuse bool) ClockMeasurement {
	started := time.Now()
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		return c.unsynced("cancelled before measuring")
	}
	defer func() { <-c.lock }()
	c.mu.Lock()
	if n := len(c.kept); n > 0 && !c.kept[n-1].MeasuredAt.Before(started) {
		// Measured by another caller while this one waited.
		m := c.kept[n-1]
		c.mu.Unlock()
		return m
	}
	c.mu.Unlock()
	if reuse {
		if m, ok := c.fresh(); ok {
			return m
		}
	}
	if ctx.Err() != nil {
		return c.unsynced("cancelled before measuring")
	}
	m := c.measure(ctx)
	c.mu.Lock()
	c.kept = append(c.kept, m)
	if len(c.kept) > keptMeasurements {
		c.kept = slices.Delete(c.kept, 0, len(c.kept)-keptMeasurements)
	}
	c.mu.Unlock()
	return m
}

func (c *Clock) unsynced(why string) ClockMeasurement {
	return ClockMeasurement{Asked: slices.Clone(c.cfg.Servers), MeasuredAt: time.Now().UTC(), Error: why}
}

// At returns the latest kept measurement made at or before t whose offset
// text ([OffsetText]) is offset (any, when offset is empty): the
// measurement an observation made at t with that offset relied on. ok is
// false when none is kept.
func (c *Clock) At(t time.Time, offset string) (ClockMeasurement, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.kept) - 1; i >= 0; i-- {
		m := c.kept[i]
		if !m.MeasuredAt.After(t) && (offset == "" || OffsetText(m) == offset) {
			return m, true
		}
	}
	return ClockMeasurement{}, false
}

// Offset returns the offset to add to our clock to get NTP time, and
// whether it was measured (false: "unsynchronized"), from [Clock.Current].
func (c *Clock) Offset(ctx context.Context) (time.Duration, bool) {
	m := c.Current(ctx)
	return time.Duration(m.Offset), m.Synchronized()
}

// OffsetString returns [OffsetText] of [Clock.Current].
func (c *Clock) OffsetString(ctx context.Context) string {
	return OffsetText(c.Current(ctx))
}

// OffsetText is a measurement's offset as a Go duration string rounded to
// the microsecond ("-3.2ms"), or [Unsynchronized]: the form of
// Observation.ClockOffset.
func OffsetText(m ClockMeasurement) string {
	if !m.Synchronized() {
		return Unsynchronized
	}
	return time.Duration(m.Offset).Round(time.Microsecond).String()
}

// answer is one server's valid reply.
type answer struct {
	server string
	resp   *ntp.Response
}

// measure asks every server at once and uses their agreement: the answers
// whose offsets lie within Tolerance plus half their round trip of the
// median offset agree; a majority of the answers must agree, and the
// agreeing answer with the shortest round trip is used.
func (c *Clock) measure(ctx context.Context) ClockMeasurement {
	m := ClockMeasurement{Asked: slices.Clone(c.cfg.Servers)}
	answers := make([]*answer, len(c.cfg.Servers))
	var wg sync.WaitGroup
	for i, srv := range c.cfg.Servers {
		wg.Go(func() {
			resp, err := ntp.QueryWithOptions(srv, ntp.QueryOptions{
				Timeout: c.cfg.Timeout,
				Dialer: func(_, remote string) (net.Conn, error) {
					d := net.Dialer{Timeout: c.cfg.Timeout}
					return d.DialContext(ctx, "udp", remote)
				},
			})
			if err == nil {
				err = resp.Validate()
			}
			if err != nil {
				c.logger.Debug("ntp query failed", "server", srv, "error", err)
				return
			}
			answers[i] = &answer{srv, resp}
		})
	}
	wg.Wait()
	m.MeasuredAt = time.Now().UTC()
	var got []*answer
	for _, a := range answers {
		if a != nil {
			got = append(got, a)
		}
	}
	m.Answered = len(got)
	if len(got) == 0 {
		m.Error = "no NTP server answered"
		if len(c.cfg.Servers) == 0 {
			m.Error = "no NTP server configured"
		}
		return m
	}
	offsets := make([]time.Duration, len(got))
	for i, a := range got {
		offsets[i] = a.resp.ClockOffset
	}
	slices.Sort(offsets)
	median := offsets[len(offsets)/2]
	if len(offsets)%2 == 0 {
		median = offsets[len(offsets)/2-1]/2 + offsets[len(offsets)/2]/2
	}
	var agree []*answer
	for _, a := range got {
		if (a.resp.ClockOffset - median).Abs() <= c.cfg.Tolerance+a.resp.RTT/2 {
			agree = append(agree, a)
		}
	}
	m.Agreeing = len(agree)
	if 2*len(agree) <= len(got) {
		var parts []string
		for _, a := range got {
			parts = append(parts, fmt.Sprintf("%s %v", a.server, a.resp.ClockOffset.Round(time.Microsecond)))
		}
		m.Error = "the servers disagree: " + strings.Join(parts, ", ")
		return m
	}
	best := slices.MinFunc(agree, func(a, b *answer) int { return cmp.Compare(a.resp.RTT, b.resp.RTT) })
	m.Server, m.Stratum = best.server, int(best.resp.Stratum)
	m.Offset, m.RTT, m.RootDistance = Duration(best.resp.ClockOffset), Duration(best.resp.RTT), Duration(best.resp.RootDistance)
	c.logger.Debug("clock offset measured", "server", m.Server, "offset", best.resp.ClockOffset, "rtt", best.resp.RTT,
		"answered", m.Answered, "agreeing", m.Agreeing)
	return m
}

// String describes the last measurement, for logs.
func (c *Clock) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.kept) == 0 {
		return "clock not measured yet"
	}
	m := c.kept[len(c.kept)-1]
	if !m.Synchronized() {
		return "clock " + Unsynchronized + ": " + m.Error
	}
	return fmt.Sprintf("clock offset %v against %s (%d of %d answers agree) at %s", m.Offset, m.Server, m.Agreeing, m.Answered,
		m.MeasuredAt.Format(time.RFC3339))
}
