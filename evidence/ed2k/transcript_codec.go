package ed2k

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/leakhunt/leakhunt/internal/display"
)

// MaxTranscript bounds the bytes of one encoded transcript that
// [ParseTranscript] accepts: a probe reads at most Config.MaxBytes, and a
// transcript keeps less than that.
const MaxTranscript = 8 << 20

// maxTranscriptRecords bounds the records of one parsed transcript.
const maxTranscriptRecords = 1 << 16

// ErrTranscript is wrapped by errors about a malformed transcript.
var ErrTranscript = errors.New("malformed ed2k transcript")

// EncodeTranscript returns records in [TranscriptFormat]: the bytes whose
// SHA-256 is [TranscriptSHA256], kept beside the evidence log.
func EncodeTranscript(records []Record) []byte {
	n := 0
	for _, r := range records {
		n += 6 + len(r.Bytes)
	}
	b := make([]byte, 0, n)
	for _, r := range records {
		b = append(b, r.Dir, r.Kind)
		b = binary.BigEndian.AppendUint32(b, uint32(len(r.Bytes)))
		b = append(b, r.Bytes...)
	}
	return b
}

// ParseTranscript reads a transcript in [TranscriptFormat], as kept beside
// the log or found in a bundle (untrusted: every length is checked). The
// records' times are not part of the format and stay zero.
func ParseTranscript(b []byte) ([]Record, error) {
	if len(b) > MaxTranscript {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTranscript, len(b), MaxTranscript)
	}
	var out []Record
	for off := 0; off < len(b); {
		if len(b)-off < 6 {
			return out, fmt.Errorf("%w: record header cut short at byte %d", ErrTranscript, off)
		}
		dir, kind, n := b[off], b[off+1], binary.BigEndian.Uint32(b[off+2:off+6])
		if dir != DirRead && dir != DirWrite {
			return out, fmt.Errorf("%w: direction 0x%02x at byte %d", ErrTranscript, dir, off)
		}
		if kind != KindPacket && kind != KindHashed && kind != KindCut {
			return out, fmt.Errorf("%w: kind 0x%02x at byte %d", ErrTranscript, kind, off)
		}
		off += 6
		if uint64(n) > uint64(len(b)-off) {
			return out, fmt.Errorf("%w: record of %d bytes, %d left", ErrTranscript, n, len(b)-off)
		}
		if len(out) == maxTranscriptRecords {
			return out, fmt.Errorf("%w: more than %d records", ErrTranscript, maxTranscriptRecords)
		}
		out = append(out, Record{Dir: dir, Kind: kind, Bytes: b[off : off+int(n) : off+int(n)]})
		off += int(n)
	}
	return out, nil
}

// RenderTranscript renders a transcript in [TranscriptFormat] one line per
// record (at most max records; 0: all) for people to read: direction,
// protocol and opcode, length, and for a hashed record the SHA-256 that
// replaced its payload. It returns the lines rendered before any error.
func RenderTranscript(b []byte, max int) ([]string, error) {
	recs, err := ParseTranscript(b)
	return display.Lines(len(recs), max, func(i int) string { return renderRecord(recs[i]) }), err
}

func renderRecord(r Record) string {
	dir := "<-"
	if r.Dir == DirWrite {
		dir = "->"
	}
	var sb strings.Builder
	sb.WriteString(dir)
	if len(r.Bytes) >= 6 {
		fmt.Fprintf(&sb, " packet 0x%02X/0x%02X", r.Bytes[0], r.Bytes[5])
	}
	switch r.Kind {
	case KindPacket:
		sb.WriteString(", " + strconv.Itoa(len(r.Bytes)) + " bytes: " + hexShort(r.Bytes, 96))
	case KindHashed:
		if len(r.Bytes) >= 32 {
			hdr, sum := r.Bytes[:len(r.Bytes)-32], r.Bytes[len(r.Bytes)-32:]
			fmt.Fprintf(&sb, ", header %s, payload replaced by its SHA-256 %x", hexShort(hdr, 96), sum)
		} else {
			sb.WriteString(", hashed record too short: " + hexShort(r.Bytes, 96))
		}
	case KindCut:
		sb.WriteString(", cut short after " + strconv.Itoa(len(r.Bytes)) + " bytes: " + hexShort(r.Bytes, 96))
	}
	return sb.String()
}

// hexShort is b in hex, at most max bytes of it.
func hexShort(b []byte, max int) string {
	if len(b) <= max {
		return fmt.Sprintf("%x", b)
	}
	return fmt.Sprintf("%x... (%d more bytes)", b[:max], len(b)-max)
}
