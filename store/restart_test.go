package store

import (
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/pgtest"
)

// TestServerRestartLosesNothing appends from two sensors while the
// PostgreSQL server restarts (every connection cut): each append that
// returned is in the log once, indexes stay contiguous, and the trees
// and summaries hold every record.
func TestServerRestartLosesNothing(t *testing.T) {
	u, restart := pgtest.Cluster(t)
	const batches, batch = 60, 50
	stores := make([]*Store, 2)
	for i, name := range []string{"east", "west"} {
		dir := t.TempDir()
		s, err := Open(u, &Options{Sensor: name, KeyPath: filepath.Join(dir, "key"), CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	progress := make(chan int, 2*batches)
	errs := make(chan error, 2)
	for _, s := range stores {
		go func() {
			for i := 0; i < batches; i++ {
				b := make([]evidence.Observation, batch)
				for j := range b {
					b[j] = obs(i*batch + j)
				}
				first, err := s.AppendObservations(b)
				if err == nil && first != int64(i*batch) {
					t.Errorf("%s: batch %d appended at %d, want %d", s.Sensor().Name, i, first, i*batch)
				}
				if err != nil {
					errs <- err
					return
				}
				progress <- i
			}
			errs <- nil
		}()
	}
	// Restart once both are under way: after the tenth committed batch.
	for n := 0; n < 10; n++ {
		select {
		case <-progress:
		case err := <-errs:
			t.Fatalf("append before the restart: %v", err)
		}
	}
	restart()
	for done := 0; done < 2; {
		select {
		case <-progress:
		case err := <-errs:
			if err != nil {
				t.Fatalf("append across the restart: %v", err)
			}
			done++
		}
	}
	total := 0
	for _, s := range stores {
		n, err := s.LogSize()
		if err != nil || n != batches*batch {
			t.Fatalf("%s: LogSize = %d, %v; want %d", s.Sensor().Name, n, err, batches*batch)
		}
		if _, err := tlog.TreeHash(n, s); err != nil {
			t.Fatalf("%s: %v", s.Sensor().Name, err)
		}
		problems, err := s.Check()
		if err != nil || len(problems) > 0 {
			t.Fatalf("Check = %v, %v", problems, err)
		}
	}
	peers, err := stores[0].Peers(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peers {
		total += p.Observations
	}
	if total != 2*batches*batch {
		t.Fatalf("summaries count %d observations, want %d", total, 2*batches*batch)
	}
}
