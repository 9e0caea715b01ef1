package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/leakhunt/leakhunt/evidence"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// peerKey orders peers by subject (a torrent's infohash, or "ed2k:" and
// an ed2k hash: [evidence.Observation.Subject]), then address.
func peerKey(subject string, ip string, port int) []byte {
	return []byte(subject + "\x00" + ip + "\x00" + strconv.Itoa(port))
}

// AppendEvidence is [Store.AppendObservations] with the blobs the
// observations name by SHA-256 (redacted wire transcripts, match bases),
// written in the same transaction, before the observations: a committed
// observation never names a missing blob. Blobs are content-addressed, so
// one already stored is not written again.
func (s *boltStore) AppendEvidence(obs []evidence.Observation, blobs [][]byte) (first int64, err error) {
	leaves, err := leavesOf(obs)
	if err != nil {
		return 0, err
	}
	// One appender at a time, so summaries are folded in log order.
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	err = s.update(func(tx *bolt.Tx) error {
		if err := putBlobs(tx, blobs); err != nil {
			return err
		}
		first, err = appendLeaves(tx, leaves)
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := s.fold(obs, first); err != nil {
		return first, fmt.Errorf("peer summaries: %w", err)
	}
	return first, nil
}

// leavesOf normalizes observations (UTC times) and encodes their leaves.
func leavesOf(obs []evidence.Observation) ([][]byte, error) {
	leaves := make([][]byte, len(obs))
	for i := range obs {
		obs[i].Time = obs[i].Time.UTC()
		var err error
		if leaves[i], err = obs[i].Leaf(); err != nil {
			return nil, fmt.Errorf("encode observation: %w", err)
		}
	}
	return leaves, nil
}

// appendLeaves appends leaves to the log inside tx and returns the index
// of the first.
func appendLeaves(tx *bolt.Tx, leaves [][]byte) (int64, error) {
	size, err := logSize(tx)
	if err != nil {
		return 0, err
	}
	hashes := tx.Bucket(bucketLogHashes)
	hr := txHashReader{tx}
	obsB := tx.Bucket(bucketObs)
	// Append-only buckets: full pages, half the file and half the writes.
	hashes.FillPercent, obsB.FillPercent = 1.0, 1.0
	for i, leaf := range leaves {
		n := size + int64(i)
		stored, err := tlog.StoredHashes(n, leaf, hr)
		if err != nil {
			return 0, fmt.Errorf("log hashes for record %d: %w", n, err)
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range stored {
			if err := hashes.Put(u64(uint64(base+int64(j))), bytes.Clone(h[:])); err != nil {
				return 0, err
			}
		}
		if err := obsB.Put(u64(uint64(n)), leaf); err != nil {
			return 0, err
		}
	}
	return size, tx.Bucket(bucketMeta).Put(keyLogSize, u64(uint64(size+int64(len(leaves)))))
}

func logSize(tx *bolt.Tx) (int64, error) {
	v := tx.Bucket(bucketMeta).Get(keyLogSize)
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: bad log size", ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// LogSize is the number of observations in the evidence log.
func (s *boltStore) LogSize() (n int64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		n, err = logSize(tx)
		return err
	})
	return n, err
}

// txHashReader reads stored hashes inside a transaction, including those
// written earlier in the same one.
type txHashReader struct{ tx *bolt.Tx }

func (r txHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	b := r.tx.Bucket(bucketLogHashes)
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		v := b.Get(u64(uint64(idx)))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("%w: log hash %d missing", ErrCorrupt, idx)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

// ReadHashes implements tlog.HashReader over the stored log, each call in
// its own short read transaction.
func (s *boltStore) ReadHashes(indexes []int64) (out []tlog.Hash, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		out, err = txHashReader{tx}.ReadHashes(indexes)
		return err
	})
	return out, err
}

var _ tlog.HashReader = (*Store)(nil)

// Leaf returns the stored leaf bytes of log record n, exactly as appended.
func (s *boltStore) Leaf(n int64) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketObs).Get(u64(uint64(n)))
		if v == nil {
			return fmt.Errorf("log record %d: %w", n, ErrNotFound)
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// ForEachLeaf calls fn for log records from..end in order, reading in
// short transactions of at most 4096 records so that a long walk never
// pins the database. The leaf slice is valid only during the call.
func (s *boltStore) ForEachLeaf(from int64, fn func(n int64, leaf []byte) error) error {
	const page = 4096
	for {
		var batch [][]byte
		err := s.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketObs).Cursor()
			for k, v := c.Seek(u64(uint64(from))); k != nil && len(batch) < page; k, v = c.Next() {
				batch = append(batch, bytes.Clone(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, leaf := range batch {
			if err := fn(from+int64(i), leaf); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
		from += int64(len(batch))
	}
}

// Peers lists peer summaries at or above minLevel, ordered by torrent and
// address.
func (s *boltStore) Peers(minLevel evidence.Level) ([]evidence.Peer, error) {
	if err := s.flushForRead(); err != nil {
		return nil, err
	}
	var out []evidence.Peer
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPeers).ForEach(func(_, v []byte) error {
			var p evidence.Peer
			if err := decode(v, &p); err != nil {
				return err
			}
			if p.Level >= minLevel {
				out = append(out, p)
			}
			return nil
		})
	})
	return out, err
}

// SubjectObservations lists the log indexes of the observations of one
// peer of one subject ([evidence.Peer.Subject]): a torrent, or an ed2k
// file.
func (s *boltStore) SubjectObservations(subject string, ip string, port int) ([]int64, error) {
	if err := s.flushForRead(); err != nil {
		return nil, err
	}
	var out []int64
	prefix := append(peerKey(subject, ip, port), 0)
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPeerObs).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			if len(v)%8 != 0 {
				return fmt.Errorf("%w: peer index entry of %d bytes", ErrCorrupt, len(v))
			}
			for ; len(v) > 0; v = v[8:] {
				out = append(out, int64(binary.BigEndian.Uint64(v)))
			}
		}
		return nil
	})
	return out, err
}

// PutCheckpoint stores a signed checkpoint (a note) for a tree size, and
// when it was stored ([Store.LastCheckpoint]).
func (s *boltStore) PutCheckpoint(size int64, signed []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := putLastCheckpoint(tx, size); err != nil {
			return err
		}
		return tx.Bucket(bucketCheckpoints).Put(u64(uint64(size)), bytes.Clone(signed))
	})
}

// Checkpoints calls fn for every stored checkpoint, oldest first.
func (s *boltStore) Checkpoints(fn func(size int64, signed []byte) error) error {
	var sizes []int64
	var notes [][]byte
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCheckpoints).ForEach(func(k, v []byte) error {
			sizes = append(sizes, int64(binary.BigEndian.Uint64(k)))
			notes = append(notes, bytes.Clone(v))
			return nil
		})
	})
	if err != nil {
		return err
	}
	return eachCheckpoint(sizes, notes, fn)
}

// eachCheckpoint calls fn for each (size, note) pair read.
func eachCheckpoint(sizes []int64, notes [][]byte, fn func(size int64, signed []byte) error) error {
	for i := range sizes {
		if err := fn(sizes[i], notes[i]); err != nil {
			return err
		}
	}
	return nil
}

// PeersOfSubject lists the peer summaries of one subject
// ([evidence.Peer.Subject]): a torrent, or an ed2k file.
func (s *boltStore) PeersOfSubject(subject string) ([]evidence.Peer, error) {
	if err := s.flushForRead(); err != nil {
		return nil, err
	}
	var out []evidence.Peer
	prefix := []byte(subject + "\x00")
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPeers).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var p evidence.Peer
			if err := decode(v, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Record is one evidence-log record as stored: its index, its leaf bytes
// and its stored tree hashes (tlog's stored hashes for that record, leaf
// hash first; shorter when one is missing).
type Record struct {
	N      int64
	Leaf   []byte
	Hashes []tlog.Hash
}

// recordPage is how many records one read transaction of a log walk holds.
const recordPage = 4096

// ForEachRecordBatch is [Store.ForEachRecord] a batch (one read
// transaction's records, at most 4096) at a time. The batch is reused
// after fn returns.
func (s *boltStore) ForEachRecordBatch(from int64, fn func(batch []Record) error) error {
	batch := make([]Record, 0, recordPage)
	return pageRecords(from, func(from int64) ([]Record, error) {
		batch = batch[:0]
		err := s.view(func(tx *bolt.Tx) error {
			oc := tx.Bucket(bucketObs).Cursor()
			hc := tx.Bucket(bucketLogHashes).Cursor()
			next := int64(-1)
			var hk, hv []byte
			for k, v := oc.Seek(u64(uint64(from))); k != nil && len(batch) < recordPage; k, v = oc.Next() {
				if len(k) != 8 {
					return fmt.Errorf("%w: log record key of %d bytes", ErrCorrupt, len(k))
				}
				r := Record{N: int64(binary.BigEndian.Uint64(k)), Leaf: bytes.Clone(v)}
				if start := tlog.StoredHashIndex(0, r.N); start != next {
					next = start
					hk, hv = hc.Seek(u64(uint64(next)))
				}
				end := tlog.StoredHashIndex(0, r.N+1)
				r.Hashes = make([]tlog.Hash, 0, end-next)
				for ; next < end; next++ {
					if hk == nil || binary.BigEndian.Uint64(hk) != uint64(next) || len(hv) != tlog.HashSize {
						break
					}
					r.Hashes = append(r.Hashes, tlog.Hash(hv))
					hk, hv = hc.Next()
				}
				batch = append(batch, r)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return batch, nil
	}, fn)
}

// pageRecords calls fn for each batch read returns, from record from on,
// until a batch is short of recordPage records.
func pageRecords(from int64, read func(from int64) ([]Record, error), fn func(batch []Record) error) error {
	for {
		batch, err := read(from)
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(batch) < recordPage {
			return nil
		}
		from = batch[len(batch)-1].N + 1
	}
}

// Leaves returns the leaves of log records ns, read in one transaction.
func (s *boltStore) Leaves(ns []int64) ([][]byte, error) {
	out := make([][]byte, len(ns))
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketObs)
		for i, n := range ns {
			v := b.Get(u64(uint64(n)))
			if v == nil {
				return fmt.Errorf("log record %d: %w", n, ErrNotFound)
			}
			out[i] = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// putBlobs stores content-addressed blobs (key: their SHA-256) that are
// not stored yet.
func putBlobs(tx *bolt.Tx, blobs [][]byte) error {
	bb := tx.Bucket(bucketBlobs)
	for _, b := range blobs {
		sum := sha256.Sum256(b)
		if bb.Get(sum[:]) == nil {
			if err := bb.Put(sum[:], b); err != nil {
				return err
			}
		}
	}
	return nil
}

// Blobs returns the blobs stored under the given SHA-256 sums (hex), read
// in one transaction; a sum with no blob is left out of the map.
func (s *boltStore) Blobs(sums []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(sums))
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		for _, sum := range sums {
			k, err := hex.DecodeString(sum)
			if err != nil || len(k) != sha256.Size {
				continue
			}
			if v := b.Get(k); v != nil {
				out[sum] = bytes.Clone(v)
			}
		}
		return nil
	})
	return out, err
}
