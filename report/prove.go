package report

import (
	"encoding/base64"
	"fmt"
	"math/bits"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/store"
)

// ProofsName is the file of every bundled record with its proof.
const ProofsName = "proofs/records.jsonl"

// proofLine is one line of proofs/records.jsonl (written by appendProofLine).
type proofLine struct {
	// Peer names the annex the record belongs to ("peer-00001").
	Peer  string   `json:"peer"`
	Index int64    `json:"index"`
	Leaf  string   `json:"leaf"`  // base64 of the exact stored bytes
	Proof []string `json:"proof"` // base64 hashes, leaf level first
}

// blockLevel: proofs are made a block of 2^blockLevel records at a time;
// hashes of subtrees inside the block come from the block's own stored
// hashes, higher ones from a cache.
const blockLevel = 6

// prover makes RFC 6962 inclusion proofs for records of one tree, fed the
// log in order ([prover.add]), with every hash it needs read once: the
// block being proven, the higher subtree hashes (about one per 64
// records, cached), and the few hashes of the tree's incomplete right
// edge (memoized).
type prover struct {
	size  int64
	read  tlog.HashReader // the store, for higher hashes
	block []tlog.Hash     // stored hashes of the current block, in stored-hash order
	base  int64           // stored-hash index of block[0]
	high  map[int64]tlog.Hash
	edge  map[[2]int64]tlog.Hash
	queue []store.Record // records of the block to prove
}

func newProver(r tlog.HashReader, size int64) *prover {
	return &prover{size: size, read: r, high: map[int64]tlog.Hash{}, edge: map[[2]int64]tlog.Hash{}}
}

// stored returns the stored hash of the complete subtree at (level, k).
func (p *prover) stored(level int, k int64) (tlog.Hash, error) {
	idx := tlog.StoredHashIndex(level, k)
	if level < blockLevel {
		if i := idx - p.base; i >= 0 && i < int64(len(p.block)) {
			return p.block[i], nil
		}
	}
	if h, ok := p.high[idx]; ok {
		return h, nil
	}
	hs, err := p.read.ReadHashes([]int64{idx})
	if err != nil {
		return tlog.Hash{}, err
	}
	if level >= blockLevel {
		p.high[idx] = hs[0]
	}
	return hs[0], nil
}

// mth is the Merkle tree hash of records [lo, hi).
func (p *prover) mth(lo, hi int64) (tlog.Hash, error) {
	n := hi - lo
	if n&(n-1) == 0 && lo%n == 0 { // a complete, aligned subtree: stored
		return p.stored(bits.TrailingZeros64(uint64(n)), lo/n)
	}
	if h, ok := p.edge[[2]int64{lo, hi}]; ok {
		return h, nil
	}
	k := int64(1) << (63 - bits.LeadingZeros64(uint64(n-1))) // largest power of 2 below n
	l, err := p.mth(lo, lo+k)
	if err != nil {
		return l, err
	}
	r, err := p.mth(lo+k, hi)
	if err != nil {
		return r, err
	}
	h := tlog.NodeHash(l, r)
	p.edge[[2]int64{lo, hi}] = h
	return h, nil
}

// proof appends the inclusion proof of record m in [lo, hi), leaf level
// first, as tlog.ProveRecord makes it.
func (p *prover) proof(dst []tlog.Hash, m, lo, hi int64) ([]tlog.Hash, error) {
	if hi-lo <= 1 {
		return dst, nil
	}
	k := int64(1) << (63 - bits.LeadingZeros64(uint64(hi-lo-1)))
	var err error
	var h tlog.Hash
	if m < lo+k {
		if dst, err = p.proof(dst, m, lo, lo+k); err == nil {
			h, err = p.mth(lo+k, hi)
		}
	} else {
		if dst, err = p.proof(dst, m, lo+k, hi); err == nil {
			h, err = p.mth(lo, lo+k)
		}
	}
	return append(dst, h), err
}

// add takes the next record of the log (in order, every record of the
// tree) with its stored hashes, and whether it is to be proven. When a
// block is complete its queued records are proven and passed to emit.
func (p *prover) add(r store.Record, want bool, emit func(store.Record, []tlog.Hash) error) error {
	if len(p.block) == 0 {
		p.base = tlog.StoredHashIndex(0, r.N)
	}
	if want {
		r.Leaf = append([]byte(nil), r.Leaf...)
		p.queue = append(p.queue, r)
	}
	p.block = append(p.block, r.Hashes...)
	if end := r.N + 1; end%(1<<blockLevel) == 0 || end == p.size {
		return p.flush(emit)
	}
	return nil
}

// flush proves the queued records of the current block.
func (p *prover) flush(emit func(store.Record, []tlog.Hash) error) error {
	var buf []tlog.Hash
	for _, r := range p.queue {
		var err error
		if buf, err = p.proof(buf[:0], r.N, 0, p.size); err != nil {
			return fmt.Errorf("prove record %d: %w", r.N, err)
		}
		if err := emit(r, buf); err != nil {
			return err
		}
	}
	p.queue, p.block = p.queue[:0], p.block[:0]
	return nil
}

// appendProofLine appends one line of proofs/records.jsonl (the JSON of a
// proofLine, built without reflection: it is written once per record).
func appendProofLine(b []byte, peer string, n int64, leaf []byte, proof []tlog.Hash) []byte {
	b = append(b, `{"peer":"`...)
	b = append(b, peer...)
	b = append(b, `","index":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"leaf":"`...)
	b = base64.StdEncoding.AppendEncode(b, leaf)
	b = append(b, `","proof":[`...)
	for i, h := range proof {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '"')
	}
	return append(b, "]}\n"...)
}

// writeProofs walks the signed tree in log order and writes the proof line
// of every record of a selected peer. It returns the number written.
func (r *run) writeProofs() (int64, error) {
	w, err := r.b.create(ProofsName)
	if err != nil {
		return 0, err
	}
	defer w.abort()
	pv := newProver(r.s, r.cp.Size)
	var written int64
	var line []byte
	emit := func(rec store.Record, proof []tlog.Hash) error {
		p := r.coll.order[r.coll.recPeer[ownLog][rec.N]].out
		line = appendProofLine(line[:0], p.id(), rec.N, rec.Leaf, proof)
		written++
		_, err := w.Write(line)
		return err
	}
	err = r.s.ForEachRecordBatch(0, func(batch []store.Record) error {
		for _, rec := range batch {
			if rec.N >= r.cp.Size {
				return errStopWalk
			}
			ord := r.coll.recPeer[ownLog][rec.N]
			want := ord != noPeer && r.coll.order[ord].out != nil
			if err := pv.add(rec, want, emit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && err != errStopWalk {
		return written, err
	}
	return written, w.Close()
}
