package ed2kwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Protocol bytes of ed2k TCP packets: <protocol 1><length 4 LE><opcode 1>
// <body>, where length counts the opcode and the body.
const (
	ProtoED2K   byte = 0xE3 // eDonkey protocol
	ProtoEMule  byte = 0xC5 // eMule extended protocol
	ProtoPacked byte = 0xD4 // eMule extended protocol, zlib-packed body
)

// ed2k opcodes (aMule ed2k/Client2Client/TCP.h) used by the probe.
const (
	OpHello            byte = 0x01
	OpSendingPart      byte = 0x46
	OpRequestParts     byte = 0x47
	OpFileReqAnsNoFile byte = 0x48
	OpAskSharedFiles   byte = 0x4A
	OpHelloAnswer      byte = 0x4C
	OpSetReqFileID     byte = 0x4F
	OpFileStatus       byte = 0x50
	OpStartUploadReq   byte = 0x54
	OpAcceptUploadReq  byte = 0x55
	OpCancelTransfer   byte = 0x56
	OpOutOfPartReqs    byte = 0x57
	OpRequestFileName  byte = 0x58
	OpReqFileNameAns   byte = 0x59
	OpQueueRank        byte = 0x5C
	OpAskSharedDirs    byte = 0x5D
	OpAskSharedDenied  byte = 0x61
)

// eMule extended opcodes (protocol 0xC5).
const (
	OpEMuleInfo        byte = 0x01
	OpEMuleInfoAnswer  byte = 0x02
	OpCompressedPart   byte = 0x40
	OpQueueRanking     byte = 0x60
	OpCompressedPart64 byte = 0xA1
	OpSendingPart64    byte = 0xA2
	OpRequestParts64   byte = 0xA3
)

// PartSize and BlockSize are the ed2k part (the unit of hashes and of
// FILESTATUS) and block (the unit of requests) sizes.
const (
	PartSize  = 9_728_000
	BlockSize = 184_320
)

// HeaderSize is the size of <protocol><length><opcode>.
const HeaderSize = 6

// Errors about packets.
var (
	ErrProtocol = errors.New("ed2k protocol violation")
	ErrLimit    = errors.New("ed2k limit exceeded")
)

// Packet is one ed2k TCP packet. Body excludes the 6-byte header.
type Packet struct {
	Proto  byte
	Opcode byte
	Body   []byte
}

// Marshal returns the packet as sent on the wire.
func (p Packet) Marshal() []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(p.Body))
	b[0] = p.Proto
	binary.LittleEndian.PutUint32(b[1:5], uint32(len(p.Body)+1))
	b[5] = p.Opcode
	return append(b, p.Body...)
}

// String names the packet for logs and errors.
func (p Packet) String() string {
	return fmt.Sprintf("packet 0x%02X/0x%02X (%d bytes)", p.Proto, p.Opcode, len(p.Body))
}

// IsData reports whether a packet carries file data: its body may be up to
// a block, and the probe keeps only the SHA-256 of its payload.
func IsData(proto, op byte) bool {
	switch proto {
	case ProtoED2K:
		return op == OpSendingPart
	case ProtoEMule:
		return op == OpCompressedPart || op == OpCompressedPart64 || op == OpSendingPart64
	}
	return false
}

// ReadHeader parses a 6-byte packet header and returns the protocol,
// opcode and body length, refusing unknown protocols and bodies larger
// than maxBody (maxData for data packets).
func ReadHeader(h []byte, maxBody, maxData int) (proto, op byte, n int, err error) {
	if len(h) != HeaderSize {
		return 0, 0, 0, fmt.Errorf("%w: header of %d bytes", ErrProtocol, len(h))
	}
	proto, op = h[0], h[5]
	length := binary.LittleEndian.Uint32(h[1:5])
	switch proto {
	case ProtoED2K, ProtoEMule, ProtoPacked:
	default:
		return proto, op, 0, fmt.Errorf("%w: unknown protocol 0x%02X", ErrProtocol, proto)
	}
	if length == 0 {
		return proto, op, 0, fmt.Errorf("%w: zero packet length", ErrProtocol)
	}
	limit := maxBody
	if IsData(proto, op) {
		limit = maxData
	}
	if uint64(length-1) > uint64(limit) {
		return proto, op, 0, fmt.Errorf("%w: packet 0x%02X/0x%02X of %d bytes (max %d)", ErrLimit, proto, op, length-1, limit)
	}
	return proto, op, int(length - 1), nil
}

// ReadPacket reads one packet from r, checking the header with
// [ReadHeader] before reading (or allocating) the body.
func ReadPacket(r io.Reader, maxBody, maxData int) (Packet, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Packet{}, err
	}
	proto, op, n, err := ReadHeader(h[:], maxBody, maxData)
	if err != nil {
		return Packet{}, err
	}
	p := Packet{Proto: proto, Opcode: op, Body: make([]byte, n)}
	if _, err := io.ReadFull(r, p.Body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Packet{}, err
	}
	return p, nil
}

// Unpack returns a packed (0xD4) packet as the eMule packet it holds,
// refusing to inflate beyond max bytes; other packets are returned as is.
func Unpack(p Packet, max int) (Packet, error) {
	if p.Proto != ProtoPacked {
		return p, nil
	}
	body, err := emulewire.Inflate(p.Body, max)
	if err != nil {
		return p, fmt.Errorf("%w: packed opcode 0x%02X: %w", ErrProtocol, p.Opcode, err)
	}
	return Packet{Proto: ProtoEMule, Opcode: p.Opcode, Body: body}, nil
}
