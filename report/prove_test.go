package report

import (
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// TestProverMatchesTlog: proofs made a block at a time in log order equal
// tlog.ProveRecord's for every record of trees of many sizes, including
// right edges that end inside a block.
func TestProverMatchesTlog(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var obs []evidence.Observation
	for i := range 300 {
		obs = append(obs, evidence.Observation{Level: 2, Source: "probe", IP: "192.0.2.1", Port: 1000 + i, InfoHash: ihA, Version: "t"})
	}
	if _, err := s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{1, 2, 3, 63, 64, 65, 127, 128, 129, 200, 255, 256, 257, 300} {
		pv := newProver(s, size)
		proven := 0
		emit := func(r store.Record, got []tlog.Hash) error {
			want, err := tlog.ProveRecord(size, r.N, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("size %d record %d: %d hashes, want %d", size, r.N, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("size %d record %d: hash %d differs", size, r.N, i)
				}
			}
			proven++
			return nil
		}
		err := s.ForEachRecord(0, func(n int64, leaf []byte, hashes []tlog.Hash) error {
			if n >= size {
				return errStopWalk
			}
			return pv.add(store.Record{N: n, Leaf: leaf, Hashes: hashes}, n%3 != 1, emit)
		})
		if err != nil && err != errStopWalk {
			t.Fatal(err)
		}
		if want := int(size - (size+1)/3); proven != want {
			t.Errorf("size %d: %d proven, want %d", size, proven, want)
		}
	}
}
