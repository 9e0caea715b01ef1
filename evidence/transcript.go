package evidence

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	pp "github.com/anacrolix/torrent/peer_protocol"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// ErrTranscript is wrapped by errors about a malformed transcript.
var ErrTranscript = errors.New("malformed transcript")

// TranscriptRecord is one record of a redacted transcript (see
// [TranscriptFormat]).
type TranscriptRecord struct {
	Kind  byte // TranscriptConnection, TranscriptRead, TranscriptWrite, TranscriptPiece or TranscriptOmitted
	Bytes []byte
}

// ParseTranscript splits a transcript into its records. It fails on a
// record cut short, an unknown kind, a piece record that is not a header
// and a hash, or anything after an omission record. The records' bytes
// alias b.
func ParseTranscript(b []byte) ([]TranscriptRecord, error) {
	var out []TranscriptRecord
	for off := 0; off < len(b); {
		if len(b)-off < 5 {
			return out, fmt.Errorf("%w: record header cut short at byte %d", ErrTranscript, off)
		}
		kind, n := b[off], int(binary.BigEndian.Uint32(b[off+1:off+5]))
		if n > len(b)-off-5 {
			return out, fmt.Errorf("%w: record at byte %d claims %d bytes, %d remain", ErrTranscript, off, n, len(b)-off-5)
		}
		rec := b[off+5 : off+5+n]
		switch kind {
		case TranscriptRead, TranscriptWrite:
		case TranscriptConnection:
			if n == 0 || n > 16 {
				return out, fmt.Errorf("%w: connection record of %d bytes", ErrTranscript, n)
			}
		case TranscriptPiece:
			if n < 32 || n > 13+32 {
				return out, fmt.Errorf("%w: piece record of %d bytes", ErrTranscript, n)
			}
		case TranscriptOmitted:
			if n != 8 || off+5+n != len(b) {
				return out, fmt.Errorf("%w: omission record not last or not 8 bytes", ErrTranscript)
			}
		default:
			return out, fmt.Errorf("%w: unknown record kind %q at byte %d", ErrTranscript, kind, off)
		}
		out = append(out, TranscriptRecord{kind, rec})
		off += 5 + n
	}
	return out, nil
}

// TranscriptPieceData is a whole piece message of a transcript: where its
// data lies and the SHA-256 that replaced it.
type TranscriptPieceData struct {
	Index, Begin uint32
	// Length is the data's length as the message header gives it.
	Length int64
	SHA256 [32]byte
}

// Piece reads a piece record with a whole message header; ok is false for
// another kind of record or a message cut short.
func (r TranscriptRecord) Piece() (p TranscriptPieceData, ok bool) {
	b := r.Bytes
	if r.Kind != TranscriptPiece || len(b) != 13+32 {
		return p, false
	}
	p.Index, p.Begin = binary.BigEndian.Uint32(b[5:9]), binary.BigEndian.Uint32(b[9:13])
	p.Length = int64(binary.BigEndian.Uint32(b[0:4])) - 9
	copy(p.SHA256[:], b[13:])
	return p, true
}

// maxRenderedBitfield is how many claimed pieces a rendered bitfield
// names before it only counts them.
const maxRenderedBitfield = 16

// RenderTranscript describes each record of a transcript in one line of
// plain text, for people: direction ("->" sent by us, "<-" received) and
// the message with its fields; piece data appears only as its SHA-256.
// Text from the peer is quoted with Go escapes. It renders at most max
// lines (0: all) and then says how many are left.
func RenderTranscript(b []byte, max int) ([]string, error) {
	recs, err := ParseTranscript(b)
	return display.Lines(len(recs), max, func(i int) string { return renderRecord(recs[i]) }), err
}

func renderRecord(r TranscriptRecord) string {
	dir := "<-"
	if r.Kind == TranscriptWrite {
		dir = "->"
	}
	b := r.Bytes
	switch {
	case r.Kind == TranscriptConnection:
		return fmt.Sprintf("== connection over %s", quoteBytes(b))
	case r.Kind == TranscriptOmitted:
		return fmt.Sprintf("   (%d more bytes of records not kept: the transcript reached its size limit)", binary.BigEndian.Uint64(b))
	case r.Kind == TranscriptPiece:
		if p, ok := r.Piece(); ok {
			return fmt.Sprintf("%s piece index %d begin %d, %d bytes of data with SHA-256 %x", dir, p.Index, p.Begin, p.Length, p.SHA256)
		}
		return fmt.Sprintf("%s piece message cut short after %d header bytes, data read with SHA-256 %x", dir, len(b)-32, b[len(b)-32:])
	case len(b) == peerwire.HandshakeLen && string(b[1:20]) == peerwire.Protocol[1:]:
		return fmt.Sprintf("%s handshake: reserved %x, infohash %x, peer id %s", dir, b[20:28], b[28:48], quoteBytes(b[48:68]))
	case len(b) < 4:
		return fmt.Sprintf("%s %d bytes cut short: %x", dir, len(b), b)
	}
	n := binary.BigEndian.Uint32(b[:4])
	if n == 0 && len(b) == 4 {
		return dir + " keep-alive"
	}
	if len(b) < 5 {
		return fmt.Sprintf("%s message of %d bytes, cut short", dir, n)
	}
	body := b[5:]
	cut := ""
	if uint32(len(b)-4) < n {
		cut = fmt.Sprintf(" (cut short: %d of %d bytes)", len(b)-4, n)
	}
	u32 := func(i int) uint32 {
		if len(body) < i+4 {
			return 0
		}
		return binary.BigEndian.Uint32(body[i : i+4])
	}
	t := pp.MessageType(b[4])
	switch t {
	case pp.Choke, pp.Unchoke, pp.Interested, pp.NotInterested, pp.HaveAll, pp.HaveNone:
		return fmt.Sprintf("%s %v%s", dir, t, cut)
	case pp.Have, pp.Suggest, pp.AllowedFast:
		return fmt.Sprintf("%s %v index %d%s", dir, t, u32(0), cut)
	case pp.Request, pp.Cancel, pp.Reject:
		return fmt.Sprintf("%s %v index %d begin %d length %d%s", dir, t, u32(0), u32(4), u32(8), cut)
	case pp.Bitfield:
		var set []string
		count := 0
		for i, x := range body {
			for bit := 0; bit < 8; bit++ {
				if x&(0x80>>bit) != 0 {
					if count < maxRenderedBitfield {
						set = append(set, fmt.Sprint(i*8+bit))
					}
					count++
				}
			}
		}
		more := ""
		if count > len(set) {
			more = fmt.Sprintf(" and %d more", count-len(set))
		}
		return fmt.Sprintf("%s bitfield claiming %d pieces: %s%s%s", dir, count, strings.Join(set, ", "), more, cut)
	case pp.Extended:
		if len(body) == 0 {
			return dir + " extended message, empty" + cut
		}
		return fmt.Sprintf("%s extended message id %d: %s%s", dir, body[0], quoteBytes(body[1:min(len(body), 513)]), cut)
	case pp.Port:
		return fmt.Sprintf("%s port %d%s", dir, binary.BigEndian.Uint16(append(body, 0, 0)[:2]), cut)
	}
	return fmt.Sprintf("%s message type %d, %d bytes: %s%s", dir, b[4], len(body), hex.EncodeToString(body[:min(len(body), 64)]), cut)
}

// quoteBytes shows peer-supplied bytes safely: printable ASCII as is,
// anything else escaped.
func quoteBytes(b []byte) string {
	if utf8.Valid(b) {
		return fmt.Sprintf("%+q", string(b))
	}
	return fmt.Sprintf("%+q", b)
}
