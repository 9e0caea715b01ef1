package peerwire

import (
	"bytes"
	"encoding/binary"
	"testing"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// FuzzParseHandshake checks that a handshake that parses encodes back to
// the same bytes.
func FuzzParseHandshake(f *testing.F) {
	f.Add(Handshake{Reserved: pp.NewPeerExtensionBytes(pp.ExtensionBitLtep), InfoHash: [20]byte{1}}.Append(nil))
	f.Add([]byte("\x13BitTorrent protocol"))
	f.Add(bytes.Repeat([]byte{0xa5}, 68))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandshake(b)
		if err != nil {
			return
		}
		if got := h.Append(nil); !bytes.Equal(got, b) {
			t.Fatalf("%x parsed and encoded as %x", b, got)
		}
	})
}

// FuzzReadMessage reads arbitrary peer bytes as the prober does (exact
// sizes per type, a byte budget) and as the metadata fetcher does (bodies
// of most types discarded): every message read must keep within the
// bounds, its Frame must be what was read, and the count of bytes read
// must add up.
func FuzzReadMessage(f *testing.F) {
	for _, seed := range [][]byte{
		pp.Message{Type: pp.HaveAll}.MustMarshalBinary(),
		append(pp.Message{Type: pp.Bitfield, Bitfield: make([]bool, 20)}.MustMarshalBinary(), pp.Message{Type: pp.Unchoke}.MustMarshalBinary()...),
		pp.Message{Type: pp.Extended, ExtendedID: 0, ExtendedPayload: []byte("d1:md6:ut_pexi3ee1:v6:fuzz/1e")}.MustMarshalBinary(),
		pp.Message{Type: pp.Piece, Index: 1, Piece: make([]byte, 100)}.MustMarshalBinary(),
		{0, 0, 0, 0, 0, 0, 0, 1, 0x63},
		[]byte("\x00\x00\x00\x00\x00\x00\x00\x02\x05\xff"),
		[]byte("\x00\x00\x00\x03\x14\x00d"),
		[]byte("\x7f\xff\xff\xff\x14"),
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	prober := Config{MaxLength: proberSizes.MaxLength(), Budget: 1 << 20, Bounds: proberSizes.Bounds}
	fetcher := Config{MaxLength: 1 + 1<<20, Bounds: func(id byte) (int, int) {
		if id == byte(pp.Extended) {
			return 2, 17 << 10
		}
		return 1, 1 << 20
	}, Discard: func(id byte) bool { return id != byte(pp.Extended) }}
	f.Fuzz(func(t *testing.T, b []byte, discard bool) {
		cfg := prober
		if discard {
			cfg = fetcher
		}
		r := NewReader(bytes.NewReader(b), cfg)
		var consumed int64
		for range 1000 {
			m, err := r.ReadMessage()
			if !m.Discarded && !bytes.Equal(m.Frame, b[consumed:consumed+int64(len(m.Frame))]) {
				t.Fatalf("Frame is not the input read")
			}
			consumed = r.BytesRead()
			if err != nil {
				return
			}
			if m.KeepAlive() {
				continue
			}
			length := int(binary.BigEndian.Uint32(m.Frame))
			lo, hi := cfg.Bounds(m.Type)
			if length < lo || length > hi || cfg.MaxLength > 0 && length > cfg.MaxLength || cfg.Budget > 0 && consumed > cfg.Budget {
				t.Fatalf("type %d, length %d accepted (bounds %d-%d), %d bytes read", m.Type, length, lo, hi, consumed)
			}
			if !m.Discarded && len(m.Frame) != 4+length {
				t.Fatalf("frame of %d bytes for length %d", len(m.Frame), length)
			}
		}
	})
}
