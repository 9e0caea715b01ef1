package md4
import (
"encoding/binary"
"testing"
)





// blocks runs the MD4 compression function over every whole 64-byte block
// of p, updating s. len(p) must be a multiple of [BlockSize]. The 48 steps
// are unrolled by hand: the helpers above are small enough to be inlined
// and their shift counts are constants.
func blocksOld(s *[4]uint32, p []byte) {
	a, b, c, d := s[0], s[1], s[2], s[3]
	for len(p) >= BlockSize {
		_ = p[BlockSize-1] // one bounds check for the whole block
		x0 := binary.LittleEndian.Uint32(p[0:])
		x1 := binary.LittleEndian.Uint32(p[4:])
		x2 := binary.LittleEndian.Uint32(p[8:])
		x3 := binary.LittleEndian.Uint32(p[12:])
		x4 := binary.LittleEndian.Uint32(p[16:])
		x5 := binary.LittleEndian.Uint32(p[20:])
		x6 := binary.LittleEndian.Uint32(p[24:])
		x7 := binary.LittleEndian.Uint32(p[28:])
		x8 := binary.LittleEndian.Uint32(p[32:])
		x9 := binary.LittleEndian.Uint32(p[36:])
		x10 := binary.LittleEndian.Uint32(p[40:])
		x11 := binary.LittleEndian.Uint32(p[44:])
		x12 := binary.LittleEndian.Uint32(p[48:])
		x13 := binary.LittleEndian.Uint32(p[52:])
		x14 := binary.LittleEndian.Uint32(p[56:])
		x15 := binary.LittleEndian.Uint32(p[60:])
		aa, bb, cc, dd := a, b, c, d

		// Round 1.
		a = ff(a, b, c, d, x0, 3)
		d = ff(d, a, b, c, x1, 7)
		c = ff(c, d, a, b, x2, 11)
		b = ff(b, c, d, a, x3, 19)
		a = ff(a, b, c, d, x4, 3)
		d = ff(d, a, b, c, x5, 7)
		c = ff(c, d, a, b, x6, 11)
		b = ff(b, c, d, a, x7, 19)
		a = ff(a, b, c, d, x8, 3)
		d = ff(d, a, b, c, x9, 7)
		c = ff(c, d, a, b, x10, 11)
		b = ff(b, c, d, a, x11, 19)
		a = ff(a, b, c, d, x12, 3)
		d = ff(d, a, b, c, x13, 7)
		c = ff(c, d, a, b, x14, 11)
		b = ff(b, c, d, a, x15, 19)

		// Round 2.
		a = gg(a, b, c, d, x0, 3)
		d = gg(d, a, b, c, x4, 5)
		c = gg(c, d, a, b, x8, 9)
		b = gg(b, c, d, a, x12, 13)
		a = gg(a, b, c, d, x1, 3)
		d = gg(d, a, b, c, x5, 5)
		c = gg(c, d, a, b, x9, 9)
		b = gg(b, c, d, a, x13, 13)
		a = gg(a, b, c, d, x2, 3)
		d = gg(d, a, b, c, x6, 5)
		c = gg(c, d, a, b, x10, 9)
		b = gg(b, c, d, a, x14, 13)
		a = gg(a, b, c, d, x3, 3)
		d = gg(d, a, b, c, x7, 5)
		c = gg(c, d, a, b, x11, 9)
		b = gg(b, c, d, a, x15, 13)

		// Round 3.
		a = hh(a, b, c, d, x0, 3)
		d = hh(d, a, b, c, x8, 9)
		c = hh(c, d, a, b, x4, 11)
		b = hh(b, c, d, a, x12, 15)
		a = hh(a, b, c, d, x2, 3)
		d = hh(d, a, b, c, x10, 9)
		c = hh(c, d, a, b, x6, 11)
		b = hh(b, c, d, a, x14, 15)
		a = hh(a, b, c, d, x1, 3)
		d = hh(d, a, b, c, x9, 9)
		c = hh(c, d, a, b, x5, 11)
		b = hh(b, c, d, a, x13, 15)
		a = hh(a, b, c, d, x3, 3)
		d = hh(d, a, b, c, x11, 9)
		c = hh(c, d, a, b, x7, 11)
		b = hh(b, c, d, a, x15, 15)

		a += aa
		b += bb
		c += cc
		d += dd
		p = p[BlockSize:]
	}
	s[0], s[1], s[2], s[3] = a, b, c, d
}

func BenchmarkVariant(b *testing.B) {
	data := pseudoRandom(1, 1<<20)
	for _, v := range []struct {
		name string
		f    func(*[4]uint32, []byte)
	}{{"new", blocks}, {"old", blocksOld}, {"new2", blocks}, {"old2", blocksOld}} {
		b.Run(v.name, func(b *testing.B) {
			var s [4]uint32
			b.SetBytes(1 << 20)
			for b.Loop() {
				v.f(&s, data)
			}
		})
	}
}
