package kad

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// RequestLimit returns aMule's flood limit for requests with opcode op
// (PacketTracking.cpp, InTrackListIsAllowedPacket): how many one IP may
// send a node per minute. Above the limit aMule drops the request; above
// five times the limit it bans the IP. The client sends no more than this,
// per destination IP, whatever its callers ask. ok is false for opcodes
// aMule does not limit (answers).
func RequestLimit(op byte) (perMinute int, ok bool) {
	_, perMinute, ok = requestClass(op)
	return perMinute, ok
}

// requestClass returns the bucket index and limit of a limited opcode.
func requestClass(op byte) (class, perMinute int, ok bool) {
	switch op {
	case OpBootstrapReq:
		return 0, 2, true
	case OpHelloReq:
		return 1, 3, true
	case OpReq:
		return 2, 10, true
	case OpSearchKeyReq:
		return 3, 3, true
	case OpSearchSourceReq:
		return 4, 3, true
	case OpPublishKeyReq:
		return 5, 3, true
	case OpPublishSrcReq:
		return 6, 2, true
	case OpPing:
		return 7, 2, true
	}
	return 0, 0, false
}

var limitedOps = [...]byte{OpBootstrapReq, OpHelloReq, OpReq, OpSearchKeyReq, OpSearchSourceReq, OpPublishKeyReq, OpPublishSrcReq, OpPing}

const numClasses = 8

// bucket is a token bucket holding up to limit−1 tokens, refilled at one
// token per (60 s / limit) × (1 + margin), which is how aMule's counter
// forgets requests. aMule allows limit requests in a burst; keeping one in
// reserve (and the margin) absorbs up to one interval of network jitter,
// which could otherwise make a request arrive early and be dropped.
type bucket struct {
	tokens float64
	last   time.Time
	used   bool
}

type ipBuckets [numClasses]bucket

// limiter paces requests per destination IP and opcode. It is safe for
// concurrent use; its memory is bounded by max IPs.
type limiter struct {
	mu     sync.Mutex
	ips    map[netip.Addr]*ipBuckets
	max    int
	margin float64
	now    func() time.Time
}

func newLimiter(maxIPs int, margin float64) *limiter {
	return &limiter{ips: make(map[netip.Addr]*ipBuckets), max: maxIPs, margin: margin, now: time.Now}
}

func (l *limiter) interval(limit int) time.Duration {
	return time.Duration(float64(time.Minute) / float64(limit) * (1 + l.margin))
}

// take consumes a token for a request with opcode op to ip when one is
// available and reports true; otherwise it reports how long until one is.
// Opcodes aMule does not limit are always allowed.
func (l *limiter) take(ip netip.Addr, op byte) (bool, time.Duration) {
	class, limit, limited := requestClass(op)
	if !limited {
		return true, 0
	}
	every := l.interval(limit)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	bs := l.ips[ip]
	if bs == nil {
		if len(l.ips) >= l.max {
			l.sweep(now)
			if len(l.ips) >= l.max {
				return false, every
			}
		}
		bs = new(ipBuckets)
		l.ips[ip] = bs
	}
	b := &bs[class]
	burst := float64(max(limit-1, 1))
	if !b.used {
		*b = bucket{tokens: burst, last: now, used: true}
	} else {
		b.tokens = min(burst, b.tokens+float64(now.Sub(b.last))/float64(every))
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(every))
}

// sweep forgets IPs whose buckets have all refilled: they are as if never
// used. The caller holds l.mu.
func (l *limiter) sweep(now time.Time) {
	for ip, bs := range l.ips {
		idle := true
		for _, op := range limitedOps {
			class, limit, _ := requestClass(op)
			b := &bs[class]
			if b.used && b.tokens+float64(now.Sub(b.last))/float64(l.interval(limit)) < float64(max(limit-1, 1)) {
				idle = false
				break
			}
		}
		if idle {
			delete(l.ips, ip)
		}
	}
}

// wait takes a token, waiting for one as long as ctx allows.
func (l *limiter) wait(ctx context.Context, ip netip.Addr, op byte) error {
	for {
		ok, retry := l.take(ip, op)
		if ok {
			return nil
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// size returns the number of IPs tracked.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ips)
}
