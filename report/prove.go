package report

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// prover makes inclusion proofs for many records against one tree size
// with few store reads: hashes of high subtrees (shared by most proofs)
// are kept, and each batch of records costs one read of the rest.
type prover struct {
	r    tlog.HashReader
	size int64
	high map[int64]tlog.Hash // stored hashes at level >= highLevel
}

// highLevel: subtrees of 64 records and up are cached (about N/32
// hashes, 1 MiB per million records).
const highLevel = 6

func newProver(r tlog.HashReader, size int64) *prover {
	return &prover{r: r, size: size, high: map[int64]tlog.Hash{}}
}

// recorder is a HashReader that notes which hashes are asked for.
type recorder struct{ need []int64 }

func (r *recorder) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	r.need = append(r.need, idx...)
	return make([]tlog.Hash, len(idx)), nil
}

// mapReader serves hashes from maps.
type mapReader struct{ a, b map[int64]tlog.Hash }

func (m mapReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := m.a[x]
		if !ok {
			if h, ok = m.b[x]; !ok {
				return nil, fmt.Errorf("log hash %d not loaded", x)
			}
		}
		out[i] = h
	}
	return out, nil
}

// prove returns the inclusion proofs of records ns.
func (p *prover) prove(ns []int64) ([]tlog.RecordProof, error) {
	rec := &recorder{}
	for _, n := range ns {
		if _, err := tlog.ProveRecord(p.size, n, rec); err != nil {
			return nil, fmt.Errorf("prove record %d: %w", n, err)
		}
	}
	local := map[int64]tlog.Hash{}
	var missing []int64
	for _, x := range rec.need {
		if _, ok := p.high[x]; ok {
			continue
		}
		if _, ok := local[x]; ok {
			continue
		}
		local[x] = tlog.Hash{}
		missing = append(missing, x)
	}
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), 4096)]
		missing = missing[len(chunk):]
		hs, err := p.r.ReadHashes(chunk)
		if err != nil {
			return nil, fmt.Errorf("read log hashes: %w", err)
		}
		for i, x := range chunk {
			if lvl, _ := tlog.SplitStoredHashIndex(x); lvl >= highLevel && len(p.high) < 1<<22 {
				p.high[x] = hs[i]
				delete(local, x)
				continue
			}
			local[x] = hs[i]
		}
	}
	out := make([]tlog.RecordProof, len(ns))
	mr := mapReader{local, p.high}
	for i, n := range ns {
		pr, err := tlog.ProveRecord(p.size, n, mr)
		if err != nil {
			return nil, fmt.Errorf("prove record %d: %w", n, err)
		}
		out[i] = pr
	}
	return out, nil
}
