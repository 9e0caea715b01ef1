package md4

import (
	"encoding/binary"
	"math/bits"
)

// Round constants of RFC 1320, section 3.4.
const (
	k2 = 0x5a827999
	k3 = 0x6ed9eba1
)

// le reads a little-endian message word; the compiler turns it into a
// memory operand, which leaves more registers for the state.
func le(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// ff is one step of round 1: a = (a + F(b,c,d) + x) <<< s.
//
// In every step b is the word computed by the step before, so the helpers
// order their operations to put b as late as possible: the work that does
// not depend on it overlaps the previous step.
func ff(a, b, c, d, x uint32, s int) uint32 {
	return bits.RotateLeft32(a+x+((c^d)&b^d), s)
}

// gg is one step of round 2: a = (a + G(b,c,d) + x + k2) <<< s.
// G, the majority function, is written as (c&d) + (b&(c^d)): the two
// terms never share a set bit, so the sum equals the usual OR, and b, the
// word computed by the previous step, enters last.
func gg(a, b, c, d, x uint32, s int) uint32 {
	return bits.RotateLeft32(a+x+k2+(c&d)+(b&(c^d)), s)
}

// hh is one step of round 3: a = (a + H(b,c,d) + x + k3) <<< s.
// As in gg, b enters last.
func hh(a, b, c, d, x uint32, s int) uint32 {
	return bits.RotateLeft32(a+x+k3+(b^(c^d)), s)
}

// blocks runs the MD4 compression function over every whole 64-byte block
// of p, updating s. len(p) must be a multiple of [BlockSize]. The 48 steps
// are unrolled: the helpers above are small enough to be inlined and their
// shift counts are constants. The chaining value stays in locals and is
// stored once per block.
func blocks(s *[4]uint32, p []byte) {
	a, b, c, d := s[0], s[1], s[2], s[3]
	for len(p) >= BlockSize {
		_ = p[BlockSize-1] // one bounds check for the whole block

		// Round 1.
		a = ff(a, b, c, d, le(p[0:]), 3)
		d = ff(d, a, b, c, le(p[4:]), 7)
		c = ff(c, d, a, b, le(p[8:]), 11)
		b = ff(b, c, d, a, le(p[12:]), 19)
		a = ff(a, b, c, d, le(p[16:]), 3)
		d = ff(d, a, b, c, le(p[20:]), 7)
		c = ff(c, d, a, b, le(p[24:]), 11)
		b = ff(b, c, d, a, le(p[28:]), 19)
		a = ff(a, b, c, d, le(p[32:]), 3)
		d = ff(d, a, b, c, le(p[36:]), 7)
		c = ff(c, d, a, b, le(p[40:]), 11)
		b = ff(b, c, d, a, le(p[44:]), 19)
		a = ff(a, b, c, d, le(p[48:]), 3)
		d = ff(d, a, b, c, le(p[52:]), 7)
		c = ff(c, d, a, b, le(p[56:]), 11)
		b = ff(b, c, d, a, le(p[60:]), 19)

		// Round 2.
		a = gg(a, b, c, d, le(p[0:]), 3)
		d = gg(d, a, b, c, le(p[16:]), 5)
		c = gg(c, d, a, b, le(p[32:]), 9)
		b = gg(b, c, d, a, le(p[48:]), 13)
		a = gg(a, b, c, d, le(p[4:]), 3)
		d = gg(d, a, b, c, le(p[20:]), 5)
		c = gg(c, d, a, b, le(p[36:]), 9)
		b = gg(b, c, d, a, le(p[52:]), 13)
		a = gg(a, b, c, d, le(p[8:]), 3)
		d = gg(d, a, b, c, le(p[24:]), 5)
		c = gg(c, d, a, b, le(p[40:]), 9)
		b = gg(b, c, d, a, le(p[56:]), 13)
		a = gg(a, b, c, d, le(p[12:]), 3)
		d = gg(d, a, b, c, le(p[28:]), 5)
		c = gg(c, d, a, b, le(p[44:]), 9)
		b = gg(b, c, d, a, le(p[60:]), 13)

		// Round 3.
		a = hh(a, b, c, d, le(p[0:]), 3)
		d = hh(d, a, b, c, le(p[32:]), 9)
		c = hh(c, d, a, b, le(p[16:]), 11)
		b = hh(b, c, d, a, le(p[48:]), 15)
		a = hh(a, b, c, d, le(p[8:]), 3)
		d = hh(d, a, b, c, le(p[40:]), 9)
		c = hh(c, d, a, b, le(p[24:]), 11)
		b = hh(b, c, d, a, le(p[56:]), 15)
		a = hh(a, b, c, d, le(p[4:]), 3)
		d = hh(d, a, b, c, le(p[36:]), 9)
		c = hh(c, d, a, b, le(p[20:]), 11)
		b = hh(b, c, d, a, le(p[52:]), 15)
		a = hh(a, b, c, d, le(p[12:]), 3)
		d = hh(d, a, b, c, le(p[44:]), 9)
		c = hh(c, d, a, b, le(p[28:]), 11)
		b = hh(b, c, d, a, le(p[60:]), 15)

		a += s[0]
		b += s[1]
		c += s[2]
		d += s[3]
		s[0], s[1], s[2], s[3] = a, b, c, d
		p = p[BlockSize:]
	}
}
