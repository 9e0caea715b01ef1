package md4

import (
	"encoding/binary"
	"hash"
)

// Size is the size of an MD4 checksum in bytes.
const Size = 16

// BlockSize is the block size of MD4 in bytes.
const BlockSize = 64

// Initial chaining values (RFC 1320, section 3.3).
const (
	init0 = 0x67452301
	init1 = 0xefcdab89
	init2 = 0x98badcfe
	init3 = 0x10325476
)

// digest is the running state of one MD4 computation.
type digest struct {
	s   [4]uint32
	x   [BlockSize]byte // buffered tail of a partial block
	nx  int             // bytes used in x
	len uint64          // total bytes written
}

// New returns a new hash.Hash computing MD4. The result is not safe for
// concurrent use; Sum does not change its state, so writing may continue
// after Sum.
func New() hash.Hash {
	d := new(digest)
	d.Reset()
	return d
}

// Sum returns the MD4 checksum of b. It is safe for concurrent use.
func Sum(b []byte) [Size]byte {
	var d digest
	d.Reset()
	d.Write(b)
	return d.checkSum()
}

// Reset restores the initial state.
func (d *digest) Reset() {
	d.s = [4]uint32{init0, init1, init2, init3}
	d.nx = 0
	d.len = 0
}

// Size returns [Size].
func (d *digest) Size() int { return Size }

// BlockSize returns [BlockSize].
func (d *digest) BlockSize() int { return BlockSize }

// Write adds p to the running hash. It never returns an error.
func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nx > 0 {
		c := copy(d.x[d.nx:], p)
		d.nx += c
		p = p[c:]
		if d.nx < BlockSize {
			return n, nil
		}
		blocks(&d.s, d.x[:])
		d.nx = 0
	}
	if len(p) >= BlockSize {
		whole := len(p) &^ (BlockSize - 1)
		blocks(&d.s, p[:whole])
		p = p[whole:]
	}
	d.nx = copy(d.x[:], p)
	return n, nil
}

// Sum appends the current checksum to in and returns the result. The
// state is unchanged.
func (d *digest) Sum(in []byte) []byte {
	c := *d
	sum := c.checkSum()
	return append(in, sum[:]...)
}

// checkSum pads the message (a 1 bit, zeros, the bit length) and returns
// the final chaining value. It consumes d.
func (d *digest) checkSum() [Size]byte {
	// The pad fits in one block when at most 55 bytes are buffered,
	// otherwise it spills into a second.
	var pad [2 * BlockSize]byte
	n := copy(pad[:], d.x[:d.nx])
	pad[n] = 0x80
	end := BlockSize
	if n >= BlockSize-8 {
		end = 2 * BlockSize
	}
	binary.LittleEndian.PutUint64(pad[end-8:], d.len<<3)
	blocks(&d.s, pad[:end])

	var out [Size]byte
	binary.LittleEndian.PutUint32(out[0:], d.s[0])
	binary.LittleEndian.PutUint32(out[4:], d.s[1])
	binary.LittleEndian.PutUint32(out[8:], d.s[2])
	binary.LittleEndian.PutUint32(out[12:], d.s[3])
	return out
}
