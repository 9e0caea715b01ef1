package ed2k

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"github.com/leakhunt/leakhunt/internal/ed2kwire"
	"time"
)

// Record kinds of a redacted transcript.
const (
	// KindPacket: Bytes are the packet exactly as on the wire.
	KindPacket byte = 'P'
	// KindHashed: Bytes are the packet's 6-byte header and the fields before
	// its payload as on the wire, then the 32-byte SHA-256 of the payload.
	// File data (every data packet) and bodies larger than 4 KiB are
	// recorded this way.
	KindHashed byte = 'H'
	// KindCut: Bytes are what was read of a packet the probe refused or that
	// ended early (a header announcing too much, a connection closed
	// mid-packet).
	KindCut byte = 'C'
)

// Directions of transcript records.
const (
	DirRead  byte = 'R' // received from the peer
	DirWrite byte = 'W' // sent to the peer
)

// maxPlainBody is the largest non-data body a transcript keeps verbatim.
const maxPlainBody = 4 << 10

// Record is one packet of a redacted transcript.
type Record struct {
	Time time.Time // when the packet was sent or fully received, UTC
	Dir  byte      // DirRead or DirWrite
	Kind byte      // KindPacket, KindHashed or KindCut
	// Bytes are the recorded bytes (see the Kind constants).
	Bytes []byte
}

// TranscriptFormat describes the bytes whose SHA-256 is
// Result.TranscriptSHA256: the concatenation, in order, of every record as
//
//	direction (1 byte: 'R' received, 'W' sent)
//	kind      (1 byte: 'P' verbatim, 'H' payload hashed, 'C' cut short)
//	length    (4 bytes, big-endian)
//	bytes     (length bytes)
//
// Times are not part of it. Anyone holding Result.Transcript can recompute
// the hash with [TranscriptSHA256]; anyone holding the catalogued document
// can check a hashed payload against the document's bytes.
const TranscriptFormat = "dir R|W, kind P|H|C, uint32 big-endian length, bytes; per packet"

// TranscriptSHA256 returns the lower-case hex SHA-256 of records in
// [TranscriptFormat].
func TranscriptSHA256(records []Record) string {
	h := sha256.New()
	for _, r := range records {
		var hdr [6]byte
		hdr[0], hdr[1] = r.Dir, r.Kind
		binary.BigEndian.PutUint32(hdr[2:], uint32(len(r.Bytes)))
		h.Write(hdr[:])
		h.Write(r.Bytes)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// recordPacket makes the transcript record of a whole packet: verbatim, or
// with its payload replaced by its SHA-256.
func recordPacket(dir byte, p ed2kwire.Packet, now time.Time) Record {
	wire := p.Marshal()
	keep := 0
	if ed2kwire.IsData(p.Proto, p.Opcode) {
		keep = min(ed2kwire.DataHeaderSize(p.Proto, p.Opcode), len(p.Body))
	} else if len(p.Body) <= maxPlainBody {
		return Record{Time: now.UTC(), Dir: dir, Kind: KindPacket, Bytes: wire}
	}
	sum := sha256.Sum256(p.Body[keep:])
	b := append(wire[:ed2kwire.HeaderSize+keep:ed2kwire.HeaderSize+keep], sum[:]...)
	return Record{Time: now.UTC(), Dir: dir, Kind: KindHashed, Bytes: b}
}
