package kad_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

// TestLimiterUnderAMuleAccounting drives the limiter as hard as possible
// for ten simulated minutes, with jitter on arrival, and feeds everything
// it lets through to aMule's own flood accounting: nothing may be dropped,
// and the limiter must still use most of the allowance.
func TestLimiterUnderAMuleAccounting(t *testing.T) {
	l := kad.NewTestLimiter(100, 0.1)
	flood := emulefixture.NewFloodCounter()
	ip := netip.MustParseAddr("100.64.1.2")
	ops := []byte{kad.OpBootstrapReq, kad.OpHelloReq, kad.OpReq, kad.OpSearchKeyReq, kad.OpSearchSourceReq, kad.OpPing}
	rng := rand.New(rand.NewPCG(1, 2))
	sent := map[byte]int{}
	start := l.Now
	for l.Now.Sub(start) < 10*time.Minute {
		for _, op := range ops {
			if ok, _ := l.Take(ip, op); ok {
				sent[op]++
				// Up to 2 s of network jitter, either way.
				arrival := l.Now.Add(time.Duration(rng.IntN(4000)-2000) * time.Millisecond)
				if v := flood.Count(ip, op, arrival); v != emulefixture.FloodAllowed {
					t.Fatalf("opcode 0x%02X: request %d at %v was %d by aMule's accounting", op, sent[op], l.Now.Sub(start), v)
				}
			}
		}
		l.Now = l.Now.Add(100 * time.Millisecond)
	}
	for _, op := range ops {
		limit, _ := kad.RequestLimit(op)
		if min := limit * 10 * 85 / 100; sent[op] < min {
			t.Errorf("opcode 0x%02X: %d requests in 10 minutes, want at least %d", op, sent[op], min)
		}
	}
}

func TestLimiterReportsRetry(t *testing.T) {
	l := kad.NewTestLimiter(2, 0)
	ip := netip.MustParseAddr("100.64.1.2")
	for range 2 {
		if ok, _ := l.Take(ip, kad.OpSearchSourceReq); !ok {
			t.Fatal("the first two searches of a minute were refused")
		}
	}
	ok, retry := l.Take(ip, kad.OpSearchSourceReq)
	if ok || retry <= 0 || retry > 20*time.Second {
		t.Fatalf("third search at once: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := l.Take(ip, kad.OpRes); !ok {
		t.Error("answers are not limited")
	}
	// The table is bounded: a third IP waits while the first two pace.
	l.Take(netip.MustParseAddr("100.64.1.3"), kad.OpReq)
	if ok, _ := l.Take(netip.MustParseAddr("100.64.1.4"), kad.OpReq); ok || l.Size() != 2 {
		t.Errorf("third IP allowed with a table of 2 (size %d)", l.Size())
	}
	l.Now = l.Now.Add(2 * time.Minute)
	if ok, _ := l.Take(netip.MustParseAddr("100.64.1.4"), kad.OpReq); !ok {
		t.Error("idle IPs were not forgotten")
	}
}
