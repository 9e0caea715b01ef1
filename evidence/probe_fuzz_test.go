package evidence

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// streamConn is a net.Conn that reads a fixed byte stream and discards
// writes.
type streamConn struct {
	r *bytes.Reader
}

func (c streamConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c streamConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c streamConn) Close() error                     { return nil }
func (c streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c streamConn) SetDeadline(time.Time) error      { return nil }
func (c streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c streamConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzProbeSession feeds arbitrary peer bytes, after a valid handshake, to
// a probe session: it must end with an error or a grade, never panic, and
// never grade above L3 without a verified piece.
func FuzzProbeSession(f *testing.F) {
	fx := newFixture(f, 16<<10, 0, 48<<10, 0)
	hs := handshakeBytes(fx.ih, true)
	pex := []byte("d5:added12:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x01\x00\x00e")
	for _, seed := range [][]byte{
		msg(pp.Message{Type: pp.HaveAll}),
		append(msg(pp.Message{Type: pp.Bitfield, Bitfield: []bool{true, false, true}}), msg(pp.Message{Type: pp.Unchoke})...),
		append(msg(pp.Message{Type: pp.Extended, ExtendedID: 0, ExtendedPayload: []byte("d1:md6:ut_pexi3ee1:v6:fuzz/1e")}),
			msg(pp.Message{Type: pp.Extended, ExtendedID: ourPexID, ExtendedPayload: pex})...),
		append(msg(pp.Message{Type: pp.Have, Index: 1}), msg(pp.Message{Type: pp.Piece, Index: 1, Begin: 0, Piece: make([]byte, 100)})...),
		msg(pp.Message{Type: pp.Request, Index: 0, Begin: 0, Length: 16384}),
		{0, 0, 0, 0, 0, 0, 0, 1, 0x63},
	} {
		f.Add(seed)
	}
	cfg := testConfig()
	cfg.MaxBytes = 1 << 20
	p := NewProber(cfg)
	f.Fuzz(func(t *testing.T, b []byte) {
		stream := append(append([]byte{}, hs...), b...)
		res := &ProbeResult{}
		tr := &transcript{}
		w := newWire(streamConn{bytes.NewReader(stream)}, tr, cfg.MaxBytes, fx.target.NumPieces)
		s := &session{p: p, t: &fx.target, w: w, res: res, choked: true, piece: -1,
			allowed: map[int]bool{}, tried: map[int]bool{}, pexSet: map[netip.AddrPort]struct{}{}}
		err := s.run(context.Background())
		s.finish()
		if err == nil && len(s.verified) == 0 {
			t.Fatalf("session ended without error or verified piece")
		}
		if err != nil && err == io.EOF {
			t.Fatalf("bare EOF: %v", err)
		}
		if res.Observation.Level > 3 && len(res.Observation.PiecesVerified) == 0 {
			t.Fatalf("level %d without a verified piece", res.Observation.Level)
		}
		if len(res.PEX) > cfg.MaxPEX {
			t.Fatalf("%d PEX peers", len(res.PEX))
		}
	})
}
