package evidence

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// Transcript record kinds: each transcript record starts with one of these.
const (
	TranscriptRead  byte = 'R' // bytes read from the peer, as on the wire
	TranscriptWrite byte = 'W' // bytes we wrote to the peer, as on the wire
	// TranscriptPiece is a piece message read from the peer with its data
	// replaced by the data's SHA-256: the 13-byte header as on the wire
	// (length, type 7, index, begin) followed by 32 bytes of hash.
	TranscriptPiece byte = 'P'
	// TranscriptOmitted ends a transcript that reached MaxTranscript: its
	// 8 bytes (big-endian) count the record bytes left out.
	TranscriptOmitted byte = 'T'
	// TranscriptConnection starts the records of one connection: its bytes
	// name the transport ("tcp", "tcp+mse", "utp", "utp+mse"). A probe
	// that connected twice (plaintext, then encrypted) has two.
	TranscriptConnection byte = 'C'
)

// MaxTranscript is the largest transcript kept for one probe.
const MaxTranscript = 1 << 20

// TranscriptFormat describes the redacted wire transcript every probe
// keeps ([ProbeResult.Transcript]) and whose SHA-256 is
// Observation.TranscriptSHA256: it shows the exchange without holding a
// byte of the downloaded content, so it can be shown to a court without
// re-distributing the leaked data.
//
// The transcript is the concatenation, in the order the probe performed
// them, of records
//
//	kind   (1 byte: 'C' connection, 'R' read, 'W' written, 'P' piece read,
//	        redacted; 'T' omitted)
//	length (4 bytes, big-endian)
//	bytes  (length bytes)
//
// Each connection starts with a 'C' record naming its transport. Then one
// record holds one protocol unit: the 68-byte handshake, or one message
// with its 4-byte length prefix (a keep-alive is the 4 zero bytes).
// A piece message is a 'P' record: its header as on the wire, then the
// SHA-256 of the block it carried (of what was read, if cut short). A unit
// cut short (the peer closed, a limit was hit, the deadline passed) is
// recorded with the bytes actually read. The records are the BitTorrent
// layer: bytes of the TCP or uTP layers, and of MSE/PE on an encrypted
// connection (its key exchange, padding and RC4 stream), are not part of
// it; reads are recorded decrypted and writes before encryption. A transcript reaching [MaxTranscript] ends with one
// 'T' record. TranscriptSHA256 is the lower-case hex SHA-256 of the whole
// transcript.
const TranscriptFormat = "C|R|W|P|T, uint32 big-endian length, bytes; a C record (transport) per connection, one record per handshake or message above any encryption; piece data replaced by its SHA-256"

// transcript keeps and hashes the records of one probe.
type transcript struct {
	buf     []byte
	omitted uint64
}

func (t *transcript) record(kind byte, b []byte) {
	if t.omitted > 0 || len(t.buf)+5+len(b) > MaxTranscript-13 {
		t.omitted += uint64(5 + len(b))
		return
	}
	t.buf = append(t.buf, kind)
	t.buf = binary.BigEndian.AppendUint32(t.buf, uint32(len(b)))
	t.buf = append(t.buf, b...)
}

// recordPiece records a piece message (frame, length prefix included)
// with its data replaced by the data's SHA-256.
func (t *transcript) recordPiece(frame []byte) {
	hdr := frame[:min(len(frame), 13)]
	sum := sha256.Sum256(frame[len(hdr):])
	t.record(TranscriptPiece, append(append(make([]byte, 0, len(hdr)+32), hdr...), sum[:]...))
}

// finish closes the transcript and returns it with its SHA-256 (hex).
func (t *transcript) finish() ([]byte, string) {
	if t.omitted > 0 {
		t.buf = append(t.buf, TranscriptOmitted, 0, 0, 0, 8)
		t.buf = binary.BigEndian.AppendUint64(t.buf, t.omitted)
		t.omitted = 0
	}
	sum := sha256.Sum256(t.buf)
	return t.buf, hex.EncodeToString(sum[:])
}

// Errors a probe reports about the peer's behaviour. They are those of
// internal/peerwire, so that errors.Is holds whichever layer saw the fault.
var (
	// ErrByteLimit is wrapped when a peer sends more than MaxBytes.
	ErrByteLimit = peerwire.ErrByteLimit
	// ErrProtocol is wrapped when a peer breaks the protocol.
	ErrProtocol = peerwire.ErrProtocol
)

// Limits on messages from peers, other than piece and bitfield messages
// whose sizes follow from BlockSize and the torrent.
const (
	maxExtendedMsg = 64 << 10 // extended handshake, ut_pex, anything else BEP 10
	maxOtherMsg    = 64 << 10 // messages we skip unread (BEP 52 hashes, unknown types)
)

// wire reads and writes one peer connection, recording the transcript; its
// reader enforces the byte and size limits. It is used by one goroutine.
type wire struct {
	conn    net.Conn
	r       *peerwire.Reader
	tr      *transcript
	scratch bytes.Reader
	dec     pp.Decoder
}

func newWire(conn net.Conn, tr *transcript, maxBytes int64, numPieces int) *wire {
	sizes := peerwire.Sizes{NumPieces: numPieces, MaxBlock: BlockSize, MaxExtended: maxExtendedMsg, MaxOther: maxOtherMsg}
	w := &wire{conn: conn, tr: tr, r: peerwire.NewReader(conn, peerwire.Config{
		MaxLength: sizes.MaxLength(),
		Budget:    maxBytes,
		Bounds:    sizes.Bounds,
	})}
	w.dec = pp.Decoder{R: bufio.NewReaderSize(&w.scratch, 4<<10), MaxLength: pp.Integer(sizes.MaxLength())}
	return w
}

// write records and sends one unit (a handshake or a framed message).
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

// readHandshake reads and records the peer's handshake. An error is a read
// error, or wraps ErrProtocol.
func (w *wire) readHandshake() (peerwire.Handshake, error) {
	h, raw, err := w.r.ReadHandshake()
	w.tr.record(TranscriptRead, raw)
	if errors.Is(err, peerwire.ErrNotBitTorrent) {
		return h, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return h, err
}

// readMsg reads and records one message. A message of a type we do not
// handle comes back with only Type set and skipped true.
func (w *wire) readMsg() (m pp.Message, skipped bool, err error) {
	msg, err := w.r.ReadMessage()
	if msg.Admitted && pp.MessageType(msg.Type) == pp.Piece {
		w.tr.recordPiece(msg.Frame) // never keep the content itself
	} else {
		w.tr.record(TranscriptRead, msg.Frame)
	}
	switch {
	case err != nil:
		return m, false, err
	case msg.KeepAlive():
		m.Keepalive = true
		return m, false, nil
	case !peerwire.Known(msg.Type):
		m.Type = pp.MessageType(msg.Type)
		return m, true, nil
	}
	w.scratch.Reset(msg.Frame)
	w.dec.R.Reset(&w.scratch)
	if err := w.dec.Decode(&m); err != nil {
		return m, false, fmt.Errorf("%w: decode %v: %v", ErrProtocol, pp.MessageType(msg.Type), err)
	}
	return m, false, nil
}
