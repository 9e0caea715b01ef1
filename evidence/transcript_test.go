package evidence

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// TestRenderTranscript renders a real probe's transcript: the handshake
// both ways, the claims, our requests and the pieces as hashes only.
func TestRenderTranscript(t *testing.T) {
	fx := newFixture(t, 16<<10, 0, 40<<10, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr, stop, err := localswarm.StartLiar(ctx, fx.infoBytes, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: fx.data(t), Bitfield: true})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := NewProber(testConfig()).Probe(ctx, fx.target, addr, TransportTCP)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := RenderTranscript(res.Transcript, 0)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"-> handshake", "<- handshake", "<- bitfield claiming 3 pieces: 0, 1, 2", "-> Interested",
		"-> Request index 1 begin 0 length 16384", "<- piece index 1 begin 0, 16384 bytes of data with SHA-256 "} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered transcript lacks %q:\n%s", want, text)
		}
	}
	if short, _ := RenderTranscript(res.Transcript, 2); len(short) != 3 || !strings.HasPrefix(short[2], "... ") {
		t.Errorf("max lines not honoured: %q", short)
	}
}

func FuzzParseTranscript(f *testing.F) {
	f.Add([]byte("R\x00\x00\x00\x04\x00\x00\x00\x00"))
	f.Add([]byte("P\x00\x00\x00\x2d\x00\x00\x40\x09\x07\x00\x00\x00\x01\x00\x00\x00\x00" + strings.Repeat("h", 32)))
	f.Add([]byte("W\x00\x00\x00\x05\x00\x00\x00\x01\x02T\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x00"))
	f.Add([]byte("R\x00\x00\x00\x44\x13BitTorrent protocol" + strings.Repeat("\x00", 48)))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseTranscript(b)
		lines, err2 := RenderTranscript(b, 100)
		if (err == nil) != (err2 == nil) || len(lines) > 101 {
			t.Fatalf("parse %v, render %v, %d lines", err, err2, len(lines))
		}
		if err == nil && len(lines) != min(len(recs), 101) && len(recs) <= 100 {
			t.Fatalf("%d records, %d lines", len(recs), len(lines))
		}
	})
}
