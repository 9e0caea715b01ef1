package ed2k

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/ed2kwire"
)

func sampleTranscript() []Record {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hello := ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: 0x01, Body: []byte{16, 1, 2, 3}}
	data := ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpSendingPart, Body: make([]byte, 16+8+1000)}
	return []Record{recordPacket(DirWrite, hello, now), recordPacket(DirRead, data, now),
		{Dir: DirRead, Kind: KindCut, Bytes: []byte{0xe3, 0xff}}}
}

// TestTranscriptCodec: the encoding hashes to TranscriptSHA256, parses back
// to the same records, renders with the payload's hash only, and every
// malformed form is refused with ErrTranscript.
func TestTranscriptCodec(t *testing.T) {
	recs := sampleTranscript()
	enc := EncodeTranscript(recs)
	back, err := ParseTranscript(enc)
	if err != nil || len(back) != len(recs) {
		t.Fatalf("ParseTranscript = %d records, %v", len(back), err)
	}
	if TranscriptSHA256(back) != TranscriptSHA256(recs) {
		t.Error("parsed transcript hashes differently")
	}
	for i := range recs {
		if back[i].Dir != recs[i].Dir || back[i].Kind != recs[i].Kind || !bytes.Equal(back[i].Bytes, recs[i].Bytes) {
			t.Errorf("record %d differs", i)
		}
	}
	lines, err := RenderTranscript(enc, 0)
	if err != nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "-> packet 0xE3/0x01") ||
		!strings.Contains(lines[1], "payload replaced by its SHA-256") || !strings.Contains(lines[2], "cut short after 2 bytes") {
		t.Errorf("RenderTranscript = %q, %v", lines, err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"short header", enc[:3]},
		{"bad direction", append([]byte{'X'}, enc[1:]...)},
		{"bad kind", append([]byte{'R', 'Z'}, enc[2:]...)},
		{"length past the end", []byte{'R', 'P', 0xff, 0xff, 0xff, 0xff, 1}},
		{"cut record", enc[:len(enc)-1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseTranscript(tc.b); !errors.Is(err, ErrTranscript) {
				t.Errorf("err = %v, want ErrTranscript", err)
			}
		})
	}
}

// FuzzParseTranscript: any input parses or fails cleanly, and what parses
// encodes back to the same bytes.
func FuzzParseTranscript(f *testing.F) {
	f.Add(EncodeTranscript(sampleTranscript()))
	f.Add([]byte{'R', 'P', 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseTranscript(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeTranscript(recs), b) {
			t.Fatalf("round trip differs for %x", b)
		}
		RenderTranscript(b, 10)
	})
}
