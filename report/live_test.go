package report

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
)

// TestGenerateWhileAppending makes reports while another goroutine appends
// observations and signs checkpoints, as a running hunt does: each report
// signs the tree it verified, and the bundle and the store both verify.
func TestGenerateWhileAppending(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	appended := make(chan struct{}, 1)
	var werr error
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			o := evidence.Observation{Time: time.Date(2026, 3, 1, 0, 0, i%60, 0, time.UTC), ClockOffset: "unsynchronized",
				Level: evidence.L1Announced, Source: "dht", IP: "85.10.1.5", Port: 6881, InfoHash: ihA, Version: "test"}
			if _, err := s.AppendObservations([]evidence.Observation{o}); err != nil {
				werr = err
				return
			}
			if i%5 == 0 {
				if _, _, err := evidence.SignCheckpoint(s, keys); err != nil {
					werr = err
					return
				}
			}
			select {
			case appended <- struct{}{}:
			default:
			}
		}
	})
	defer func() {
		cancel()
		wg.Wait()
		if werr != nil {
			t.Fatalf("appender: %v", werr)
		}
	}()
	for i := range 3 {
		<-appended // the log grows between reports
		opt := fixtureOptions(t, dir, "en")
		sum, err := Generate(ctx, s, keys, opt)
		if err != nil && !errors.Is(err, ErrNoPeers) {
			t.Fatalf("report %d while appending: %v", i, err)
		}
		probs, err := VerifyBundle(sum.Dir, VerifyOptions{Key: keys.Fingerprint})
		if err != nil || len(probs) > 0 {
			t.Fatalf("report %d: bundle does not verify: %v %v", i, probs, err)
		}
		vp, _, err := evidence.VerifyStore(s, keys.VerifierKey)
		if err != nil || len(vp) > 0 {
			t.Fatalf("store while appending: %v %v", vp, err)
		}
	}
}
