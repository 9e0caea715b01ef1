package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// BTv2Block is the BEP 52 merkle leaf size.
const BTv2Block = 16 << 10

// btv2Hash streams the BEP 52 pieces root: SHA-256 of every 16 KiB block
// (the last one as is), combined in a binary merkle tree padded with zero
// leaves to a power of two. It keeps one pending subtree hash per level.
type btv2Hash struct {
	block   hash.Hash
	inBlock int
	// stack[i] holds a complete subtree of 2^i leaves when full[i] is set.
	stack  [64][sha256.Size]byte
	full   [64]bool
	leaves int64
	sum    [sha256.Size]byte
}

func newBTv2() *btv2Hash { return &btv2Hash{block: sha256.New()} }

func (h *btv2Hash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if h.inBlock == 0 && len(p) >= BTv2Block {
			// Whole blocks straight from the caller's buffer.
			h.push(sha256.Sum256(p[:BTv2Block]))
			p = p[BTv2Block:]
			continue
		}
		k := min(len(p), BTv2Block-h.inBlock)
		h.block.Write(p[:k])
		h.inBlock += k
		p = p[k:]
		if h.inBlock == BTv2Block {
			h.push(h.sumBlock())
		}
	}
	return n, nil
}

func (h *btv2Hash) sumBlock() [sha256.Size]byte {
	var s [sha256.Size]byte
	h.block.Sum(s[:0])
	h.block.Reset()
	h.inBlock = 0
	return s
}

func (h *btv2Hash) push(leaf [sha256.Size]byte) {
	h.leaves++
	node := leaf
	for lvl := 0; ; lvl++ {
		if !h.full[lvl] {
			h.stack[lvl], h.full[lvl] = node, true
			return
		}
		node = pair(&h.stack[lvl], &node)
		h.full[lvl] = false
	}
}

func pair(l, r *[sha256.Size]byte) [sha256.Size]byte {
	var b [2 * sha256.Size]byte
	copy(b[:], l[:])
	copy(b[sha256.Size:], r[:])
	return sha256.Sum256(b[:])
}

// root finishes the tree; it returns "" for an empty input, which has no
// pieces root.
func (h *btv2Hash) root() string {
	if h.inBlock > 0 {
		h.push(h.sumBlock())
	}
	if h.leaves == 0 {
		return ""
	}
	// Combine pending subtrees from the lowest level up; a missing right
	// sibling is a subtree of zero leaves of the same height.
	var pad [sha256.Size]byte // a zero leaf, then its parents level by level
	var node [sha256.Size]byte
	have := false
	top := 63
	for top > 0 && !h.full[top] {
		top--
	}
	for lvl := 0; lvl <= top; lvl++ {
		switch {
		case h.full[lvl] && have:
			node = pair(&h.stack[lvl], &node)
		case h.full[lvl]:
			if lvl == top {
				node = h.stack[lvl]
			} else {
				node = pair(&h.stack[lvl], &pad)
			}
			have = true
		case have:
			node = pair(&node, &pad)
		}
		pad = pair(&pad, &pad)
	}
	h.sum = node
	return hex.EncodeToString(node[:])
}
