package peerwire

import (
	"errors"
	"fmt"
	"slices"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Protocol is the protocol string every handshake starts with, its length
// byte included.
const Protocol = pp.Protocol

// HandshakeLen is the length of a handshake.
const HandshakeLen = 68

// Errors about what a peer sent.
var (
	// ErrNotBitTorrent is returned when a peer's first bytes are not a
	// BitTorrent handshake (a client that requires encryption may answer
	// a plaintext handshake with its MSE key).
	ErrNotBitTorrent = errors.New("not a BitTorrent handshake")
	// ErrWrongTorrent is wrapped when a peer answers for another infohash.
	ErrWrongTorrent = errors.New("handshake for infohash")
	// ErrProtocol is wrapped when a message's length breaks [Config].MaxLength
	// or [Config].Bounds.
	ErrProtocol = errors.New("peer protocol violation")
	// ErrByteLimit is wrapped when the next message would take the bytes
	// read past [Config].Budget.
	ErrByteLimit = errors.New("per-peer byte limit reached")
)

// Handshake is the handshake of BEP 3.
type Handshake struct {
	// Reserved holds the extension bits: Fast (BEP 6), extension protocol
	// (BEP 10), DHT (BEP 5).
	Reserved pp.PeerExtensionBits
	InfoHash [20]byte
	PeerID   [20]byte
}

// Append appends the handshake's 68 bytes to b.
func (h Handshake) Append(b []byte) []byte {
	b = slices.Grow(b, HandshakeLen)
	b = append(b, Protocol...)
	b = append(b, h.Reserved[:]...)
	b = append(b, h.InfoHash[:]...)
	return append(b, h.PeerID[:]...)
}

// ParseHandshake decodes a handshake. It returns [ErrNotBitTorrent] unless
// b is 68 bytes starting with [Protocol].
func ParseHandshake(b []byte) (Handshake, error) {
	var h Handshake
	if len(b) != HandshakeLen || string(b[:20]) != Protocol {
		return h, ErrNotBitTorrent
	}
	copy(h.Reserved[:], b[20:28])
	copy(h.InfoHash[:], b[28:48])
	copy(h.PeerID[:], b[48:68])
	return h, nil
}

// CheckInfoHash returns an error wrapping [ErrWrongTorrent] unless the
// handshake is for ih.
func (h Handshake) CheckInfoHash(ih [20]byte) error {
	if h.InfoHash != ih {
		return fmt.Errorf("%w %x", ErrWrongTorrent, h.InfoHash[:])
	}
	return nil
}
