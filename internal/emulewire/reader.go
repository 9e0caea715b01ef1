package emulewire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort is wrapped by errors about data that ends before a field does.
var ErrShort = errors.New("truncated")

// Reader reads little-endian fields from a byte slice. The first failure is
// sticky: later reads return zero values and [Reader.Err] reports it. It is
// not safe for concurrent use.
type Reader struct {
	b   []byte
	off int
	err error
}

// NewReader returns a Reader over b. It does not copy b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Len returns the number of unread bytes.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Offset returns the number of bytes read so far.
func (r *Reader) Offset() int { return r.off }

// Fail records err as the Reader's error unless one is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *Reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.Len() {
		r.err = fmt.Errorf("%w: %s needs %d bytes, %d left", ErrShort, what, n, r.Len())
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

// U8 reads one byte.
func (r *Reader) U8() uint8 {
	b := r.take(1, "uint8")
	if b == nil {
		return 0
	}
	return b[0]
}

// U16 reads a little-endian uint16.
func (r *Reader) U16() uint16 {
	b := r.take(2, "uint16")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

// U32 reads a little-endian uint32.
func (r *Reader) U32() uint32 {
	b := r.take(4, "uint32")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// U64 reads a little-endian uint64.
func (r *Reader) U64() uint64 {
	b := r.take(8, "uint64")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// Bytes reads n bytes. The result aliases the Reader's slice.
func (r *Reader) Bytes(n int) []byte { return r.take(n, "bytes") }

// Hash reads 16 bytes.
func (r *Reader) Hash() (h [16]byte) {
	copy(h[:], r.take(16, "hash"))
	return h
}

// Rest returns the unread bytes and consumes them.
func (r *Reader) Rest() []byte { return r.take(r.Len(), "rest") }

// End reports an error when bytes are left unread, so that a parser can
// insist on an exact length.
func (r *Reader) End(what string) error {
	if r.err == nil && r.Len() != 0 {
		r.err = fmt.Errorf("%s: %d unexpected trailing bytes", what, r.Len())
	}
	return r.err
}
