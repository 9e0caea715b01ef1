package localswarm

import (
	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/bscan"
)

// Minimal peer wire protocol (BEP 3, 10, 9) for the metadata-only and
// hostile peers, framed by internal/peerwire. Everything read is bounded
// (messages by peerwire.DefaultMaxLength).

const (
	metadataPieceSize = 16 << 10
	// ourMetadataID is the ut_metadata message ID these peers ask others to use.
	ourMetadataID = 3
	// msgExtended is the BEP 10 message type.
	msgExtended = byte(pp.Extended)
)

// extHandshake is the part of a BEP 10 handshake these peers read.
type extHandshake struct {
	M            map[string]int64 `bencode:"m"`
	MetadataSize int64            `bencode:"metadata_size,omitempty"`
	V            string           `bencode:"v,omitempty"`
}

type metadataMsg struct {
	MsgType   int64 `bencode:"msg_type"`
	Piece     int64 `bencode:"piece"`
	TotalSize int64 `bencode:"total_size,omitempty"`
}

var smallLimits = bscan.Limits{MaxBytes: 64 << 10, MaxDepth: 8, MaxTokens: 1000, MaxIntLen: 19}

// decodeSmall decodes a small bencoded value from a peer after checking it.
func decodeSmall(b []byte, v any) error {
	if err := bscan.Check(b, smallLimits); err != nil {
		return err
	}
	return bencode.Unmarshal(b, v)
}
