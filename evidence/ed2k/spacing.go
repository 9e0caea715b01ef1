package ed2k

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// spacer keeps probes of one address apart: one at a time, and a pause
// after each. It is safe for concurrent use; it remembers only addresses
// probed within the last pause.
type spacer struct {
	pause time.Duration
	mu    sync.Mutex
	slots map[netip.AddrPort]*slot
}

type slot struct {
	done  chan struct{} // closed when the probe in progress ends; nil after
	until time.Time     // when the next probe may start, once done
}

func newSpacer(pause time.Duration) *spacer {
	return &spacer{pause: pause, slots: make(map[netip.AddrPort]*slot)}
}

// acquire waits until addr may be probed and returns the function that
// ends the probe.
func (s *spacer) acquire(ctx context.Context, addr netip.AddrPort) (func(), error) {
	for {
		s.mu.Lock()
		now := time.Now()
		if len(s.slots) > 256 {
			for a, sl := range s.slots {
				if sl.done == nil && !now.Before(sl.until) {
					delete(s.slots, a)
				}
			}
		}
		sl := s.slots[addr]
		if sl == nil || (sl.done == nil && !now.Before(sl.until)) {
			sl = &slot{done: make(chan struct{})}
			s.slots[addr] = sl
			s.mu.Unlock()
			return func() { s.release(sl) }, nil
		}
		done, until := sl.done, sl.until
		s.mu.Unlock()
		if done != nil {
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		t := time.NewTimer(time.Until(until))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

func (s *spacer) release(sl *slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.until = time.Now().Add(s.pause)
	close(sl.done)
	sl.done = nil
}
