package metadata

import (
	"fmt"
	"io"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/bscan"
	"github.com/leakhunt/leakhunt/internal/peerwire"
)

const (
	pieceSize = 16 << 10
	// ourMetadataID is the ut_metadata message ID we ask peers to use.
	ourMetadataID = 1
	// msgExtended is the BEP 10 message type.
	msgExtended = byte(pp.Extended)
	// maxExtMessage bounds extension messages we read: a 16 KiB piece plus
	// its header, or an extension handshake.
	maxExtMessage = pieceSize + 1024
	// maxOtherMessage bounds other messages, which are skipped unread (a
	// bitfield of 2M pieces is 256 KiB).
	maxOtherMessage = 1 << 20
)

// smallLimits bound the bencoded dictionaries of extension messages.
func smallLimits() bscan.Limits {
	return bscan.Limits{MaxBytes: 16 << 10, MaxDepth: 4, MaxTokens: 2000, MaxIntLen: 18}
}

// ourHandshake is the handshake we send: the extension protocol bit only.
func ourHandshake(ih, peerID [20]byte) peerwire.Handshake {
	return peerwire.Handshake{Reserved: pp.NewPeerExtensionBytes(pp.ExtensionBitLtep), InfoHash: ih, PeerID: peerID}
}

// checkHandshake checks a peer's handshake.
func checkHandshake(h peerwire.Handshake, ih [20]byte) error {
	if err := h.CheckInfoHash(ih); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if !h.Reserved.SupportsExtended() {
		return errorf(ErrNoMetadataSupport, "no extension protocol bit")
	}
	return nil
}

// newMessageReader reads a peer's messages: extension messages up to
// maxExtMessage are returned, others (up to maxOtherMessage) skipped
// unread.
func newMessageReader(r io.Reader) *peerwire.Reader {
	return peerwire.NewReader(r, peerwire.Config{MaxLength: 1 + maxOtherMessage, Bounds: messageBounds, Discard: skipped})
}

// messageBounds bounds message lengths, type byte included.
func messageBounds(id byte) (lo, hi int) {
	if id == msgExtended {
		return 2, 1 + maxExtMessage
	}
	return 1, 1 + maxOtherMessage
}

func skipped(id byte) bool { return id != msgExtended }

// extHandshake is the part of a BEP 10 handshake we read or send.
type extHandshake struct {
	M            map[string]int64 `bencode:"m"`
	MetadataSize int64            `bencode:"metadata_size,omitempty"`
	V            string           `bencode:"v,omitempty"`
	Reqq         int64            `bencode:"reqq,omitempty"`
}

// parseExtHandshake checks and decodes a peer's extension handshake (the
// payload after the extension ID) and returns its ut_metadata message ID
// and metadata_size.
func parseExtHandshake(b []byte) (utMetadata byte, size int64, err error) {
	if err := bscan.Check(b, smallLimits()); err != nil {
		return 0, 0, fmt.Errorf("%w: extension handshake: %w", ErrProtocol, err)
	}
	var hs extHandshake
	if err := bencode.Unmarshal(b, &hs); err != nil {
		return 0, 0, errorf(ErrProtocol, "extension handshake: %v", err)
	}
	id, ok := hs.M[pp.ExtensionNameMetadata]
	if !ok || id <= 0 || id > 255 {
		return 0, 0, errorf(ErrNoMetadataSupport, "ut_metadata not offered")
	}
	return byte(id), hs.MetadataSize, nil
}

// metadataMsg is the dictionary heading a ut_metadata message.
type metadataMsg struct {
	MsgType   int64  `bencode:"msg_type"`
	Piece     int64  `bencode:"piece"`
	TotalSize *int64 `bencode:"total_size,omitempty"`
}

const (
	mdRequest = 0
	mdData    = 1
	mdReject  = 2
)

// parseMetadataMsg splits a ut_metadata message into its dictionary and
// the data after it; the dictionary is checked before it is decoded.
func parseMetadataMsg(b []byte) (m metadataMsg, data []byte, err error) {
	if len(b) == 0 || b[0] != 'd' {
		return m, nil, errorf(ErrProtocol, "ut_metadata message does not start with a dictionary")
	}
	end, err := bscan.ValueLen(b, smallLimits())
	if err != nil {
		return m, nil, fmt.Errorf("%w: ut_metadata message: %w", ErrProtocol, err)
	}
	if err := bencode.Unmarshal(b[:end], &m); err != nil {
		return m, nil, errorf(ErrProtocol, "ut_metadata message: %v", err)
	}
	return m, b[end:], nil
}
