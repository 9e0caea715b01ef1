package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/transcripts.golden")

// TestTranscriptGolden runs a probe session over fixed peer byte streams,
// well-formed and hostile (oversized, over the byte budget, cut short at
// every step of a message), and compares each transcript (its SHA-256 and
// its rendering), error and level with testdata/transcripts.golden: the
// transcript of a given exchange must not change.
func TestTranscriptGolden(t *testing.T) {
	fx := newFixture(t, 16<<10, 0, 48<<10, 0)
	hs := handshakeBytes(fx.ih, true)
	piece := msg(pp.Message{Type: pp.Piece, Index: 1, Begin: 0, Piece: fx.doc[16<<10 : 32<<10]})
	wrongIH := fx.ih
	wrongIH[0] ^= 0xff
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name     string
		stream   []byte
		maxBytes int64
	}{
		{"claims, unchoke and a verified piece", cat(hs, msg(pp.Message{Type: pp.Bitfield, Bitfield: []bool{false, true, false}}),
			msg(pp.Message{Type: pp.Unchoke}), piece), 0},
		{"keep-alive, unknown type, extended handshake and pex", cat(hs, []byte{0, 0, 0, 0}, frame(0x63, []byte("skipped")),
			msg(pp.Message{Type: pp.Extended, ExtendedID: 0, ExtendedPayload: []byte("d1:md6:ut_pexi3ee1:v6:fuzz/1e")}),
			msg(pp.Message{Type: pp.Extended, ExtendedID: ourPexID, ExtendedPayload: []byte("d5:added6:\x7f\x00\x00\x01\x1a\xe1e")}),
			msg(pp.Message{Type: pp.HaveAll})), 0},
		{"message over every bound", cat(hs, []byte{0x7f, 0xff, 0xff, 0xff, 7}), 0},
		{"message over the byte budget", cat(hs, msg(pp.Message{Type: pp.HaveAll}), msg(pp.Message{Type: pp.Unchoke}), piece), 200},
		{"piece shorter than its header", cat(hs, msg(pp.Message{Type: pp.HaveAll}), frame(7, []byte{0, 0, 0, 1})), 0},
		{"piece cut short", cat(hs, msg(pp.Message{Type: pp.HaveAll}), msg(pp.Message{Type: pp.Unchoke}), piece[:1000]), 0},
		{"piece cut after its type", cat(hs, msg(pp.Message{Type: pp.HaveAll}), msg(pp.Message{Type: pp.Unchoke}), piece[:5]), 0},
		{"length cut short", cat(hs, msg(pp.Message{Type: pp.HaveAll}), []byte{0, 0}), 0},
		{"type missing", cat(hs, msg(pp.Message{Type: pp.HaveAll}), []byte{0, 0, 0, 5}), 0},
		{"have out of range", cat(hs, msg(pp.Message{Type: pp.Have, Index: 99})), 0},
		{"handshake cut short", hs[:30], 0},
		{"not a BitTorrent handshake", bytes.Repeat([]byte{0x42}, 68), 0},
		{"handshake for another torrent", handshakeBytes(wrongIH, false), 0},
	}
	cfg := testConfig()
	cfg.PeerID = [20]byte([]byte("-LX0100-goldengolden"))
	var out strings.Builder
	for _, c := range cases {
		cfg.MaxBytes = 1 << 20
		if c.maxBytes > 0 {
			cfg.MaxBytes = c.maxBytes
		}
		p := NewProber(cfg)
		res := &ProbeResult{}
		tr := &transcript{}
		w := newWire(streamConn{bytes.NewReader(c.stream)}, tr, cfg.MaxBytes, fx.target.NumPieces)
		s := &session{p: p, t: &fx.target, w: w, res: res, choked: true, piece: -1,
			allowed: map[int]bool{}, tried: map[int]bool{}, pexSet: map[netip.AddrPort]struct{}{}}
		err := s.run(context.Background())
		s.finish()
		b, _ := tr.finish()
		lines, rerr := RenderTranscript(b, 0)
		if rerr != nil {
			t.Fatalf("%s: render: %v", c.name, rerr)
		}
		fmt.Fprintf(&out, "== %s\nerror: %v\nlevel: %d\ntranscript: %d bytes, SHA-256 %x\n%s\n\n",
			c.name, err, int(res.Observation.Level), len(b), sha256.Sum256(b), strings.Join(lines, "\n"))
	}
	const golden = "testdata/transcripts.golden"
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("transcripts differ from %s:\n%s", golden, got)
	}
}
