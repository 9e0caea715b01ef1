package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
)

// Each sensor's evidence log in PostgreSQL: log_records holds record n's
// leaf and its tlog stored hashes (leaf hash first, concatenated), so a
// record and its hashes are written and read together. The sensor row's
// log_size is locked (FOR UPDATE) by an append, which keeps indexes
// contiguous whoever appends.

// edgeIndexes are the stored-hash indexes of the complete subtrees that
// make up a tree of size n: all that appending record n needs to read.
func edgeIndexes(n int64) []int64 {
	var out []int64
	var pos int64
	for level := 62; level >= 0; level-- {
		if n&(int64(1)<<level) != 0 {
			out = append(out, tlog.StoredHashIndex(level, pos>>level))
			pos += int64(1) << level
		}
	}
	return out
}

// recordOfHash returns the record whose append wrote stored hash idx, and
// the hash's place among that record's hashes.
func recordOfHash(idx int64) (n int64, off int) {
	level, k := tlog.SplitStoredHashIndex(idx)
	n = (k+1)<<level - 1
	return n, int(idx - tlog.StoredHashIndex(0, n))
}

// mapHashReader reads stored hashes from a map.
type mapHashReader map[int64]tlog.Hash

func (m mapHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := m[idx]
		if !ok {
			return nil, fmt.Errorf("%w: log hash %d missing", ErrCorrupt, idx)
		}
		out[i] = h
	}
	return out, nil
}

func (s *pgStore) AppendObservations(obs []evidence.Observation) (int64, error) {
	return s.AppendEvidence(obs, nil)
}

func (s *pgStore) AppendEvidence(obs []evidence.Observation, blobs [][]byte) (first int64, err error) {
	leaves, err := leavesOf(obs)
	if err != nil {
		return 0, err
	}
	first, err = s.appendLog(obs, leaves, func(ctx context.Context, tx pgx.Tx) error {
		return putBlobsPG(ctx, tx, blobs)
	})
	if err != nil {
		return 0, fmt.Errorf("append to the evidence log of sensor %q: %w", s.sensorName, err)
	}
	s.pending.add(first, leaves)
	if s.unfolded.Add(int64(len(obs))) >= foldEvery {
		s.unfolded.Store(0)
		if err := s.foldBehind(); err != nil {
			return first, fmt.Errorf("peer summaries: %w", err)
		}
	}
	return first, nil
}

// appendLog appends leaves (of obs) to the sensor's log in one
// transaction, with also run in it. A retry after a lost answer to COMMIT
// finds the batch's token and does not append it twice.
func (s *pgStore) appendLog(obs []evidence.Observation, leaves [][]byte, also func(context.Context, pgx.Tx) error) (first int64, err error) {
	if s.readOnly {
		return 0, ErrOtherSensor
	}
	if len(leaves) == 0 {
		return s.LogSize()
	}
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return 0, err
	}
	c := s.logs
	c.mu.Lock()
	defer c.mu.Unlock()
	var edge map[int64]tlog.Hash
	var size int64
	err = s.tx(func(ctx context.Context, tx pgx.Tx) error {
		edge = nil
		err := tx.QueryRow(ctx, `SELECT first FROM log_batches WHERE sensor = $1 AND token = $2`, s.sensorID, token).Scan(&first)
		if err == nil {
			return nil // committed by an attempt whose answer was lost
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT log_size FROM sensors WHERE id = $1 FOR UPDATE`, s.sensorID).Scan(&first); err != nil {
			return err
		}
		known, err := s.edgeAt(ctx, tx, first)
		if err != nil {
			return err
		}
		if edge, err = writeRecords(ctx, tx, s.sensorID, first, obs, leaves, known); err != nil {
			return err
		}
		if err := also(ctx, tx); err != nil {
			return err
		}
		size = first + int64(len(leaves))
		if _, err := tx.Exec(ctx, `UPDATE sensors SET log_size = $2 WHERE id = $1`, s.sensorID, size); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO log_batches (sensor, token, first) VALUES ($1, $2, $3)`, s.sensorID, token, first)
		return err
	})
	if err != nil {
		c.size = -1
		return 0, err
	}
	if edge == nil {
		c.size = -1
	} else {
		c.size, c.edge = size, edge
	}
	return first, nil
}

// edgeAt returns the edge hashes of the log at size, from the cache when
// it is of that size, else read in tx.
func (s *pgStore) edgeAt(ctx context.Context, tx pgx.Tx, size int64) (map[int64]tlog.Hash, error) {
	c := s.logs
	if c.size == size && c.edge != nil {
		return c.edge, nil
	}
	idx := edgeIndexes(size)
	hs, err := readHashes(ctx, tx, s.sensorID, idx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]tlog.Hash, len(idx))
	for i, x := range idx {
		m[x] = hs[i]
	}
	return m, nil
}

// writeRecords computes the stored hashes of leaves appended at first and
// copies the records in; it returns the edge of the new size.
func writeRecords(ctx context.Context, tx pgx.Tx, sensor int32, first int64, obs []evidence.Observation, leaves [][]byte, known map[int64]tlog.Hash) (map[int64]tlog.Hash, error) {
	hr := make(mapHashReader, len(known)+2*len(leaves))
	for k, v := range known {
		hr[k] = v
	}
	rows := make([][]any, len(leaves))
	for i, leaf := range leaves {
		n := first + int64(i)
		stored, err := tlog.StoredHashes(n, leaf, hr)
		if err != nil {
			return nil, fmt.Errorf("log hashes for record %d: %w", n, err)
		}
		base := tlog.StoredHashIndex(0, n)
		packed := make([]byte, 0, len(stored)*tlog.HashSize)
		for j, h := range stored {
			hr[base+int64(j)] = h
			packed = append(packed, h[:]...)
		}
		var peer []byte
		if obs[i].NamesPeer() {
			peer = peerKey(obs[i].Subject(), obs[i].IP, obs[i].Port)
		}
		rows[i] = []any{sensor, n, leaf, packed, peer}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"log_records"}, []string{"sensor", "n", "leaf", "hashes", "peer"},
		pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	edge := map[int64]tlog.Hash{}
	for _, idx := range edgeIndexes(first + int64(len(leaves))) {
		edge[idx] = hr[idx]
	}
	return edge, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readHashes reads stored hashes of a sensor's log by index.
func readHashes(ctx context.Context, q querier, sensor int32, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	recs := make([]int64, len(indexes))
	for i, idx := range indexes {
		recs[i], _ = recordOfHash(idx)
	}
	rows, err := q.Query(ctx, `SELECT n, hashes FROM log_records WHERE sensor = $1 AND n = ANY($2)`, sensor, recs)
	if err != nil {
		return nil, err
	}
	got := map[int64][]byte{}
	var n int64
	var hs []byte
	if _, err := pgx.ForEachRow(rows, []any{&n, &hs}, func() error {
		got[n] = hs
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		r, off := recordOfHash(idx)
		b := got[r]
		if len(b) < (off+1)*tlog.HashSize {
			return nil, fmt.Errorf("%w: log hash %d missing", ErrCorrupt, idx)
		}
		copy(out[i][:], b[off*tlog.HashSize:])
	}
	return out, nil
}

// foldPG folds the observations that name a peer into the shared peer
// summaries by the one rule ([evidence.Peer.Add]). The caller holds the
// fold lock, so no other transaction changes the summaries meanwhile.
func foldPG(ctx context.Context, tx pgx.Tx, obs []evidence.Observation) error {
	byKey := map[string][]int{}
	for i := range obs {
		if obs[i].NamesPeer() {
			k := string(peerKey(obs[i].Subject(), obs[i].IP, obs[i].Port))
			byKey[k] = append(byKey[k], i)
		}
	}
	if len(byKey) == 0 {
		return nil
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bkeys := make([][]byte, len(keys))
	for i, k := range keys {
		bkeys[i] = []byte(k)
	}
	rows, err := tx.Query(ctx, `SELECT k, value FROM peers WHERE k = ANY($1)`, bkeys)
	if err != nil {
		return err
	}
	old := make(map[string][]byte, len(keys))
	var k, v []byte
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		old[string(k)] = bytes.Clone(v)
		return nil
	}); err != nil {
		return err
	}
	ihs := make([]string, len(keys))
	vals := make([][]byte, len(keys))
	levels := make([]int16, len(keys))
	for i, key := range keys {
		var p evidence.Peer
		if v, ok := old[key]; ok {
			if err := decode(v, &p); err != nil {
				return err
			}
		}
		for _, j := range byKey[key] {
			p.Add(&obs[j])
		}
		if vals[i], err = encode(&p); err != nil {
			return err
		}
		ihs[i], levels[i] = obs[byKey[key][0]].Subject(), int16(p.Level)
	}
	_, err = tx.Exec(ctx, `INSERT INTO peers (k, infohash, level, value)
		SELECT * FROM unnest($1::bytea[], $2::text[], $3::int2[], $4::bytea[])
		ON CONFLICT (k) DO UPDATE SET value = EXCLUDED.value, level = EXCLUDED.level`, bkeys, ihs, levels, vals)
	return err
}

func (s *pgStore) LogSize() (n int64, err error) {
	err = s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT log_size FROM sensors WHERE id = $1`, s.sensorID).Scan(&n)
	})
	return n, err
}

func (s *pgStore) ReadHashes(indexes []int64) (out []tlog.Hash, err error) {
	err = s.do(func(ctx context.Context) error {
		out, err = readHashes(ctx, s.pool, s.sensorID, indexes)
		return err
	})
	return out, err
}

func (s *pgStore) Leaf(n int64) ([]byte, error) {
	out, err := s.Leaves([]int64{n})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *pgStore) Leaves(ns []int64) ([][]byte, error) {
	got := map[int64][]byte{}
	err := s.do(func(ctx context.Context) error {
		clear(got)
		rows, err := s.pool.Query(ctx, `SELECT n, leaf FROM log_records WHERE sensor = $1 AND n = ANY($2)`, s.sensorID, ns)
		if err != nil {
			return err
		}
		var n int64
		var leaf []byte
		_, err = pgx.ForEachRow(rows, []any{&n, &leaf}, func() error {
			got[n] = leaf
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ns))
	for i, n := range ns {
		leaf, ok := got[n]
		if !ok {
			return nil, fmt.Errorf("log record %d: %w", n, ErrNotFound)
		}
		out[i] = leaf
	}
	return out, nil
}

func (s *pgStore) ForEachLeaf(from int64, fn func(n int64, leaf []byte) error) error {
	return s.ForEachRecordBatch(from, func(batch []Record) error {
		for _, r := range batch {
			if err := fn(r.N, r.Leaf); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *pgStore) ForEachRecordBatch(from int64, fn func(batch []Record) error) error {
	batch := make([]Record, 0, recordPage)
	return pageRecords(from, func(from int64) ([]Record, error) {
		err := s.do(func(ctx context.Context) error {
			batch = batch[:0]
			rows, err := s.pool.Query(ctx, `SELECT n, leaf, hashes FROM log_records WHERE sensor = $1 AND n >= $2 ORDER BY n LIMIT $3`,
				s.sensorID, from, recordPage)
			if err != nil {
				return err
			}
			var r Record
			var hs []byte
			_, err = pgx.ForEachRow(rows, []any{&r.N, &r.Leaf, &hs}, func() error {
				r.Hashes = make([]tlog.Hash, len(hs)/tlog.HashSize)
				for i := range r.Hashes {
					copy(r.Hashes[i][:], hs[i*tlog.HashSize:])
				}
				batch = append(batch, r)
				return nil
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		return batch, nil
	}, fn)
}

func (s *pgStore) Peers(minLevel evidence.Level) ([]evidence.Peer, error) {
	if err := s.foldBehind(); err != nil {
		return nil, fmt.Errorf("peer summaries: %w", err)
	}
	return pgList[evidence.Peer](s, `SELECT value FROM peers WHERE level >= $1 ORDER BY k`, int16(minLevel))
}

func (s *pgStore) PeersOfSubject(subject string) ([]evidence.Peer, error) {
	if err := s.foldBehind(); err != nil {
		return nil, fmt.Errorf("peer summaries: %w", err)
	}
	return pgList[evidence.Peer](s, `SELECT value FROM peers WHERE infohash = $1 ORDER BY k`, subject)
}

func (s *pgStore) SubjectObservations(subject string, ip string, port int) (out []int64, err error) {
	err = s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT n FROM log_records WHERE peer = $1 AND sensor = $2 ORDER BY n`,
			peerKey(subject, ip, port), s.sensorID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	return out, err
}

func (s *pgStore) PutCheckpoint(size int64, signed []byte) error {
	if s.readOnly {
		return ErrOtherSensor
	}
	return s.do(func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO checkpoints (sensor, size, signed, stored) VALUES ($1, $2, $3, now())
			ON CONFLICT (sensor, size) DO UPDATE SET signed = EXCLUDED.signed, stored = EXCLUDED.stored`, s.sensorID, size, signed)
		return err
	})
}

func (s *pgStore) Checkpoints(fn func(size int64, signed []byte) error) error {
	var sizes []int64
	var notes [][]byte
	err := s.do(func(ctx context.Context) error {
		sizes, notes = sizes[:0], notes[:0]
		rows, err := s.pool.Query(ctx, `SELECT size, signed FROM checkpoints WHERE sensor = $1 ORDER BY size`, s.sensorID)
		if err != nil {
			return err
		}
		var n int64
		var b []byte
		_, err = pgx.ForEachRow(rows, []any{&n, &b}, func() error {
			sizes, notes = append(sizes, n), append(notes, b)
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}
	return eachCheckpoint(sizes, notes, fn)
}

func (s *pgStore) HasCheckpoints() (has bool, err error) {
	err = s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM checkpoints WHERE sensor = $1)`, s.sensorID).Scan(&has)
	})
	return has, err
}

func (s *pgStore) AddSigningKey(k evidence.SigningKey, note evidence.Observation) (evidence.SigningKey, error) {
	if note.Source != evidence.SourceKey {
		return k, fmt.Errorf("key record: source %q, want %q", note.Source, evidence.SourceKey)
	}
	obs := []evidence.Observation{note}
	leaves, err := leavesOf(obs)
	if err != nil {
		return k, err
	}
	// The key row is written with the record; its Record is the record's
	// index, known only inside the transaction.
	var first int64
	first, err = s.appendLog(obs, leaves, func(ctx context.Context, tx pgx.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT log_size FROM sensors WHERE id = $1`, s.sensorID).Scan(&n); err != nil {
			return err
		}
		kk := k
		kk.Record = n
		v, err := encode(kk)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO signing_keys (sensor, seq, value)
			SELECT $1, coalesce(max(seq), 0) + 1, $2 FROM signing_keys WHERE sensor = $1`, s.sensorID, v)
		return err
	})
	if err != nil {
		return k, fmt.Errorf("register signing key: %w", err)
	}
	k.Record = first
	return k, nil
}

func (s *pgStore) SigningKeys() ([]evidence.SigningKey, error) {
	return pgList[evidence.SigningKey](s, `SELECT value FROM signing_keys WHERE sensor = $1 ORDER BY seq`, s.sensorID)
}

func (s *pgStore) PeerSummaries() (peers []evidence.Peer, through int64, err error) {
	if err := s.foldBehind(); err != nil {
		return nil, 0, fmt.Errorf("peer summaries: %w", err)
	}
	if err := s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT peers_through FROM sensors WHERE id = $1`, s.sensorID).Scan(&through)
	}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, err
	}
	peers, err = pgList[evidence.Peer](s, `SELECT value FROM peers ORDER BY k`)
	return peers, through, err
}

func (s *pgStore) LastCheckpoint() (size int64, at time.Time, err error) {
	size = -1
	err = s.do(func(ctx context.Context) error {
		var stored *time.Time
		err := s.pool.QueryRow(ctx, `SELECT size, stored FROM checkpoints WHERE sensor = $1
			ORDER BY stored DESC NULLS LAST, size DESC LIMIT 1`, s.sensorID).Scan(&size, &stored)
		if errors.Is(err, pgx.ErrNoRows) {
			size = -1
			return nil
		}
		if stored != nil {
			at = stored.UTC()
		}
		return err
	})
	return size, at, err
}
