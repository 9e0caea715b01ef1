package localswarm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Minimal peer wire protocol (BEP 3, 10, 9) for the metadata-only and
// hostile peers. Everything read is bounded.

const (
	metadataPieceSize = 16 << 10
	// ourMetadataID is the ut_metadata message ID these peers ask others to use.
	ourMetadataID = 3
	maxMessage    = 1 << 20
)

var errMessageTooLong = errors.New("message too long")

func writeHandshake(w io.Writer, ih [20]byte, peerID [20]byte) error {
	var b bytes.Buffer
	b.WriteString(pp.Protocol)
	var reserved [8]byte
	reserved[5] |= 0x10 // BEP 10 extension protocol
	b.Write(reserved[:])
	b.Write(ih[:])
	b.Write(peerID[:])
	_, err := w.Write(b.Bytes())
	return err
}

// readHandshake reads the 68-byte handshake and returns the infohash and
// whether the extension protocol bit is set.
func readHandshake(r io.Reader) (ih [20]byte, ext bool, err error) {
	var b [68]byte
	if _, err = io.ReadFull(r, b[:]); err != nil {
		return ih, false, fmt.Errorf("read handshake: %w", err)
	}
	if string(b[:20]) != pp.Protocol {
		return ih, false, errors.New("not a BitTorrent handshake")
	}
	copy(ih[:], b[28:48])
	return ih, b[25]&0x10 != 0, nil
}

func writeMessage(w io.Writer, id byte, parts ...[]byte) error {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, 4+n)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, id)
	for _, p := range parts {
		b = append(b, p...)
	}
	_, err := w.Write(b)
	return err
}

// readMessage returns the next message; keep-alives are skipped.
func readMessage(r io.Reader) (id byte, payload []byte, err error) {
	for {
		var l [4]byte
		if _, err = io.ReadFull(r, l[:]); err != nil {
			return 0, nil, err
		}
		n := binary.BigEndian.Uint32(l[:])
		if n == 0 {
			continue
		}
		if n > maxMessage {
			return 0, nil, errMessageTooLong
		}
		b := make([]byte, n)
		if _, err = io.ReadFull(r, b); err != nil {
			return 0, nil, err
		}
		return b[0], b[1:], nil
	}
}

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

var smallLimits = fingerprint.Limits{MaxBytes: 64 << 10, MaxDepth: 8, MaxTokens: 1000, MaxIntLen: 19}

// decodeSmall decodes a small bencoded value from a peer after checking it.
func decodeSmall(b []byte, v any) error {
	if err := fingerprint.CheckBencode(b, smallLimits); err != nil {
		return err
	}
	return bencode.Unmarshal(b, v)
}
