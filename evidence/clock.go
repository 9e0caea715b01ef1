package evidence

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/beevik/ntp"
)

// Unsynchronized is the clock offset recorded when no NTP server answered.
const Unsynchronized = "unsynchronized"

// ClockConfig configures a [Clock].
type ClockConfig struct {
	// Servers are NTP servers, "host" or "host:port" (default port 123),
	// tried in order until one gives a valid answer. None means the clock
	// is always "unsynchronized".
	Servers []string
	// Timeout bounds one query to one server.
	Timeout time.Duration
	// Interval is how long a measured offset is reused before measuring
	// again.
	Interval time.Duration
	// RetryInterval is how long a failed measurement ("unsynchronized") is
	// reused before trying again.
	RetryInterval time.Duration
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
	}
}

// Clock measures our clock's offset against NTP and caches it. It is safe
// for concurrent use; concurrent callers share one measurement.
type Clock struct {
	cfg    ClockConfig
	logger *slog.Logger
	lock   chan struct{} // held while measuring or reading the cache

	measured time.Time // when the cached value was measured (zero: never)
	offset   time.Duration
	synced   bool
	server   string
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
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Clock{cfg: cfg, logger: logger, lock: make(chan struct{}, 1)}
}

// Offset returns the offset to add to our clock to get NTP time, and
// whether it was measured (false: "unsynchronized"). It measures when the
// cached value is older than Interval (RetryInterval after a failure);
// while a measurement runs, other callers wait for it or for ctx.
func (c *Clock) Offset(ctx context.Context) (time.Duration, bool) {
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		return 0, false
	}
	defer func() { <-c.lock }()
	age := time.Since(c.measured)
	fresh := c.cfg.Interval
	if !c.synced {
		fresh = c.cfg.RetryInterval
	}
	if !c.measured.IsZero() && age < fresh && age >= 0 {
		return c.offset, c.synced
	}
	c.offset, c.synced, c.server = c.measure(ctx)
	c.measured = time.Now()
	return c.offset, c.synced
}

// OffsetString returns the offset as a Go duration string rounded to the
// microsecond ("-3.2ms"), or [Unsynchronized].
func (c *Clock) OffsetString(ctx context.Context) string {
	off, ok := c.Offset(ctx)
	if !ok {
		return Unsynchronized
	}
	return off.Round(time.Microsecond).String()
}

func (c *Clock) measure(ctx context.Context) (time.Duration, bool, string) {
	for _, srv := range c.cfg.Servers {
		if ctx.Err() != nil {
			break
		}
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
			continue
		}
		c.logger.Debug("clock offset measured", "server", srv, "offset", resp.ClockOffset, "rtt", resp.RTT)
		return resp.ClockOffset, true, srv
	}
	return 0, false, ""
}

// String describes the last measurement, for logs.
func (c *Clock) String() string {
	select {
	case c.lock <- struct{}{}:
		defer func() { <-c.lock }()
	default:
		return "clock (measuring)"
	}
	if !c.synced {
		return "clock " + Unsynchronized
	}
	return fmt.Sprintf("clock offset %v against %s at %s", c.offset, c.server, c.measured.UTC().Format(time.RFC3339))
}
