package store

import "sync"

// pgPending holds the leaves this process appended to its own sensor's
// log and has not folded into the peer summaries yet, contiguous from
// index first: a fold of them decodes these instead of reading them back
// from the database, which is about a third of a fold's time (see
// BENCHMARKS.md). They are the very bytes stored, so the summaries are
// folded from what the log holds either way. At most maxPending are kept;
// after a gap (records this process did not append, or an append whose
// outcome it did not learn) it starts again, and a fold of records it
// does not hold reads them as any other process does. A nil *pgPending
// holds nothing and keeps nothing.
type pgPending struct {
	mu     sync.Mutex
	first  int64
	leaves [][]byte
}

// maxPending bounds the leaves kept (two folds' worth).
const maxPending = 2 * foldPage

// add notes leaves appended at index first.
func (p *pgPending) add(first int64, leaves [][]byte) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.leaves) == 0 || p.first+int64(len(p.leaves)) != first || len(p.leaves)+len(leaves) > maxPending {
		// A new array: a fold may still read the old one.
		p.leaves, p.first = make([][]byte, 0, min(len(leaves)*4, maxPending)), first
	}
	p.leaves = append(p.leaves, leaves...)
}

// span returns the leaves of records [from, to), or false when it does
// not hold all of them. The slice stays valid: add never writes over the
// elements it holds.
func (p *pgPending) span(from, to int64) ([][]byte, bool) {
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if from < p.first || to > p.first+int64(len(p.leaves)) || from >= to {
		return nil, false
	}
	return p.leaves[from-p.first : to-p.first : to-p.first], true
}

// folded forgets the leaves of records before through.
func (p *pgPending) folded(through int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if through <= p.first {
		return
	}
	drop := min(through-p.first, int64(len(p.leaves)))
	p.leaves, p.first = p.leaves[drop:], p.first+drop
}
