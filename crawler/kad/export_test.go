package kad

import (
	"net/netip"
	"time"
)

// TestLimiter exposes the rate limiter, with a clock the test sets, to the
// external tests.
type TestLimiter struct {
	l   *limiter
	Now time.Time
}

func NewTestLimiter(maxIPs int, margin float64) *TestLimiter {
	t := &TestLimiter{Now: time.Unix(1_700_000_000, 0)}
	t.l = newLimiter(maxIPs, margin)
	t.l.now = func() time.Time { return t.Now }
	return t
}

func (t *TestLimiter) Take(ip netip.Addr, op byte) (bool, time.Duration) { return t.l.take(ip, op) }
func (t *TestLimiter) Size() int                                         { return t.l.size() }
