package fingerprint

import (
	"container/list"
	"crypto/sha1"
	"io"
	"strings"
	"sync"
)

// Entry is one catalogued document as the matcher sees it.
type Entry struct {
	Fingerprint
	// Name is the document's display name (reported as document_name).
	Name string
}

// ReadAtCloser reads a catalogued copy of a document.
type ReadAtCloser interface {
	io.ReaderAt
	io.Closer
}

const (
	// maxProven bounds the infohashes [Index.AddProven] remembers.
	maxProven = 1 << 20
	// alignCacheBytes bounds the memory of cached v1 piece hashes.
	alignCacheBytes = 64 << 20
)

// Index finds catalogued documents in torrents and links. Candidates are
// looked up by size and link hashes in maps built once by
// [NewIndex], so a torrent with no size hit costs one map lookup per file.
// An Index is safe for concurrent use.
type Index struct {
	docs   []Entry
	bySize map[int64][]int32
	byED2K map[string][]int32
	bySHA1 map[string][]int32
	byTTH  map[string][]int32
	open   func(sha256 string) (ReadAtCloser, error)
	cache  *alignCache

	mu     sync.RWMutex
	proven map[InfoHash][]Match
}

// NewIndex indexes entries (duplicates by SHA256 are kept once, the first
// name winning; empty documents are left out: every empty file has the
// same hashes, so they would prove nothing). open returns the catalogued copy of a document by its
// SHA-256; it is called only to verify v1 pieces, and may be called from
// several goroutines at once. A nil open disables v1 verification: files
// that would need it are reported as leads.
func NewIndex(entries []Entry, open func(sha256 string) (ReadAtCloser, error)) *Index {
	ix := &Index{
		bySize: make(map[int64][]int32),
		byED2K: make(map[string][]int32),
		bySHA1: make(map[string][]int32),
		byTTH:  make(map[string][]int32),
		open:   open,
		cache:  newAlignCache(alignCacheBytes),
		proven: make(map[InfoHash][]Match),
	}
	seen := make(map[string]bool)
	for _, e := range entries {
		if e.Size <= 0 {
			continue // an empty document has nothing to compare: it proves nothing
		}
		if e.SHA256 != "" {
			if seen[strings.ToLower(e.SHA256)] {
				continue
			}
			seen[strings.ToLower(e.SHA256)] = true
		}
		i := int32(len(ix.docs))
		ix.docs = append(ix.docs, e)
		ix.bySize[e.Size] = append(ix.bySize[e.Size], i)
		for _, h := range []string{e.ED2K, e.ED2KAlt} {
			if h != "" {
				ix.byED2K[strings.ToLower(h)] = append(ix.byED2K[strings.ToLower(h)], i)
			}
		}
		if e.SHA1 != "" {
			ix.bySHA1[strings.ToLower(e.SHA1)] = append(ix.bySHA1[strings.ToLower(e.SHA1)], i)
		}
		if e.TTH != "" {
			ix.byTTH[strings.ToUpper(e.TTH)] = append(ix.byTTH[strings.ToUpper(e.TTH)], i)
		}
	}
	return ix
}

// Len returns the number of distinct documents indexed.
func (ix *Index) Len() int { return len(ix.docs) }

// AddProven remembers matches proven from torrents' own info dictionaries
// (v1-pieces, v2-root, v2-root+v1-pieces; for example loaded from the
// store), so that [Index.MatchLink] reports a magnet carrying one of their
// infohashes (btih, or the first 20 bytes of btmh) as method "btih". Every
// other match (leads, inconsistent hybrids, link hashes, btih) is ignored:
// a link's content hash proves nothing about an infohash beside it. At
// most about a million infohashes are kept; more are dropped. Safe for
// concurrent use.
func (ix *Index) AddProven(ms ...Match) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, m := range ms {
		ih := m.InfoHash
		if !m.ProvesTorrent() || m.Method == MethodBTIH {
			continue
		}
		if _, ok := ix.proven[ih]; !ok && len(ix.proven) >= maxProven {
			continue
		}
		dup := false
		for _, p := range ix.proven[ih] {
			dup = dup || (p.Document == m.Document && p.FileIndex == m.FileIndex)
		}
		if !dup {
			ix.proven[ih] = append(ix.proven[ih], m)
		}
	}
}

func (ix *Index) provenFor(ih InfoHash) []Match {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return append([]Match(nil), ix.proven[ih]...)
}

// alignKey identifies one way of cutting a document into v1 pieces: the
// piece length and where the first piece boundary falls in the document.
type alignKey struct {
	doc      int32
	pieceLen int64
	phase    int64
}

// alignVal holds the SHA-1 of every whole piece of the document at that
// alignment, and of the tail after them (padded with tailPad zeros) when
// computed.
type alignVal struct {
	full    [][sha1.Size]byte
	tail    [sha1.Size]byte
	tailPad int64 // zero bytes hashed after the document's tail
	hasTail bool
}

func (v *alignVal) cost() int { return len(v.full)*sha1.Size + 128 }

// alignCache is a least-recently-used cache of alignments bounded by the
// bytes of hashes it holds. Safe for concurrent use.
type alignCache struct {
	mu    sync.Mutex
	limit int
	size  int
	ll    *list.List
	m     map[alignKey]*list.Element
}

type alignItem struct {
	key alignKey
	val *alignVal
}

func newAlignCache(limit int) *alignCache {
	return &alignCache{limit: limit, ll: list.New(), m: make(map[alignKey]*list.Element)}
}

// get returns the cached value; callers must not modify it.
func (c *alignCache) get(k alignKey) *alignVal {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*alignItem).val
	}
	return nil
}

// put stores v under k, replacing any older value, and evicts the least
// recently used values beyond the limit.
func (c *alignCache) put(k alignKey, v *alignVal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v.cost() > c.limit {
		return
	}
	if e, ok := c.m[k]; ok {
		c.size -= e.Value.(*alignItem).val.cost()
		c.ll.Remove(e)
	}
	c.m[k] = c.ll.PushFront(&alignItem{k, v})
	c.size += v.cost()
	for c.size > c.limit {
		e := c.ll.Back()
		it := e.Value.(*alignItem)
		c.ll.Remove(e)
		delete(c.m, it.key)
		c.size -= it.val.cost()
	}
}
