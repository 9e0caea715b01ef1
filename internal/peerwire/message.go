package peerwire

import (
	"encoding/binary"
	"slices"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// AppendMessage appends a message of type id whose payload is the
// concatenation of parts, with its length prefix, to b.
func AppendMessage(b []byte, id byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b = slices.Grow(b, 4+n)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, id)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// Sizes gives the lengths (type byte included) that messages of each type
// may have on a connection for one torrent. Types whose layout BEP 3, 5, 6
// or 10 fixes ([Known]) get exact bounds; any other type is bounded by
// MaxOther.
type Sizes struct {
	// NumPieces is the torrent's piece count: a bitfield is exactly
	// 1+ceil(NumPieces/8) bytes.
	NumPieces int
	// MaxBlock is the most data a piece message may carry.
	MaxBlock int
	// MaxExtended bounds BEP 10 messages.
	MaxExtended int
	// MaxOther bounds messages of types that are not [Known].
	MaxOther int
}

// Bounds returns the smallest and largest length (type byte included)
// allowed for a message of type id, for [Config].Bounds.
func (s Sizes) Bounds(id byte) (lo, hi int) {
	switch pp.MessageType(id) {
	case pp.Choke, pp.Unchoke, pp.Interested, pp.NotInterested, pp.HaveAll, pp.HaveNone:
		return 1, 1
	case pp.Have, pp.AllowedFast, pp.Suggest:
		return 5, 5
	case pp.Request, pp.Cancel, pp.Reject:
		return 13, 13
	case pp.Port:
		return 3, 3
	case pp.Bitfield:
		n := 1 + (s.NumPieces+7)/8
		return n, n
	case pp.Piece:
		return 1 + 8 + 1, 1 + 8 + s.MaxBlock
	case pp.Extended:
		return 2, s.MaxExtended
	default:
		return 1, s.MaxOther
	}
}

// MaxLength returns the largest length Bounds allows for any type, for
// [Config].MaxLength.
func (s Sizes) MaxLength() int {
	return max(1+8+s.MaxBlock, 1+(s.NumPieces+7)/8, s.MaxExtended, s.MaxOther)
}

// Known reports whether BEP 3, 5, 6 or 10 defines the layout of messages
// of type id, so that [Sizes] bounds them exactly.
func Known(id byte) bool {
	switch pp.MessageType(id) {
	case pp.Choke, pp.Unchoke, pp.Interested, pp.NotInterested, pp.HaveAll, pp.HaveNone,
		pp.Have, pp.AllowedFast, pp.Suggest, pp.Request, pp.Cancel, pp.Reject, pp.Port,
		pp.Bitfield, pp.Piece, pp.Extended:
		return true
	}
	return false
}
