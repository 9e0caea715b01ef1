package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/leakhunt/leakhunt/evidence"
)

// TestPendingSpans: the leaves kept for the fold are handed out only for
// a range held whole; a gap starts again; a fold forgets what it covered.
func TestPendingSpans(t *testing.T) {
	leaf := func(n int) []byte { return []byte{byte(n)} }
	var p pgPending
	p.add(10, [][]byte{leaf(10), leaf(11)})
	p.add(12, [][]byte{leaf(12)})
	if got, ok := p.span(10, 13); !ok || len(got) != 3 || got[2][0] != 12 {
		t.Fatalf("span(10, 13) = %v, %v", got, ok)
	}
	for _, r := range [][2]int64{{9, 11}, {11, 14}, {12, 12}} {
		if _, ok := p.span(r[0], r[1]); ok {
			t.Errorf("span%v handed out records it does not hold", r)
		}
	}
	held, _ := p.span(11, 13)
	p.folded(12)
	if _, ok := p.span(11, 12); ok {
		t.Error("a folded record is still held")
	}
	p.add(20, [][]byte{leaf(20)}) // records 13 to 19 were appended by someone else
	if _, ok := p.span(12, 13); ok {
		t.Error("records from before a gap are still held")
	}
	if got, ok := p.span(20, 21); !ok || got[0][0] != 20 {
		t.Errorf("span(20, 21) = %v, %v", got, ok)
	}
	if held[0][0] != 11 || held[1][0] != 12 {
		t.Errorf("a span handed out earlier changed: %v", held)
	}
	var none *pgPending
	if _, ok := none.span(0, 1); ok {
		t.Error("a nil pgPending holds records")
	}
	none.folded(1)
}

// TestFoldFromPending folds the same appends into PostgreSQL's peer
// summaries twice, once from the leaves the appending process holds (the
// stored copies changed, so that reading them back would show) and once
// read back from the database: the summaries are the same.
func TestFoldFromPending(t *testing.T) {
	var got [2][]evidence.Peer
	for i, fromMemory := range []bool{true, false} {
		s := openPGTemp(t, newPGDatabase(t), "folds")
		pg := s.b.(*pgStore)
		if !fromMemory {
			pg.pending = nil
		}
		for b := range 4 {
			batch := make([]evidence.Observation, 500)
			for j := range batch {
				batch[j] = obs(b*500 + j)
				batch[j].Client = string(rune('a'+b)) + "\xff" // invalid UTF-8, as the network may send
			}
			if _, err := s.AppendObservations(batch); err != nil {
				t.Fatal(err)
			}
		}
		if fromMemory {
			if _, ok := pg.pending.span(0, 2000); !ok {
				t.Fatal("the appending process does not hold its leaves")
			}
			// Change the stored leaves behind the process's back: only a
			// fold from the leaves it holds gives the summaries of what it
			// appended, so the comparison below fails if the fold reads
			// them back.
			if _, err := pg.pool.Exec(context.Background(), `UPDATE log_records SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), '"port":6881', '"port":6882'), 'UTF8')`); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if got[i], err = s.Peers(0); err != nil || len(got[i]) == 0 {
			t.Fatalf("peers: %v, %v", got[i], err)
		}
		if fromMemory {
			if _, ok := pg.pending.span(0, 1); ok {
				t.Error("leaves folded are still held")
			}
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("summaries folded from memory:\n%+v\nread back:\n%+v", got[0], got[1])
	}
}
