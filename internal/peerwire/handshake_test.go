package peerwire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

func TestHandshake(t *testing.T) {
	h := Handshake{Reserved: pp.NewPeerExtensionBytes(pp.ExtensionBitLtep, pp.ExtensionBitFast),
		InfoHash: [20]byte{1, 2, 3}, PeerID: [20]byte([]byte("-LX0100-abcdefghijkl"))}
	b := h.Append([]byte("x"))
	want := "x\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x04\x01\x02\x03" + strings.Repeat("\x00", 17) + "-LX0100-abcdefghijkl"
	if string(b) != want {
		t.Fatalf("Append: %q\nwant    %q", b, want)
	}
	got, err := ParseHandshake(b[1:])
	if err != nil || got != h {
		t.Fatalf("ParseHandshake: %+v, %v", got, err)
	}
	if !got.Reserved.SupportsExtended() || !got.Reserved.SupportsFast() {
		t.Errorf("reserved bits lost: %x", got.Reserved)
	}
	if err := got.CheckInfoHash(h.InfoHash); err != nil {
		t.Errorf("CheckInfoHash of its own infohash: %v", err)
	}
	err = got.CheckInfoHash([20]byte{9})
	if !errors.Is(err, ErrWrongTorrent) || !strings.Contains(err.Error(), "handshake for infohash 010203") {
		t.Errorf("CheckInfoHash of another infohash: %v", err)
	}
	for name, in := range map[string][]byte{
		"short":        b[1:67],
		"long":         append(bytes.Clone(b[1:]), 0),
		"other string": append([]byte("\x13BitTorrent protocoL"), b[21:]...),
		"mse key":      bytes.Repeat([]byte{0xa5}, 68),
	} {
		if _, err := ParseHandshake(in); err != ErrNotBitTorrent {
			t.Errorf("%s: %v, want ErrNotBitTorrent", name, err)
		}
	}
}

func TestReadHandshake(t *testing.T) {
	h := Handshake{InfoHash: [20]byte{7}, PeerID: [20]byte{8}}
	full := h.Append(nil)
	tests := []struct {
		name    string
		in      []byte
		wantRaw int
		wantErr error
	}{
		{"whole", append(full, 0, 0, 0, 0), 68, nil},
		{"cut short", full[:30], 30, errors.New("read handshake: unexpected EOF")},
		{"empty", nil, 0, errors.New("read handshake: EOF")},
		{"not BitTorrent", bytes.Repeat([]byte{1}, 68), 68, ErrNotBitTorrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tt.in), Config{})
			got, raw, err := r.ReadHandshake()
			if !bytes.Equal(raw, tt.in[:tt.wantRaw]) || r.BytesRead() != int64(tt.wantRaw) {
				t.Errorf("raw %d bytes, %d counted; want %d", len(raw), r.BytesRead(), tt.wantRaw)
			}
			switch {
			case tt.wantErr == nil && (err != nil || got != h):
				t.Errorf("%+v, %v", got, err)
			case tt.wantErr != nil && (err == nil || err.Error() != tt.wantErr.Error()):
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}
