package fingerprint

import (
	"bytes"
	"encoding/hex"
	"hash"

	"github.com/leakhunt/leakhunt/fingerprint/internal/md4"
)

// ED2KChunk is the eDonkey2000 chunk size.
const ED2KChunk = 9_728_000

// ed2kHash streams the eDonkey2000 hash: MD4 per 9,728,000-byte chunk, then
// MD4 of the concatenated chunk hashes. It keeps 16 bytes per chunk (1.7 MB
// for a terabyte), which is as good as constant.
type ed2kHash struct {
	cur    hash.Hash
	inCur  int
	chunks []byte // MD4 of every completed chunk
	size   int64
}

func newED2K() *ed2kHash { return &ed2kHash{cur: md4.New()} }

func (h *ed2kHash) Write(p []byte) (int, error) {
	n := len(p)
	h.size += int64(n)
	for len(p) > 0 {
		k := min(len(p), ED2KChunk-h.inCur)
		h.cur.Write(p[:k])
		h.inCur += k
		p = p[k:]
		if h.inCur == ED2KChunk {
			h.chunks = h.cur.Sum(h.chunks)
			h.cur.Reset()
			h.inCur = 0
		}
	}
	return n, nil
}

// sums returns the ed2k hash (eMule/rhash convention) and, for sizes that are
// a positive multiple of the chunk size, the alternative without the empty
// trailing chunk.
func (h *ed2kHash) sums() (ed2k, alt string) {
	n := len(h.chunks) / md4.Size
	switch {
	case n == 0: // less than one chunk: MD4 of the bytes
		return hex.EncodeToString(h.cur.Sum(nil)), ""
	case h.inCur > 0: // a partial last chunk
		list := h.cur.Sum(bytes.Clone(h.chunks))
		return md4Hex(list), ""
	}
	// A positive multiple of the chunk size: eMule appends the hash of an
	// empty chunk; the other convention does not.
	empty := md4.Sum(nil)
	ed2k = md4Hex(append(bytes.Clone(h.chunks), empty[:]...))
	if n == 1 {
		alt = hex.EncodeToString(h.chunks)
	} else {
		alt = md4Hex(h.chunks)
	}
	return ed2k, alt
}

func md4Hex(b []byte) string {
	s := md4.Sum(b)
	return hex.EncodeToString(s[:])
}
