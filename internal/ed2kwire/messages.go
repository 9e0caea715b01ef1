package ed2kwire

import (
	"encoding/binary"
	"fmt"

	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// MaxFileName is the longest file name accepted in a file name answer.
const MaxFileName = 1024

// MaxFileSize is the largest file the probe handles: FILESTATUS counts
// parts in 16 bits.
const MaxFileSize = int64(PartSize) * 65_534

// PartCount returns the number of data parts of a file of size bytes.
func PartCount(size int64) int {
	return int((size + PartSize - 1) / PartSize)
}

// FileStatus is a peer's FILESTATUS: which parts of the file it claims.
type FileStatus struct {
	Hash [16]byte
	// Complete is set when the peer sent no bitmap: it has the whole file.
	Complete bool
	// Claimed lists the parts the peer claims, in order.
	Claimed []int
}

// ParseFileStatus parses a FILESTATUS body for a file of size bytes. The
// part count must be 0 (a complete file) or the file's part count (aMule
// counts size/PartSize+1, one more for sizes that are a multiple of the
// part size; both are accepted), and the bitmap must hold exactly that
// many bits, rounded up to bytes. Bit i of byte i/8 (least significant
// first) is part i.
func ParseFileStatus(b []byte, size int64) (FileStatus, error) {
	var fs FileStatus
	r := emulewire.NewReader(b)
	fs.Hash = r.Hash()
	count := int(r.U16())
	if r.Err() != nil {
		return fs, fmt.Errorf("%w: file status: %w", ErrProtocol, r.Err())
	}
	parts := PartCount(size)
	if count == 0 {
		fs.Complete = true
		for i := range parts {
			fs.Claimed = append(fs.Claimed, i)
		}
		return fs, r.End("file status")
	}
	if count != parts && count != int(size/PartSize)+1 {
		return fs, fmt.Errorf("%w: file status for %d parts, the file has %d", ErrProtocol, count, parts)
	}
	bitmap := r.Bytes((count + 7) / 8)
	if err := r.End("file status"); err != nil {
		return fs, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	for i := range parts {
		if bitmap[i/8]&(1<<(i%8)) != 0 {
			fs.Claimed = append(fs.Claimed, i)
		}
	}
	return fs, nil
}

// ParseFileName parses a file name answer: <hash 16><length u16><name>.
func ParseFileName(b []byte) (hash [16]byte, name string, err error) {
	r := emulewire.NewReader(b)
	hash = r.Hash()
	n := int(r.U16())
	if r.Err() == nil && n > MaxFileName {
		return hash, "", fmt.Errorf("%w: file name of %d bytes (max %d)", ErrLimit, n, MaxFileName)
	}
	name = display.String(string(r.Bytes(n)), MaxFileName)
	if err := r.End("file name answer"); err != nil {
		return hash, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return hash, name, nil
}

// DataPacket is a SENDINGPART or COMPRESSEDPART (32- or 64-bit offsets).
type DataPacket struct {
	Hash [16]byte
	// Start is the file offset of Data (SENDINGPART) or of the block the
	// compressed stream holds (COMPRESSEDPART).
	Start uint64
	// End is the offset after Data (SENDINGPART only).
	End uint64
	// PackedSize is the size of the whole compressed stream of the block
	// (COMPRESSEDPART only); Data is one piece of it.
	PackedSize uint32
	Packed     bool
	Data       []byte
}

// DataHeaderSize returns the size of a data packet's fields before its
// payload.
func DataHeaderSize(proto, op byte) int {
	switch {
	case proto == ProtoED2K && op == OpSendingPart:
		return 16 + 4 + 4
	case op == OpSendingPart64:
		return 16 + 8 + 8
	case op == OpCompressedPart:
		return 16 + 4 + 4
	case op == OpCompressedPart64:
		return 16 + 8 + 4
	}
	return 0
}

// ParseData parses a data packet (see [DataPacket]). For a SENDINGPART the
// payload must be exactly End−Start bytes.
func ParseData(p Packet) (DataPacket, error) {
	var d DataPacket
	r := emulewire.NewReader(p.Body)
	d.Hash = r.Hash()
	large := p.Opcode == OpSendingPart64 || p.Opcode == OpCompressedPart64
	readOff := func() uint64 {
		if large {
			return r.U64()
		}
		return uint64(r.U32())
	}
	switch {
	case p.Proto == ProtoED2K && p.Opcode == OpSendingPart, p.Proto == ProtoEMule && p.Opcode == OpSendingPart64:
		d.Start, d.End = readOff(), readOff()
		d.Data = r.Rest()
		if r.Err() == nil && (d.End < d.Start || d.End-d.Start != uint64(len(d.Data))) {
			return d, fmt.Errorf("%w: sending part %d-%d with %d bytes", ErrProtocol, d.Start, d.End, len(d.Data))
		}
	case p.Proto == ProtoEMule && (p.Opcode == OpCompressedPart || p.Opcode == OpCompressedPart64):
		d.Packed = true
		d.Start, d.PackedSize = readOff(), r.U32()
		d.Data = r.Rest()
	default:
		return d, fmt.Errorf("%w: %v is not a data packet", ErrProtocol, p)
	}
	if r.Err() != nil {
		return d, fmt.Errorf("%w: data packet: %w", ErrProtocol, r.Err())
	}
	return d, nil
}

// ParseQueueRank returns the rank of a QUEUERANK (u32) or QUEUERANKING
// (u16 and 10 reserved bytes, which are not checked) packet.
func ParseQueueRank(p Packet) (int, error) {
	r := emulewire.NewReader(p.Body)
	var rank int
	switch {
	case p.Proto == ProtoED2K && p.Opcode == OpQueueRank:
		rank = int(r.U32())
		r.End("queue rank")
	case p.Proto == ProtoEMule && p.Opcode == OpQueueRanking:
		rank = int(r.U16())
		if r.Len() > 10 {
			r.Fail(fmt.Errorf("queue ranking of %d bytes", len(p.Body)))
		}
	default:
		return 0, fmt.Errorf("%w: %v is not a queue rank", ErrProtocol, p)
	}
	if r.Err() != nil {
		return 0, fmt.Errorf("%w: %w", ErrProtocol, r.Err())
	}
	return rank, nil
}

// RequestParts returns a REQUESTPARTS packet for the one block
// [start, end) (offsets are exclusive at the end, as aMule reads them),
// with 64-bit offsets when needed. The two other slots stay empty.
func RequestParts(hash [16]byte, start, end uint64) Packet {
	b := append([]byte(nil), hash[:]...)
	if end > 0xFFFFFFFF {
		for _, v := range []uint64{start, 0, 0, end, 0, 0} {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		return Packet{Proto: ProtoEMule, Opcode: OpRequestParts64, Body: b}
	}
	for _, v := range []uint64{start, 0, 0, end, 0, 0} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return Packet{Proto: ProtoED2K, Opcode: OpRequestParts, Body: b}
}
