package evidence

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
)

// TestProbeLibtorrentSeeder probes libtorrent seeding a torrent libtorrent
// made (an independent implementation of the hashing), over uTP and then
// TCP: libtorrent keeps a uTP connection we closed for a few seconds and
// refuses our address meanwhile, so one Dialer must wait that out.
func TestProbeLibtorrentSeeder(t *testing.T) {
	tor := interop.NewLibtorrentTorrent(t, "doc.bin", 300_000, 16<<10, 7)
	peer := interop.Start(t, interop.Libtorrent, tor, interop.Options{NoTracker: true})
	tg := targetOf(t, tor.InfoBytes, "", tor.Doc)
	fx := fixture{ih: tor.InfoHash, target: tg}
	cfg := testConfig()
	cfg.Dialer = &peerdial.Dialer{Policy: netpolicy.Local()}
	p := NewProber(cfg)
	for _, transport := range []string{TransportUTP, TransportTCP} {
		t.Run(transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			res, err := p.Probe(ctx, tg, peer.Addr, transport)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			o := res.Observation
			checkObservation(t, o, fx, peer.Addr, transport)
			if o.Level != L4Served || len(o.PiecesVerified) != 1 || len(o.PiecesFailed) != 0 {
				t.Fatalf("Level=%d verified=%v failed=%v, want L4 with one piece", o.Level, o.PiecesVerified, o.PiecesFailed)
			}
			if v := o.PiecesVerified[0]; v <= tg.firstPiece() || v >= tg.lastPiece() {
				t.Errorf("verified piece %d, want an interior piece of %d-%d", v, tg.firstPiece(), tg.lastPiece())
			}
			if o.ClaimedCount != tg.NumPieces {
				t.Errorf("ClaimedCount = %d, want %d", o.ClaimedCount, tg.NumPieces)
			}
			if !strings.HasPrefix(o.PeerID, hex.EncodeToString([]byte("-LT2080-"))) || o.Client != "lt-interop/2.0" {
				t.Errorf("PeerID=%s Client=%q", o.PeerID, o.Client)
			}
		})
	}
}

// TestProbeLibtorrentClosesUTP: libtorrent requiring encryption ends a
// plaintext uTP connection with a FIN carrying its close-reason extension
// (type 3). The probe must see the close, not wait for its timeout (C
// libutp dropped that FIN, so each such probe waited 60 s), and then get
// through encrypted.
func TestProbeLibtorrentClosesUTP(t *testing.T) {
	tor := interop.NewTorrent(t, "doc.bin", 200_000, 16<<10, 8)
	peer := interop.Start(t, interop.Libtorrent, tor, interop.Options{Transport: "utp", Encryption: interop.Required, NoTracker: true})
	tg := targetOf(t, tor.InfoBytes, "", tor.Doc)
	for _, tc := range []struct {
		encryption peerdial.Encryption
		level      Level
		reason     string
		tried      []string
	}{
		{peerdial.EncryptNever, L1Announced, ReasonClosed, []string{"utp"}},
		{peerdial.EncryptFallback, L4Served, "", []string{"utp", "utp+mse"}},
	} {
		cfg := testConfig()
		cfg.Encryption = tc.encryption
		// Timeouts far longer than any close takes: a probe that ends by
		// one says "timed-out", not "handshake-closed".
		cfg.Timeout, cfg.HandshakeTimeout = 60*time.Second, 60*time.Second
		res, _ := NewProber(cfg).Probe(context.Background(), tg, peer.Addr, TransportUTP)
		o := res.Observation
		if o.Level != tc.level || o.Reason != tc.reason || !slices.Equal(o.Tried, tc.tried) {
			t.Errorf("%v: L%d reason %q tried %v after %v (%s), want L%d %q %v", tc.encryption, o.Level, o.Reason, o.Tried,
				res.Duration, o.Error, tc.level, tc.reason, tc.tried)
		}
		t.Logf("%v: %s in %v", tc.encryption, o.Transport, res.Duration)
	}
}
