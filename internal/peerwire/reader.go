package peerwire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	pp "github.com/anacrolix/torrent/peer_protocol"
)

// DefaultMaxLength is the largest message a [Reader] accepts when
// [Config].MaxLength is not set: 1 MiB, a bitfield of 8M pieces.
const DefaultMaxLength = 1 << 20

// Config says what a [Reader] accepts. The zero value accepts messages of
// up to [DefaultMaxLength] bytes.
type Config struct {
	// MaxLength bounds every length prefix (0 means [DefaultMaxLength]);
	// it is checked before anything else of the message is read.
	MaxLength int
	// Budget, when positive, bounds the bytes read from the connection
	// (handshake, length prefixes and bodies): a message that would pass
	// it is refused once its length prefix is read.
	Budget int64
	// Bounds, when set, returns the smallest and largest length (type byte
	// included) of a message of type id; it is checked once the type byte
	// is read, before the body.
	Bounds func(id byte) (lo, hi int)
	// Discard, when set, says which message types are discarded unread:
	// their bodies are skipped without being buffered.
	Discard func(id byte) bool
}

// Message is one unit read by [Reader.ReadMessage].
type Message struct {
	// Frame holds the message as on the wire, length prefix included (the
	// 4 zero bytes of a keep-alive). When the message was cut short or
	// refused it holds the bytes read of it; when it was discarded, its
	// length prefix and type. It is valid until the next read.
	Frame []byte
	// Type is the message type, once its byte was read.
	Type byte
	// Admitted reports that the length passed every bound, so that the
	// reader went on to read (or discard) the body: a refused message's
	// Frame holds at most its prefix and type.
	Admitted bool
	// Discarded reports that the body was skipped unread ([Config].Discard).
	Discarded bool
}

// KeepAlive reports whether m is a keep-alive.
func (m Message) KeepAlive() bool {
	return len(m.Frame) == 4 && binary.BigEndian.Uint32(m.Frame) == 0
}

// Payload returns what follows the type byte (empty for a keep-alive or a
// discarded message).
func (m Message) Payload() []byte {
	if len(m.Frame) < 5 {
		return nil
	}
	return m.Frame[5:]
}

// Reader reads handshakes and messages from one connection within its
// [Config], counting every byte it reads. It must not be used by more than
// one goroutine at a time.
type Reader struct {
	br  *bufio.Reader
	cfg Config
	n   int64
	hs  [HandshakeLen]byte // the last handshake read
	hdr [5]byte            // the last length prefix and type read
	buf []byte             // the last message read with its body
}

// NewReader returns a Reader of r, which it reads through a 32 KiB buffer
// unless r is a *bufio.Reader already.
func NewReader(r io.Reader, cfg Config) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 32<<10)
	}
	if cfg.MaxLength <= 0 {
		cfg.MaxLength = DefaultMaxLength
	}
	return &Reader{br: br, cfg: cfg}
}

// BytesRead returns how many bytes the reader has read from the
// connection.
func (r *Reader) BytesRead() int64 { return r.n }

func (r *Reader) readFull(b []byte) (int, error) {
	n, err := io.ReadFull(r.br, b)
	r.n += int64(n)
	return n, err
}

// ReadHandshake reads and decodes a handshake. raw holds the bytes read,
// fewer than 68 when the read failed; it is valid until the next read. An
// error is a read error, or [ErrNotBitTorrent].
func (r *Reader) ReadHandshake() (h Handshake, raw []byte, err error) {
	n, err := r.readFull(r.hs[:])
	raw = r.hs[:n]
	if err != nil {
		return h, raw, fmt.Errorf("read handshake: %w", err)
	}
	h, err = ParseHandshake(raw)
	return h, raw, err
}

// ReadMessage reads the next message, a keep-alive included. A length
// prefix above MaxLength or outside Bounds is an error wrapping
// [ErrProtocol], one past the Budget [ErrByteLimit]; on any error the
// returned Message still holds what was read.
func (r *Reader) ReadMessage() (Message, error) {
	buf := r.hdr[:]
	n, err := r.readFull(buf[:4])
	if err != nil {
		return Message{Frame: buf[:n]}, fmt.Errorf("read message length: %w", err)
	}
	m := Message{Frame: buf[:4]}
	length := int64(binary.BigEndian.Uint32(buf[:4]))
	switch {
	case length == 0:
		return m, nil
	case length > int64(r.cfg.MaxLength):
		return m, fmt.Errorf("%w: message of %d bytes", ErrProtocol, length)
	case r.cfg.Budget > 0 && r.n+length > r.cfg.Budget:
		return m, fmt.Errorf("%w: %d bytes read, next message %d", ErrByteLimit, r.n, length)
	}
	if _, err := r.readFull(buf[4:5]); err != nil {
		return m, fmt.Errorf("read message type: %w", err)
	}
	m.Type, m.Frame = buf[4], buf[:5]
	typ := pp.MessageType(m.Type)
	if r.cfg.Bounds != nil {
		if lo, hi := r.cfg.Bounds(m.Type); length < int64(lo) || length > int64(hi) {
			return m, fmt.Errorf("%w: %v message of %d bytes (allowed %d-%d)", ErrProtocol, typ, length, lo, hi)
		}
	}
	m.Admitted = true
	if r.cfg.Discard != nil && r.cfg.Discard(m.Type) {
		m.Discarded = true
		n, err := r.br.Discard(int(length - 1))
		r.n += int64(n)
		if err != nil {
			return m, fmt.Errorf("read %v message: %w", typ, err)
		}
		return m, nil
	}
	total := 4 + int(length)
	if cap(r.buf) < total {
		r.buf = make([]byte, total)
	}
	copy(r.buf, buf)
	n, err = r.readFull(r.buf[5:total])
	m.Frame = r.buf[:5+n]
	if err != nil {
		return m, fmt.Errorf("read %v message: %w", typ, err)
	}
	return m, nil
}
