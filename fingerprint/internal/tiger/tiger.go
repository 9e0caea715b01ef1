package tiger

import (
	"encoding/binary"
	"hash"
)

// Size is the size of a Tiger checksum in bytes.
const Size = 24

// BlockSize is the block size of Tiger in bytes.
const BlockSize = 64

// Initial chaining values of Tiger.
const (
	init0 = 0x0123456789abcdef
	init1 = 0xfedcba9876543210
	init2 = 0xf096a5b4c3b2e187
)

// digest is the running state of one Tiger computation.
type digest struct {
	s   [3]uint64
	x   [BlockSize]byte // buffered tail of a partial block
	nx  int             // bytes used in x
	len uint64          // total bytes written
}

// New returns a new hash.Hash computing the original Tiger (padding byte
// 0x01). The result is not safe for concurrent use; Sum does not change
// its state, so writing may continue after Sum.
func New() hash.Hash {
	d := new(digest)
	d.Reset()
	return d
}

// Sum returns the Tiger checksum of b. It is safe for concurrent use.
func Sum(b []byte) [Size]byte {
	var d digest
	d.Reset()
	d.Write(b)
	return d.checkSum()
}

// Reset restores the initial state.
func (d *digest) Reset() {
	d.s = [3]uint64{init0, init1, init2}
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

// checkSum pads the message and returns the final chaining value. It
// consumes d.
func (d *digest) checkSum() [Size]byte {
	// Original Tiger pads with a 0x01 byte (Tiger2 uses 0x80), zeros up
	// to 56 mod 64, then the message length in bits, little-endian.
	var pad [2 * BlockSize]byte
	n := copy(pad[:], d.x[:d.nx])
	pad[n] = 0x01
	end := BlockSize
	if n >= BlockSize-8 {
		end = 2 * BlockSize
	}
	binary.LittleEndian.PutUint64(pad[end-8:], d.len<<3)
	blocks(&d.s, pad[:end])
	return output(&d.s)
}

// output serialises the chaining state: each word little-endian, in order.
func output(s *[3]uint64) [Size]byte {
	var out [Size]byte
	binary.LittleEndian.PutUint64(out[0:], s[0])
	binary.LittleEndian.PutUint64(out[8:], s[1])
	binary.LittleEndian.PutUint64(out[16:], s[2])
	return out
}
