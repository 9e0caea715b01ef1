package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Views for readers that keep their own copy of the store's state current
// (a dashboard): each returns what it read together with where to go on
// from, so that nothing is read twice or missed.

var keyLastCheckpoint = []byte("last_checkpoint") // size(8) unix nanoseconds(8)

// PeerSummaries returns every peer summary as last written, and the log
// size they cover: the summaries are exactly the fold of log records
// [0, through) by [evidence.Peer.Add]. A reader brings them up to date by
// folding the records from through on ([Store.ForEachLeaf]) the same way.
// Unlike [Store.Peers] it does not make the store write its pending
// summaries, so it costs a running hunt nothing; it holds one read
// transaction while it decodes them.
func (s *boltStore) PeerSummaries() (peers []evidence.Peer, through int64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyPeersThrough); len(v) == 8 {
			through = int64(binary.BigEndian.Uint64(v))
		}
		b := tx.Bucket(bucketPeers)
		peers = make([]evidence.Peer, 0, b.Stats().KeyN)
		return b.ForEach(func(_, v []byte) error {
			var p evidence.Peer
			if err := decode(v, &p); err != nil {
				return err
			}
			peers = append(peers, p)
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("peer summaries: %w", err)
	}
	return peers, through, nil
}

// indexFileSizes records, inside tx, that the torrent ih has files of
// these sizes.
func indexFileSizes(tx *bolt.Tx, ih fingerprint.InfoHash, sizes []int64) error {
	b := tx.Bucket(bucketTorBySize)
	for _, n := range sizes {
		if n <= 0 {
			continue
		}
		if err := b.Put(append(u64(uint64(n)), ih[:]...), nil); err != nil {
			return err
		}
	}
	return nil
}

// TorrentsWithFileSize lists the torrents recorded with a file of exactly
// size bytes (see [Torrent.FileSizes]): the only ones a document of that
// size can be proven to be in. Torrents recorded before the index existed
// are not listed.
func (s *boltStore) TorrentsWithFileSize(size int64) ([]fingerprint.InfoHash, error) {
	var out []fingerprint.InfoHash
	prefix := u64(uint64(size))
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTorBySize)
		if b == nil { // a store opened read-only before the index existed
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(k) == 8+len(fingerprint.InfoHash{}) {
				out = append(out, fingerprint.InfoHash(k[8:]))
			}
		}
		return nil
	})
	return out, err
}

func putLastCheckpoint(tx *bolt.Tx, size int64) error {
	v := binary.BigEndian.AppendUint64(u64(uint64(size)), uint64(time.Now().UnixNano()))
	return tx.Bucket(bucketMeta).Put(keyLastCheckpoint, v)
}

// LastCheckpoint returns the tree size of the checkpoint stored last and
// when it was stored; the time is zero for a checkpoint stored before
// times were kept, and size is -1 when there is none.
func (s *boltStore) LastCheckpoint() (size int64, at time.Time, err error) {
	size = -1
	err = s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyLastCheckpoint); len(v) == 16 {
			size = int64(binary.BigEndian.Uint64(v))
			at = time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC()
			return nil
		}
		if k, _ := tx.Bucket(bucketCheckpoints).Cursor().Last(); len(k) == 8 {
			size = int64(binary.BigEndian.Uint64(k))
		}
		return nil
	})
	return size, at, err
}
