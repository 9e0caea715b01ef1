package interop

import (
	"context"
	"time"
)

// pollEvery is how often [Until] asks.
const pollEvery = 25 * time.Millisecond

// Until asks cond at once and then every 25 ms until it is true (Until
// returns true) or ctx ends (false). Tests use it where a condition can
// be asked but not awaited: a count in a store, goroutines ending, a
// process's state. It needs no test.
func Until(ctx context.Context, cond func() bool) bool {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// Within is [Until] with a time limit instead of a context.
func Within(limit time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return Until(ctx, cond)
}
