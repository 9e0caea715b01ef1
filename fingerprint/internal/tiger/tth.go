package tiger

import (
	"encoding/binary"
	"math/bits"
)

// LeafSize is the number of input bytes in one Tiger Tree Hash leaf.
const LeafSize = 1024

// maxDepth bounds the subtree stack: a stack entry stands for a set bit of
// the leaf count, which is a uint64.
const maxDepth = 64

// Tree computes the Tiger Tree Hash of the bytes written to it. It
// implements hash.Hash: Sum appends the 24-byte root, Size is 24 and
// BlockSize is [LeafSize]. [Tree.Root] returns the root as an array.
//
// The zero value is ready to use. Memory is constant: one partial leaf and
// at most 64 subtree hashes, merged like a binary counter as leaves
// complete. A Tree is not safe for concurrent use; Sum and Root do not
// change its state, so writing may continue after them.
type Tree struct {
	buf    [LeafSize]byte // partial leaf not yet hashed
	nbuf   int            // bytes used in buf
	leaves uint64         // whole leaves hashed so far
	// stack holds the roots of perfect subtrees, largest first, one per
	// set bit of leaves; depth is the number in use.
	stack [maxDepth][Size]byte
	depth int
}

// NewTree returns an empty Tree. It is the same as new(Tree).
func NewTree() *Tree { return new(Tree) }

// TreeSum returns the Tiger Tree Hash of b. It is safe for concurrent use.
func TreeSum(b []byte) [Size]byte {
	var t Tree
	t.Write(b)
	return t.Root()
}

// Reset empties the tree.
func (t *Tree) Reset() {
	t.nbuf = 0
	t.leaves = 0
	t.depth = 0
}

// Size returns [Size].
func (t *Tree) Size() int { return Size }

// BlockSize returns [LeafSize]: writes of whole leaves avoid copying.
func (t *Tree) BlockSize() int { return LeafSize }

// Write adds p to the input. Any split of the input into writes gives the
// same result. It never returns an error.
func (t *Tree) Write(p []byte) (int, error) {
	n := len(p)
	if t.nbuf > 0 {
		c := copy(t.buf[t.nbuf:], p)
		t.nbuf += c
		p = p[c:]
		if t.nbuf < LeafSize {
			return n, nil
		}
		t.push(leafHash((*[LeafSize]byte)(t.buf[:])))
		t.nbuf = 0
	}
	// A whole leaf is final even if it turns out to be the last one, so
	// leaves are hashed straight from p as soon as they are complete.
	for len(p) >= LeafSize {
		t.push(leafHash((*[LeafSize]byte)(p)))
		p = p[LeafSize:]
	}
	t.nbuf = copy(t.buf[:], p)
	return n, nil
}

// push adds the hash of the next whole leaf and merges equal-sized
// subtrees: after leaf number k (counting from 1), as many merges as k has
// trailing zero bits.
func (t *Tree) push(h [Size]byte) {
	t.stack[t.depth] = h
	t.depth++
	t.leaves++
	for range bits.TrailingZeros64(t.leaves) {
		t.depth--
		t.stack[t.depth-1] = nodeHash(&t.stack[t.depth-1], &t.stack[t.depth])
	}
}

// Root returns the Tiger Tree Hash of everything written so far. The state
// is unchanged.
func (t *Tree) Root() [Size]byte {
	if t.leaves == 0 {
		return partialLeafHash(t.buf[:t.nbuf]) // also the empty input
	}
	// Fold the subtrees right to left: a lone right subtree is promoted
	// until it meets a left sibling of its height, which is what
	// promoting odd nodes level by level amounts to.
	i := t.depth - 1
	acc := t.stack[i]
	if t.nbuf > 0 {
		acc = partialLeafHash(t.buf[:t.nbuf])
		i = t.depth
	}
	for i--; i >= 0; i-- {
		acc = nodeHash(&t.stack[i], &acc)
	}
	return acc
}

// Sum appends the root to in and returns the result. The state is
// unchanged.
func (t *Tree) Sum(in []byte) []byte {
	r := t.Root()
	return append(in, r[:]...)
}

// leafHash returns Tiger(0x00 ‖ p) for a whole leaf. The 1025-byte message
// is 16 blocks and a final block holding its last byte, the 0x01 pad and
// the bit length 8200.
func leafHash(p *[LeafSize]byte) [Size]byte {
	s := [3]uint64{init0, init1, init2}
	var b [BlockSize]byte
	copy(b[1:], p[:BlockSize-1]) // b[0] is the 0x00 leaf prefix
	blocks(&s, b[:])
	blocks(&s, p[BlockSize-1:LeafSize-1])
	b = [BlockSize]byte{0: p[LeafSize-1], 1: 0x01}
	binary.LittleEndian.PutUint64(b[BlockSize-8:], (LeafSize+1)*8)
	blocks(&s, b[:])
	return output(&s)
}

// partialLeafHash returns Tiger(0x00 ‖ p) for a leaf shorter than
// [LeafSize], including the empty one.
func partialLeafHash(p []byte) [Size]byte {
	var d digest
	d.Reset()
	var prefix [1]byte // 0x00
	d.Write(prefix[:])
	d.Write(p)
	return d.checkSum()
}

// nodeHash returns Tiger(0x01 ‖ l ‖ r). The 49-byte message and its
// padding fit in one block.
func nodeHash(l, r *[Size]byte) [Size]byte {
	const n = 1 + 2*Size
	var b [BlockSize]byte
	b[0] = 0x01
	copy(b[1:], l[:])
	copy(b[1+Size:], r[:])
	b[n] = 0x01
	binary.LittleEndian.PutUint64(b[BlockSize-8:], n*8)
	s := [3]uint64{init0, init1, init2}
	blocks(&s, b[:])
	return output(&s)
}
