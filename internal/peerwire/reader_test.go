package peerwire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/internal/racedetect"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// proberSizes are the sizes the prober allows for a torrent of 20 pieces.
var proberSizes = Sizes{NumPieces: 20, MaxBlock: 16 << 10, MaxExtended: 64 << 10, MaxOther: 64 << 10}

func TestSizes(t *testing.T) {
	tests := []struct {
		id     pp.MessageType
		lo, hi int
	}{
		{pp.Choke, 1, 1},
		{pp.HaveNone, 1, 1},
		{pp.Have, 5, 5},
		{pp.Request, 13, 13},
		{pp.Port, 3, 3},
		{pp.Bitfield, 4, 4},
		{pp.Piece, 10, 9 + 16<<10},
		{pp.Extended, 2, 64 << 10},
		{21, 1, 64 << 10},
	}
	for _, tt := range tests {
		if lo, hi := proberSizes.Bounds(byte(tt.id)); lo != tt.lo || hi != tt.hi {
			t.Errorf("%v: %d-%d, want %d-%d", tt.id, lo, hi, tt.lo, tt.hi)
		}
		if known := tt.id != 21; Known(byte(tt.id)) != known {
			t.Errorf("Known(%v) = %v", tt.id, !known)
		}
	}
	if got, want := proberSizes.MaxLength(), 64<<10; got != want {
		t.Errorf("MaxLength %d, want %d", got, want)
	}
	if got, want := (Sizes{NumPieces: 8_000_000, MaxBlock: 16 << 10}).MaxLength(), 1_000_001; got != want {
		t.Errorf("MaxLength with a large bitfield %d, want %d", got, want)
	}
}

func TestAppendMessage(t *testing.T) {
	got := AppendMessage([]byte{9}, 20, []byte{3}, []byte("d1:ai1ee"), nil, []byte("DATA"))
	want := "\x09\x00\x00\x00\x0e\x14\x03d1:ai1eeDATA"
	if string(got) != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got := AppendMessage(nil, byte(pp.Interested)); string(got) != "\x00\x00\x00\x01\x02" {
		t.Errorf("no payload: %q", got)
	}
}

func TestReadMessage(t *testing.T) {
	piece := pp.Message{Type: pp.Piece, Index: 1, Piece: make([]byte, 100)}.MustMarshalBinary()
	prober := Config{MaxLength: proberSizes.MaxLength(), Budget: 400, Bounds: proberSizes.Bounds}
	skipping := Config{Bounds: proberSizes.Bounds, Discard: func(id byte) bool { return id != byte(pp.Extended) }}
	tests := []struct {
		name      string
		cfg       Config
		in        []byte
		frame     int    // bytes of the input Frame holds
		admitted  bool   // Admitted
		discarded bool   // Discarded
		wantErr   string // part of the error, "" for none
		errIs     error
	}{
		{"keep-alive", prober, []byte{0, 0, 0, 0, 9}, 4, false, false, "", nil},
		{"piece", prober, piece, len(piece), true, false, "", nil},
		{"unknown type", prober, AppendMessage(nil, 99, []byte("x")), 6, true, false, "", nil},
		{"over MaxLength", prober, []byte{0x7f, 0xff, 0xff, 0xff, 7}, 4, false, false, "message of 2147483647 bytes", ErrProtocol},
		{"over the budget", prober, AppendMessage(nil, 99, make([]byte, 400)), 4, false, false, "4 bytes read, next message 401", ErrByteLimit},
		{"outside its type's bounds", prober, AppendMessage(nil, byte(pp.Have), []byte{1}), 5, false, false, "Have message of 2 bytes (allowed 5-5)", ErrProtocol},
		{"length cut short", prober, []byte{0, 0}, 2, false, false, "read message length: unexpected EOF", io.ErrUnexpectedEOF},
		{"type missing", prober, []byte{0, 0, 0, 5}, 4, false, false, "read message type: EOF", io.EOF},
		{"body cut short", prober, piece[:50], 50, true, false, "read Piece message: unexpected EOF", io.ErrUnexpectedEOF},
		{"body missing", prober, piece[:5], 5, true, false, "read Piece message: EOF", io.EOF},
		{"discarded", skipping, append(AppendMessage(nil, byte(pp.Bitfield), []byte{1, 2, 3}), 0xff), 5, true, true, "", nil},
		{"discarded, cut short", skipping, AppendMessage(nil, byte(pp.Bitfield), []byte{1, 2, 3})[:6], 5, true, true, "read Bitfield message: EOF", io.EOF},
		{"over the default bound", Config{}, []byte{0, 0x10, 0, 1, 1}, 4, false, false, "message of 1048577 bytes", ErrProtocol},
		{"kept", skipping, AppendMessage(nil, byte(pp.Extended), []byte{0}, []byte("de")), 8, true, false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tt.in), tt.cfg)
			m, err := r.ReadMessage()
			if !bytes.Equal(m.Frame, tt.in[:tt.frame]) {
				t.Errorf("Frame %x, want %x", m.Frame, tt.in[:tt.frame])
			}
			if m.Admitted != tt.admitted || m.Discarded != tt.discarded {
				t.Errorf("Admitted %v, Discarded %v", m.Admitted, m.Discarded)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tt.errIs)) {
				t.Errorf("error %v, want %q (%v)", err, tt.wantErr, tt.errIs)
			}
			if len(m.Frame) >= 5 && m.Type != m.Frame[4] {
				t.Errorf("Type %d, frame type %d", m.Type, m.Frame[4])
			}
		})
	}
}

func TestReaderBudget(t *testing.T) {
	h := Handshake{}.Append(nil)
	have := pp.Message{Type: pp.Have, Index: 3}.MustMarshalBinary() // 9 bytes
	in := bytes.Join([][]byte{h, have, {0, 0, 0, 0}, have}, nil)
	// 68 + 9 + 4 = 81 bytes read before the last Have; its length prefix
	// makes 85, and its length (5) would take the count to 90.
	r := NewReader(bytes.NewReader(in), Config{Budget: 89})
	if _, _, err := r.ReadHandshake(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := r.ReadMessage(); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if r.BytesRead() != 81 {
		t.Errorf("%d bytes counted, want 81", r.BytesRead())
	}
	if _, err := r.ReadMessage(); !errors.Is(err, ErrByteLimit) || !strings.Contains(err.Error(), "85 bytes read, next message 5") {
		t.Errorf("over the budget: %v", err)
	}
	r = NewReader(bytes.NewReader(in), Config{Budget: 90})
	_, _, _ = r.ReadHandshake()
	for i := range 3 {
		if _, err := r.ReadMessage(); err != nil {
			t.Fatalf("at the budget, message %d: %v", i, err)
		}
	}
}

func TestReaderReusesItsBuffer(t *testing.T) {
	racedetect.SkipAllocs(t)
	var in []byte
	for i := range 100 {
		in = append(in, pp.Message{Type: pp.Piece, Index: pp.Integer(i), Piece: make([]byte, 16<<10)}.MustMarshalBinary()...)
	}
	r := NewReader(bytes.NewReader(in), Config{Bounds: proberSizes.Bounds})
	allocs := testing.AllocsPerRun(1, func() {
		for range 49 {
			if _, err := r.ReadMessage(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations for 49 block messages", allocs)
	}
}

func TestAppendMessageAllocatesOnce(t *testing.T) {
	racedetect.SkipAllocs(t)
	data := make([]byte, 16<<10)
	if n := testing.AllocsPerRun(10, func() { _ = AppendMessage(nil, byte(pp.Extended), []byte{3}, []byte("d8:msg_typei1ee"), data) }); n != 1 {
		t.Errorf("%v allocations", n)
	}
}
