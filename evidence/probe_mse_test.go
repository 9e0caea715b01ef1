package evidence

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/anacrolix/torrent"

	"github.com/leakhunt/leakhunt/internal/peerdial"
)

// startEncryptedSeeder starts an anacrolix seeder of fx that requires
// MSE/PE on every connection.
func startEncryptedSeeder(t *testing.T, fx fixture) *torrent.Client {
	t.Helper()
	cfg := seederConfig(fx.dir)
	cfg.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{Preferred: true, RequirePreferred: true}
	return startSeederWith(t, fx, cfg)
}

// connections returns the transports named by a transcript's 'C' records.
func connections(tr []byte) []string {
	var out []string
	for b := tr; len(b) >= 5; {
		n := int(binary.BigEndian.Uint32(b[1:5]))
		if b[0] == TranscriptConnection {
			out = append(out, string(b[5:5+n]))
		}
		b = b[5+n:]
	}
	return out
}

func TestProbeEncryptedSeeder(t *testing.T) {
	fx := newFixture(t, 16<<10, 20<<10, 100<<10, 10<<10)
	cl := startEncryptedSeeder(t, fx)
	for _, tc := range []struct {
		transport  string
		encryption peerdial.Encryption
		level      Level
		tried      []string
		reason     string
	}{
		{TransportTCP, peerdial.EncryptFallback, L4Served, []string{"tcp", "tcp+mse"}, ""},
		{TransportUTP, peerdial.EncryptFallback, L4Served, []string{"utp", "utp+mse"}, ""},
		{TransportTCP, peerdial.EncryptRequire, L4Served, []string{"tcp+mse"}, ""},
		{TransportTCP, peerdial.EncryptPrefer, L4Served, []string{"tcp+mse"}, ""},
		// anacrolix, requiring encryption, answers a plaintext handshake
		// with its MSE key.
		{TransportTCP, peerdial.EncryptNever, L1Announced, []string{"tcp"}, ReasonNotBitTorrent},
		{TransportUTP, peerdial.EncryptNever, L1Announced, []string{"utp"}, ReasonNotBitTorrent},
	} {
		t.Run(tc.transport+"-"+tc.encryption.String(), func(t *testing.T) {
			addr := seederAddr(t, cl, tc.transport, false)
			cfg := testConfig()
			cfg.Encryption = tc.encryption
			// RC4 through anacrolix under the race detector, with the rest
			// of the suite on two cores, can be slow: a generous bound.
			cfg.Timeout = 60 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			start := time.Now()
			res, err := NewProber(cfg).Probe(ctx, fx.target, addr, tc.transport)
			o := res.Observation
			if o.Level != tc.level || o.Reason != tc.reason || !slices.Equal(o.Tried, tc.tried) {
				t.Fatalf("Level=%d Reason=%q Tried=%v (%v), want L%d %q %v", o.Level, o.Reason, o.Tried, err, tc.level, tc.reason, tc.tried)
			}
			if got := connections(res.Transcript); !slices.Equal(got, tc.tried) {
				t.Errorf("transcript connections %v, want %v", got, tc.tried)
			}
			if want := tc.tried[len(tc.tried)-1]; o.Transport != want {
				t.Errorf("Transport = %q, want %q", o.Transport, want)
			}
			if o.Ended.Before(o.Time) || o.Ended.After(time.Now()) {
				t.Errorf("Time %v, Ended %v", o.Time, o.Ended)
			}
			if tc.level < L2Connected {
				// The seeder answers a plaintext handshake at once: the
				// probe must see it, not wait for a timeout.
				if d := time.Since(start); d > cfg.HandshakeTimeout {
					t.Errorf("a closed handshake took %v", d)
				}
				return
			}
			checkObservation(t, o, fx, addr, o.Transport)
			if got := transcriptHash(res.Transcript); got != o.TranscriptSHA256 {
				t.Errorf("transcript hash %s, recorded %s", got, o.TranscriptSHA256)
			}
			// The transcript is the BitTorrent layer above the encryption:
			// our handshake in clear, the piece redacted.
			if !bytes.Contains(res.Transcript, []byte("\x13BitTorrent protocol")) {
				t.Error("transcript does not hold the plaintext handshake")
			}
			checkRedacted(t, res.Transcript, fx, o.PiecesVerified)
		})
	}
}
