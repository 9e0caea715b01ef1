package evidence

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// Transcript directions: each transcript record starts with one of these.
const (
	TranscriptRead  byte = 'R' // bytes read from the peer
	TranscriptWrite byte = 'W' // bytes we wrote to the peer
)

// TranscriptFormat describes the wire transcript whose SHA-256 is
// Observation.TranscriptSHA256, so that an auditor holding a kept transcript
// (Config.KeepTranscript) can recompute the hash and replay the exchange.
//
// The transcript is the concatenation, in the order the probe performed
// them, of records
//
//	direction (1 byte: 'R' read from the peer, 'W' written to the peer)
//	length    (4 bytes, big-endian)
//	bytes     (length bytes, exactly as on the wire)
//
// One record holds one protocol unit: the 68-byte handshake, or one
// message with its 4-byte length prefix (a keep-alive is the 4 zero bytes).
// A unit cut short (the peer closed, a limit was hit, the deadline passed)
// is recorded with the bytes actually read. Bytes of the uTP or TCP layers
// are not part of it. TranscriptSHA256 is the lower-case hex SHA-256 of
// the whole transcript.
const TranscriptFormat = "R|W, uint32 big-endian length, bytes; one record per handshake or message"

// transcript hashes (and optionally keeps) the records of one probe.
type transcript struct {
	h     hash.Hash
	keep  bool
	limit int
	buf   []byte
}

func newTranscript(keep bool, limit int64) *transcript {
	return &transcript{h: sha256.New(), keep: keep, limit: int(min(limit, 1<<30))}
}

func (t *transcript) record(dir byte, b []byte) {
	var hdr [5]byte
	hdr[0] = dir
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(b)))
	t.h.Write(hdr[:])
	t.h.Write(b)
	if t.keep && len(t.buf)+len(hdr)+len(b) <= t.limit {
		t.buf = append(t.buf, hdr[:]...)
		t.buf = append(t.buf, b...)
	}
}

func (t *transcript) sum() string { return hex.EncodeToString(t.h.Sum(nil)) }

// Errors a probe reports about the peer's behaviour.
var (
	ErrByteLimit = errors.New("per-peer byte limit reached")
	ErrProtocol  = errors.New("peer protocol violation")
)

// Limits on messages from peers, other than piece and bitfield messages
// whose sizes follow from BlockSize and the torrent.
const (
	maxExtendedMsg = 64 << 10 // extended handshake, ut_pex, anything else BEP 10
	maxOtherMsg    = 64 << 10 // messages we skip unread (BEP 52 hashes, unknown types)
)

// handshakeLen is the length of a BitTorrent handshake.
const handshakeLen = 68

// wire reads and writes one peer connection, recording the transcript and
// enforcing the byte and size limits. It is used by one goroutine.
type wire struct {
	conn      net.Conn
	br        *bufio.Reader
	tr        *transcript
	read      int64
	maxBytes  int64
	numPieces int
	frame     []byte
	scratch   bytes.Reader
	dec       pp.Decoder
}

func newWire(conn net.Conn, tr *transcript, maxBytes int64, numPieces int) *wire {
	w := &wire{conn: conn, br: bufio.NewReaderSize(conn, 32<<10), tr: tr, maxBytes: maxBytes, numPieces: numPieces}
	w.dec = pp.Decoder{R: bufio.NewReaderSize(&w.scratch, 4<<10), MaxLength: pp.Integer(maxMsgLen(numPieces))}
	return w
}

// maxMsgLen is the largest message body (type byte included) a peer may send.
func maxMsgLen(numPieces int) int {
	return max(1+8+BlockSize, 1+(numPieces+7)/8, maxExtendedMsg, maxOtherMsg)
}

// bodyBounds returns the smallest and largest body length (type byte
// included) allowed for a message of type t, and whether we decode it.
func bodyBounds(t pp.MessageType, numPieces int) (lo, hi int, decode bool) {
	switch t {
	case pp.Choke, pp.Unchoke, pp.Interested, pp.NotInterested, pp.HaveAll, pp.HaveNone:
		return 1, 1, true
	case pp.Have, pp.AllowedFast, pp.Suggest:
		return 5, 5, true
	case pp.Request, pp.Cancel, pp.Reject:
		return 13, 13, true
	case pp.Port:
		return 3, 3, true
	case pp.Bitfield:
		n := 1 + (numPieces+7)/8
		return n, n, true
	case pp.Piece:
		return 1 + 8 + 1, 1 + 8 + BlockSize, true
	case pp.Extended:
		return 2, maxExtendedMsg, true
	default:
		return 1, maxOtherMsg, false
	}
}

func (w *wire) write(b []byte) error {
	w.tr.record(TranscriptWrite, b)
	_, err := w.conn.Write(b)
	return err
}

func (w *wire) writeMsg(m pp.Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode %v: %w", m.Type, err)
	}
	if err := w.write(b); err != nil {
		return fmt.Errorf("write %v: %w", m.Type, err)
	}
	return nil
}

// readFull reads len(b) bytes, counting them against the byte limit.
func (w *wire) readFull(b []byte) (int, error) {
	n, err := io.ReadFull(w.br, b)
	w.read += int64(n)
	return n, err
}

func (w *wire) readHandshake() ([handshakeLen]byte, error) {
	var b [handshakeLen]byte
	n, err := w.readFull(b[:])
	w.tr.record(TranscriptRead, b[:n])
	if err != nil {
		return b, fmt.Errorf("read handshake: %w", err)
	}
	return b, nil
}

// readMsg reads one message. A message of a type we do not handle comes
// back with only Type set and skipped true.
func (w *wire) readMsg() (m pp.Message, skipped bool, err error) {
	var hdr [5]byte
	n, err := w.readFull(hdr[:4])
	if err != nil {
		w.tr.record(TranscriptRead, hdr[:n])
		return m, false, fmt.Errorf("read message length: %w", err)
	}
	length := int64(binary.BigEndian.Uint32(hdr[:4]))
	if length == 0 {
		w.tr.record(TranscriptRead, hdr[:4])
		m.Keepalive = true
		return m, false, nil
	}
	if length > int64(maxMsgLen(w.numPieces)) {
		w.tr.record(TranscriptRead, hdr[:4])
		return m, false, fmt.Errorf("%w: message of %d bytes", ErrProtocol, length)
	}
	if w.read+length > w.maxBytes {
		w.tr.record(TranscriptRead, hdr[:4])
		return m, false, fmt.Errorf("%w: %d bytes read, next message %d", ErrByteLimit, w.read, length)
	}
	if _, err := w.readFull(hdr[4:5]); err != nil {
		w.tr.record(TranscriptRead, hdr[:4])
		return m, false, fmt.Errorf("read message type: %w", err)
	}
	typ := pp.MessageType(hdr[4])
	lo, hi, decode := bodyBounds(typ, w.numPieces)
	if length < int64(lo) || length > int64(hi) {
		w.tr.record(TranscriptRead, hdr[:5])
		return m, false, fmt.Errorf("%w: %v message of %d bytes (allowed %d-%d)", ErrProtocol, typ, length, lo, hi)
	}
	total := 4 + int(length)
	if cap(w.frame) < total {
		w.frame = make([]byte, total, max(total, 1+8+BlockSize+4))
	}
	w.frame = w.frame[:total]
	copy(w.frame, hdr[:5])
	n, err = w.readFull(w.frame[5:])
	w.tr.record(TranscriptRead, w.frame[:5+n])
	if err != nil {
		return m, false, fmt.Errorf("read %v message: %w", typ, err)
	}
	if !decode {
		m.Type = typ
		return m, true, nil
	}
	w.scratch.Reset(w.frame)
	w.dec.R.Reset(&w.scratch)
	if err := w.dec.Decode(&m); err != nil {
		return m, false, fmt.Errorf("%w: decode %v: %v", ErrProtocol, typ, err)
	}
	return m, false, nil
}
