package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// BenchmarkPGWriters appends observations of 10,000 hosts into PostgreSQL
// from 1, 2 and 4 sensors at once (each its own store and log, as
// separate hunters), in batches of 1,000, peer summaries included. It
// reports the total observations/s.
func BenchmarkPGWriters(b *testing.B) {
	for _, writers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			u := newPGDatabase(b)
			stores := make([]*Store, writers)
			for i := range stores {
				stores[i] = openPGTemp(b, u, fmt.Sprintf("bench-%d", i))
			}
			const size = 1000
			b.ResetTimer()
			var wg sync.WaitGroup
			for w, s := range stores {
				wg.Go(func() {
					batch := make([]evidence.Observation, size)
					for j := range batch {
						batch[j] = obs(j)
					}
					for i := w; i < b.N; i += writers {
						for j := range batch {
							h := (i*size + j) % 10_000
							batch[j].IP = fmt.Sprintf("10.0.%d.%d", h/256, h%256)
						}
						if _, err := s.AppendObservations(batch); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "obs/s")
		})
	}
}

// BenchmarkCopyStore copies a bbolt store of LEAKHUNT_BENCH_COPY_N
// observations (default 100,000) into PostgreSQL and back, reporting the
// seconds each way and those of folding the copied log into PostgreSQL's
// peer summaries (done at the first read of them).
func BenchmarkCopyStore(b *testing.B) {
	n := benchCopyN(b)
	src := openTemp(b)
	batch := make([]evidence.Observation, 5000)
	for j := range batch {
		batch[j] = obs(j)
	}
	for i := 0; i < n/len(batch); i++ {
		for j := range batch {
			h := (i*len(batch) + j) % 10_000
			batch[j].IP = fmt.Sprintf("10.0.%d.%d", h/256, h%256)
		}
		if _, err := src.AppendObservations(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pg := openPGTemp(b, newPGDatabase(b), "copied")
		t0 := time.Now()
		if err := CopyStore(src, pg, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s-to-pg")
		// The peer summaries fold behind, at the first read of them.
		t0 = time.Now()
		if _, err := pg.PeersOf(fingerprint.InfoHash{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s-fold-in-pg")
		back, err := Open(filepath.Join(b.TempDir(), "back.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if err := CopyStore(pg, back, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s-to-bbolt")
		back.Close()
	}
}

func benchCopyN(b *testing.B) int {
	n := 100_000
	if v := os.Getenv("LEAKHUNT_BENCH_COPY_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("LEAKHUNT_BENCH_COPY_N=%q: want a positive count", v)
		}
	}
	return n
}

// BenchmarkPGExportPages exports a file-size index of 400,000 rows from
// PostgreSQL page by page, as `store copy` reads every table, reporting
// rows/s.
func BenchmarkPGExportPages(b *testing.B) {
	s := openPGTemp(b, newPGDatabase(b), "export")
	pg := s.b.(*pgStore)
	const rows = 400_000
	if _, err := pg.pool.Exec(context.Background(), `INSERT INTO torrent_by_size (size, infohash)
		SELECT g, sha256(int8send(g)) FROM generate_series(1, $1) g`, rows); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := pg.exportRows(tableBySize, func(k, v []byte) error { n++; return nil }); err != nil || n != rows {
			b.Fatalf("%d rows exported: %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPGFold folds 49,000 observations of 10,000 hosts (appended in
// batches of 1,000, below the fold-every threshold) into PostgreSQL's peer
// summaries: from the leaves the appending process holds (held) and read
// back from the database (read-back), reporting seconds per fold.
func BenchmarkPGFold(b *testing.B) {
	for _, held := range []bool{true, false} {
		name := map[bool]string{true: "held", false: "read-back"}[held]
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				s := openPGTemp(b, newPGDatabase(b), "fold")
				if !held {
					s.b.(*pgStore).pending = nil
				}
				batch := make([]evidence.Observation, 1000)
				for j := range batch {
					batch[j] = obs(j)
				}
				for i := range 49 {
					for j := range batch {
						h := (i*len(batch) + j) % 10_000
						batch[j].IP = fmt.Sprintf("10.0.%d.%d", h/256, h%256)
					}
					if _, err := s.AppendObservations(batch); err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				if _, err := s.Peers(0); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/fold")
		})
	}
}
