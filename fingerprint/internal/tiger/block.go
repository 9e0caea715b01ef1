package tiger

import "encoding/binary"

// blocks runs the Tiger compression function over every whole 64-byte
// block of p, updating s. len(p) must be a multiple of [BlockSize].
//
// Everything is unrolled: three passes of eight rounds with multipliers 5,
// 7 and 9, the key schedule between passes inline, state and message words
// in locals. A round is
//
//	c ^= x
//	a -= t1[c_0] ^ t2[c_2] ^ t3[c_4] ^ t4[c_6]
//	b += t4[c_1] ^ t3[c_3] ^ t2[c_5] ^ t1[c_7]
//	b *= mul
//
// where c_i is byte i of c, least significant first; successive rounds
// rotate the roles of a, b and c.
func blocks(s *[3]uint64, p []byte) {
	a, b, c := s[0], s[1], s[2]
	for len(p) >= BlockSize {
		_ = p[BlockSize-1] // one bounds check for the whole block
		x0 := binary.LittleEndian.Uint64(p[0:])
		x1 := binary.LittleEndian.Uint64(p[8:])
		x2 := binary.LittleEndian.Uint64(p[16:])
		x3 := binary.LittleEndian.Uint64(p[24:])
		x4 := binary.LittleEndian.Uint64(p[32:])
		x5 := binary.LittleEndian.Uint64(p[40:])
		x6 := binary.LittleEndian.Uint64(p[48:])
		x7 := binary.LittleEndian.Uint64(p[56:])
		aa, bb, cc := a, b, c

		// Pass 1.
		c ^= x0
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 5
		a ^= x1
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 5
		b ^= x2
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 5
		c ^= x3
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 5
		a ^= x4
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 5
		b ^= x5
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 5
		c ^= x6
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 5
		a ^= x7
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 5

		// Key schedule.
		x0 -= x7 ^ 0xa5a5a5a5a5a5a5a5
		x1 ^= x0
		x2 += x1
		x3 -= x2 ^ (^x1 << 19)
		x4 ^= x3
		x5 += x4
		x6 -= x5 ^ (^x4 >> 23)
		x7 ^= x6
		x0 += x7
		x1 -= x0 ^ (^x7 << 19)
		x2 ^= x1
		x3 += x2
		x4 -= x3 ^ (^x2 >> 23)
		x5 ^= x4
		x6 += x5
		x7 -= x6 ^ 0x0123456789abcdef

		// Pass 2.
		b ^= x0
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 7
		c ^= x1
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 7
		a ^= x2
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 7
		b ^= x3
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 7
		c ^= x4
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 7
		a ^= x5
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 7
		b ^= x6
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 7
		c ^= x7
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 7

		// Key schedule.
		x0 -= x7 ^ 0xa5a5a5a5a5a5a5a5
		x1 ^= x0
		x2 += x1
		x3 -= x2 ^ (^x1 << 19)
		x4 ^= x3
		x5 += x4
		x6 -= x5 ^ (^x4 >> 23)
		x7 ^= x6
		x0 += x7
		x1 -= x0 ^ (^x7 << 19)
		x2 ^= x1
		x3 += x2
		x4 -= x3 ^ (^x2 >> 23)
		x5 ^= x4
		x6 += x5
		x7 -= x6 ^ 0x0123456789abcdef

		// Pass 3.
		a ^= x0
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 9
		b ^= x1
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 9
		c ^= x2
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 9
		a ^= x3
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 9
		b ^= x4
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 9
		c ^= x5
		a -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		b += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		b *= 9
		a ^= x6
		b -= t1[byte(a)] ^ t2[byte(a>>16)] ^ t3[byte(a>>32)] ^ t4[byte(a>>48)]
		c += t4[byte(a>>8)] ^ t3[byte(a>>24)] ^ t2[byte(a>>40)] ^ t1[byte(a>>56)]
		c *= 9
		b ^= x7
		c -= t1[byte(b)] ^ t2[byte(b>>16)] ^ t3[byte(b>>32)] ^ t4[byte(b>>48)]
		a += t4[byte(b>>8)] ^ t3[byte(b>>24)] ^ t2[byte(b>>40)] ^ t1[byte(b>>56)]
		a *= 9

		// Feed-forward.
		a ^= aa
		b -= bb
		c += cc
		p = p[BlockSize:]
	}
	s[0], s[1], s[2] = a, b, c
}
