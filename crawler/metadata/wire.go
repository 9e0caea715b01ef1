package metadata

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/peerdial"
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
func smallLimits() fingerprint.Limits {
	return fingerprint.Limits{MaxBytes: 16 << 10, MaxDepth: 4, MaxTokens: 2000, MaxIntLen: 18}
}

func appendHandshake(b []byte, ih, peerID [20]byte) []byte {
	b = append(b, pp.Protocol...)
	var reserved [8]byte
	reserved[5] |= 0x10 // BEP 10 extension protocol
	b = append(b, reserved[:]...)
	b = append(b, ih[:]...)
	return append(b, peerID[:]...)
}

// parseHandshake checks a peer's 68-byte handshake.
func parseHandshake(b []byte, ih [20]byte) error {
	if len(b) != 68 || string(b[:20]) != pp.Protocol {
		return fmt.Errorf("%w: %w", ErrHandshake, peerdial.ErrNotBitTorrent)
	}
	if [20]byte(b[28:48]) != ih {
		return errorf(ErrHandshake, "peer answered for infohash %x", b[28:48])
	}
	if b[25]&0x10 == 0 {
		return errorf(ErrNoMetadataSupport, "no extension protocol bit")
	}
	return nil
}

func appendMessage(b []byte, id byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, id)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// readMessage reads the next message that is not a keep-alive. Extension
// messages up to maxExtMessage are returned in buf (reused); others are
// skipped and returned with a nil payload.
func readMessage(r *bufio.Reader, buf []byte) (id byte, payload []byte, err error) {
	for {
		var l [4]byte
		if _, err = io.ReadFull(r, l[:]); err != nil {
			return 0, nil, err
		}
		n := binary.BigEndian.Uint32(l[:])
		if n == 0 {
			continue
		}
		if id, err = r.ReadByte(); err != nil {
			return 0, nil, err
		}
		n--
		if id != msgExtended {
			if n > maxOtherMessage {
				return 0, nil, errorf(ErrProtocol, "message of type %d is %d bytes", id, n)
			}
			_, err = r.Discard(int(n))
			return id, nil, err
		}
		if n > maxExtMessage {
			return 0, nil, errorf(ErrProtocol, "extension message of %d bytes", n)
		}
		if n == 0 {
			return 0, nil, errorf(ErrProtocol, "empty extension message")
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err = io.ReadFull(r, buf); err != nil {
			return 0, nil, err
		}
		return id, buf, nil
	}
}

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
	if err := fingerprint.CheckBencode(b, smallLimits()); err != nil {
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
// the data after it.
func parseMetadataMsg(b []byte) (m metadataMsg, data []byte, err error) {
	end, err := dictEnd(b, smallLimits().MaxDepth)
	if err != nil {
		return m, nil, err
	}
	if err := fingerprint.CheckBencode(b[:end], smallLimits()); err != nil {
		return m, nil, fmt.Errorf("%w: ut_metadata message: %w", ErrProtocol, err)
	}
	if err := bencode.Unmarshal(b[:end], &m); err != nil {
		return m, nil, errorf(ErrProtocol, "ut_metadata message: %v", err)
	}
	return m, b[end:], nil
}

// dictEnd returns the length of the bencoded dictionary at the start of b,
// scanning iteratively with a nesting limit. Values are validated later by
// fingerprint.CheckBencode.
func dictEnd(b []byte, maxDepth int) (int, error) {
	if len(b) == 0 || b[0] != 'd' {
		return 0, errorf(ErrProtocol, "ut_metadata message does not start with a dictionary")
	}
	depth := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 'd' || c == 'l':
			depth++
			if depth > maxDepth {
				return 0, errorf(ErrProtocol, "ut_metadata message nested too deep")
			}
			i++
		case c == 'e':
			depth--
			i++
			if depth == 0 {
				return i, nil
			}
		case c == 'i':
			j := i + 1
			for j < len(b) && b[j] != 'e' && j-i < 24 {
				j++
			}
			if j >= len(b) || b[j] != 'e' {
				return 0, errorf(ErrProtocol, "bad integer in ut_metadata message")
			}
			i = j + 1
		case c >= '0' && c <= '9':
			n, j := 0, i
			for j < len(b) && b[j] >= '0' && b[j] <= '9' && j-i < 8 {
				n = n*10 + int(b[j]-'0')
				j++
			}
			if j >= len(b) || b[j] != ':' || n > len(b)-j-1 {
				return 0, errorf(ErrProtocol, "bad string in ut_metadata message")
			}
			i = j + 1 + n
		default:
			return 0, errorf(ErrProtocol, "unexpected byte %q in ut_metadata message", c)
		}
	}
	return 0, errorf(ErrProtocol, "truncated ut_metadata message")
}
