package store

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tables that [CopyStore] moves row by row, their values as stored.
const (
	tableTorrents  = "torrents"
	tableMatches   = "matches"
	tableWatch     = "watchlist"
	tableSeen      = "seen"
	tableSightings = "sightings"
	tableState     = "state"
	tableBlobs     = "blobs"
	tableBySize    = "torrent_by_size" // file size(8) infohash(20) → nothing
)

var copyOrder = []string{tableBlobs, tableTorrents, tableBySize, tableMatches, tableWatch, tableSeen, tableSightings, tableState}

// keyRow is one entry of a key history as stored (encoded SigningKey).
type keyRow struct{ raw []byte }

// checkpointRow is one stored checkpoint.
type checkpointRow struct {
	size   int64
	signed []byte
}

// copyBackend moves a case between backends without re-encoding anything.
type copyBackend interface {
	exportRows(table string, fn func(key, val []byte) error) error
	importRows(table string, rows [][2][]byte) error
	importDocument(d Document, src string) error
	importLog(records []Record) error
	exportKeys() ([]keyRow, error)
	importKeysAndCheckpoints(keys []keyRow, cps []checkpointRow) error
}

// copyPage is how many rows one read of an exported table holds.
var copyPage = 4096 // a variable so that tests can page by a few rows

// pageRows calls fn for every row that page returns, a page at a time:
// page returns up to copyPage rows with keys after after (from the first
// when after is nil), in key order.
func pageRows(page func(after []byte) ([][2][]byte, error), fn func(key, val []byte) error) error {
	var after []byte
	for {
		rows, err := page(after)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r[0], r[1]); err != nil {
				return err
			}
		}
		if len(rows) < copyPage {
			return nil
		}
		after = rows[len(rows)-1][0]
	}
}

// storedHashBase is the index of the first stored hash of log record n.
func storedHashBase(n int64) int64 { return tlog.StoredHashIndex(0, n) }

// CopyProgress is called as a copy goes: what is being copied and how many
// of it so far.
type CopyProgress func(what string, done int64)

// CopyStore copies a case from one store to another (bbolt to PostgreSQL
// or back): the catalogue with its documents' bytes, torrents with their
// file-size index, matches, the watchlist, the seen set, sightings, crawl
// state, blobs, and the evidence log of from's own sensor (see [Store.ForSensor]) with its key
// history and checkpoints. Log leaves, stored hashes and signed
// checkpoints are moved byte for byte, so every signature made before the
// copy still verifies. The destination's log for that sensor must be
// empty. Peer summaries are folded again at the destination by the one
// rule ([evidence.Peer.Add]).
func CopyStore(from, to *Store, progress CopyProgress) error {
	if progress == nil {
		progress = func(string, int64) {}
	}
	if n, err := to.LogSize(); err != nil {
		return err
	} else if n != 0 {
		return fmt.Errorf("copy: sensor %q already has %d records at the destination: copy into a new store or another sensor", to.Sensor().Name, n)
	}
	if err := copyDocuments(from, to, progress); err != nil {
		return err
	}
	for _, table := range copyOrder {
		if err := copyTable(from, to, table, progress); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
	}
	if err := copyLog(from, to, progress); err != nil {
		return fmt.Errorf("copy evidence log: %w", err)
	}
	return nil
}

func copyDocuments(from, to *Store, progress CopyProgress) error {
	docs, err := from.Documents()
	if err != nil {
		return err
	}
	for i, d := range docs {
		if _, err := to.DocumentBySHA256(d.SHA256); err == nil {
			continue
		}
		f, err := from.OpenDocument(d.SHA256)
		if err != nil {
			return fmt.Errorf("copy document %d: %w", d.ID, err)
		}
		err = to.b.importDocument(d, f.Name())
		f.Close()
		if err != nil {
			return err
		}
		progress("documents", int64(i+1))
	}
	return nil
}

func copyTable(from, to *Store, table string, progress CopyProgress) error {
	const batch = 4096
	var rows [][2][]byte
	var n int64
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		err := to.b.importRows(table, rows)
		n += int64(len(rows))
		rows = rows[:0]
		progress(table, n)
		return err
	}
	err := from.b.exportRows(table, func(k, v []byte) error {
		rows = append(rows, [2][]byte{k, v})
		if len(rows) >= batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func copyLog(from, to *Store, progress CopyProgress) error {
	var n int64
	err := from.ForEachRecordBatch(0, func(batch []Record) error {
		cp := make([]Record, len(batch))
		for i, r := range batch {
			cp[i] = Record{N: r.N, Leaf: append([]byte(nil), r.Leaf...), Hashes: append([]tlog.Hash(nil), r.Hashes...)}
			if want := storedHashBase(r.N+1) - storedHashBase(r.N); int64(len(r.Hashes)) != want {
				return fmt.Errorf("record %d: %d stored hashes, want %d: run 'leakhunt verify' on the source", r.N, len(r.Hashes), want)
			}
		}
		if err := to.b.importLog(cp); err != nil {
			return err
		}
		n += int64(len(batch))
		progress("observations", n)
		return nil
	})
	if err != nil {
		return err
	}
	keys, err := from.b.exportKeys()
	if err != nil {
		return err
	}
	var cps []checkpointRow
	err = from.Checkpoints(func(size int64, signed []byte) error {
		cps = append(cps, checkpointRow{size, append([]byte(nil), signed...)})
		return nil
	})
	if err != nil {
		return err
	}
	return to.b.importKeysAndCheckpoints(keys, cps)
}
