package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// A bbolt store is one sensor, used by one process at a time: its claims
// and leases are always granted.

func (s *boltStore) sensor() Sensor {
	n, _ := s.LogSize()
	return Sensor{Name: s.sensorName, Addr: s.sensorAddr, LogSize: n}
}

func (s *boltStore) identity() (name, addr string) { return s.sensorName, s.sensorAddr }

func (s *boltStore) sensors() ([]Sensor, error) {
	n, err := s.LogSize()
	if err != nil {
		return nil, err
	}
	return []Sensor{{Name: s.sensorName, Addr: s.sensorAddr, LogSize: n}}, nil
}

func (s *boltStore) forSensor(name string) (backend, error) {
	return nil, fmt.Errorf("sensor %q: a bbolt store holds one sensor (%q): %w", name, s.sensorName, ErrNotFound)
}

func (s *boltStore) shared() bool { return false }

func (s *boltStore) claimFetch(fingerprint.InfoHash, time.Duration) (bool, error) { return true, nil }

func (s *boltStore) releaseFetch(fingerprint.InfoHash) error { return nil }

func (s *boltStore) leaseWatch(fingerprint.InfoHash, time.Duration) (bool, error) { return true, nil }

// copyTables maps the tables [CopyStore] moves as they are to their
// buckets.
var copyTables = map[string][]byte{
	tableTorrents: bucketTorrents, tableMatches: bucketMatches, tableWatch: bucketWatch, tableSeen: bucketSeen,
	tableSightings: bucketSightings, tableState: bucketState, tableBlobs: bucketBlobs, tableBySize: bucketTorBySize,
}

func (s *boltStore) exportRows(table string, fn func(key, val []byte) error) error {
	name, ok := copyTables[table]
	if !ok {
		return fmt.Errorf("export: no table %q", table)
	}
	return pageRows(func(after []byte) (rows [][2][]byte, err error) {
		err = s.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(name).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(rows) < copyPage; k, v = c.Next() {
				rows = append(rows, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			}
			return nil
		})
		return rows, err
	}, fn)
}

func (s *boltStore) importRows(table string, rows [][2][]byte) error {
	name, ok := copyTables[table]
	if !ok {
		return fmt.Errorf("import: no table %q", table)
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(name)
		for _, r := range rows {
			if table == tableSightings {
				// Sightings are numbered by the bucket's own sequence.
				seq, err := b.NextSequence()
				if err != nil {
					return err
				}
				r[0] = u64(seq)
			}
			if err := b.Put(r[0], r[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// importLog appends records, exactly as they are, to the log, which must
// be at size records[0].N; the peer summaries are folded from them as
// appends fold them (written every flushEvery records).
func (s *boltStore) importLog(records []Record) error {
	if len(records) == 0 {
		return nil
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	err := s.update(func(tx *bolt.Tx) error {
		size, err := logSize(tx)
		if err != nil {
			return err
		}
		hb, ob := tx.Bucket(bucketLogHashes), tx.Bucket(bucketObs)
		for i, r := range records {
			if r.N != size+int64(i) {
				return fmt.Errorf("import record %d: the log is at %d", r.N, size+int64(i))
			}
			base := storedHashBase(r.N)
			for j, h := range r.Hashes {
				if err := hb.Put(u64(uint64(base+int64(j))), bytes.Clone(h[:])); err != nil {
					return err
				}
			}
			if err := ob.Put(u64(uint64(r.N)), bytes.Clone(r.Leaf)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyLogSize, u64(uint64(size+int64(len(records)))))
	})
	if err != nil {
		return err
	}
	obs := make([]evidence.Observation, len(records))
	for i, r := range records {
		if err := evidence.DecodeLeaf(r.Leaf, &obs[i]); err != nil {
			return fmt.Errorf("%w: log record %d: %v", ErrCorrupt, r.N, err)
		}
	}
	return s.fold(obs, records[0].N)
}

func (s *boltStore) importKeysAndCheckpoints(keys []keyRow, cps []checkpointRow) error {
	return s.update(func(tx *bolt.Tx) error {
		kb := tx.Bucket(bucketKeys)
		if k, _ := kb.Cursor().First(); k != nil && len(keys) > 0 {
			return fmt.Errorf("import keys: the destination has a key history already")
		}
		for _, k := range keys {
			seq, err := kb.NextSequence()
			if err != nil {
				return err
			}
			if err := kb.Put(u64(seq), k.raw); err != nil {
				return err
			}
		}
		cb := tx.Bucket(bucketCheckpoints)
		for _, c := range cps {
			if err := cb.Put(u64(uint64(c.size)), bytes.Clone(c.signed)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *boltStore) exportKeys() ([]keyRow, error) {
	var out []keyRow
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(_, v []byte) error {
			out = append(out, keyRow{raw: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}

func (s *boltStore) importDocument(d Document, src string) error {
	if err := s.copyDocument(d.SHA256, src); err != nil {
		return fmt.Errorf("import document %d: %w", d.ID, err)
	}
	return s.update(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		if docs.Get(u64(d.ID)) != nil {
			return fmt.Errorf("import document %d: the destination has a document with that id", d.ID)
		}
		if seq := docs.Sequence(); seq < d.ID {
			if err := docs.SetSequence(d.ID); err != nil {
				return err
			}
		}
		return putDocument(tx, &d)
	})
}
