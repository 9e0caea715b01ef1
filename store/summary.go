package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/leakhunt/leakhunt/evidence"
	bolt "go.etcd.io/bbolt"
)

// Peer summaries are derived from the evidence log. AppendObservations
// folds each committed observation into pending summaries in memory;
// flushSummaries writes them, with the per-peer index entries, in one
// transaction together with the log size they cover (keyPeersThrough).
// Large flushes amortize the cost of the summary and index buckets, whose
// keys (by peer) are not append-ordered. Readers flush first, so they
// always see every committed observation; Open replays what a crash left
// unflushed.

// flushEvery is how many folded observations trigger a flush.
const flushEvery = 50_000

// maxPeerCache bounds the flushed summaries kept decoded in memory.
const maxPeerCache = 200_000

var keyPeersThrough = []byte("peers_through")

type pendingPeer struct {
	p   evidence.Peer
	idx []int64 // log indexes not yet in the per-peer index
}

// fold adds observations first.. (already committed) to the pending
// summaries, flushing when enough are waiting.
func (s *boltStore) fold(obs []evidence.Observation, first int64) error {
	s.sumMu.Lock()
	defer s.sumMu.Unlock()
	for i := range obs {
		if err := s.foldOne(&obs[i], first+int64(i)); err != nil {
			return err
		}
	}
	s.pendingThrough = first + int64(len(obs))
	if s.pendingCount >= flushEvery {
		return s.flushLocked()
	}
	return nil
}

func (s *boltStore) foldOne(o *evidence.Observation, n int64) error {
	if !o.NamesPeer() {
		return nil
	}
	key := string(peerKey(o.Subject(), o.IP, o.Port))
	pp := s.pending[key]
	if pp == nil {
		pp = &pendingPeer{}
		if c, ok := s.peerCache[key]; ok {
			pp.p = *c
		} else if err := s.view(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bucketPeers).Get([]byte(key)); v != nil {
				return decode(v, &pp.p)
			}
			return nil
		}); err != nil {
			return err
		}
		pp.p.PiecesVerified = slices.Clone(pp.p.PiecesVerified)
		pp.p.PiecesFailed = slices.Clone(pp.p.PiecesFailed)
		if s.pending == nil {
			s.pending = map[string]*pendingPeer{}
		}
		s.pending[key] = pp
	}
	pp.p.Add(o)
	pp.idx = append(pp.idx, n)
	s.pendingCount++
	return nil
}

// flushSummaries writes the pending summaries. Safe for concurrent use.
func (s *boltStore) flushSummaries() error {
	s.sumMu.Lock()
	defer s.sumMu.Unlock()
	return s.flushLocked()
}

func (s *boltStore) flushLocked() error {
	if len(s.pending) == 0 {
		return nil
	}
	keys := make([]string, 0, len(s.pending))
	for k := range s.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys) // sequential inserts within the transaction
	err := s.update(func(tx *bolt.Tx) error {
		pb, ib := tx.Bucket(bucketPeers), tx.Bucket(bucketPeerObs)
		for _, k := range keys {
			pp := s.pending[k]
			v, err := encode(&pp.p)
			if err != nil {
				return err
			}
			if err := pb.Put([]byte(k), v); err != nil {
				return err
			}
			// One index entry per peer per flush: the key ends with the
			// first log index, the value packs them all (8 bytes each).
			if len(pp.idx) > 0 {
				packed := make([]byte, 0, 8*len(pp.idx))
				for _, n := range pp.idx {
					packed = binary.BigEndian.AppendUint64(packed, uint64(n))
				}
				if err := ib.Put(append(append([]byte(k), 0), u64(uint64(pp.idx[0]))...), packed); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keyPeersThrough, u64(uint64(s.pendingThrough)))
	})
	if err != nil {
		return err
	}
	if s.peerCache == nil || len(s.peerCache)+len(s.pending) > maxPeerCache {
		s.peerCache = make(map[string]*evidence.Peer, len(s.pending))
	}
	for k, pp := range s.pending {
		p := pp.p
		s.peerCache[k] = &p
	}
	s.pending, s.pendingCount = nil, 0
	return nil
}

// replaySummaries folds the log records that the flushed summaries do not
// cover (left by a crash between an append and a flush), then flushes.
func (s *boltStore) replaySummaries() error {
	var through, size int64
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		if size, err = logSize(tx); err != nil {
			return err
		}
		if v := tx.Bucket(bucketMeta).Get(keyPeersThrough); len(v) == 8 {
			through = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil || through >= size {
		return err
	}
	s.sumMu.Lock()
	defer s.sumMu.Unlock()
	err = s.ForEachLeaf(through, func(n int64, leaf []byte) error {
		var o evidence.Observation
		if err := evidence.DecodeLeaf(leaf, &o); err != nil {
			return fmt.Errorf("%w: log record %d: %v", ErrCorrupt, n, err)
		}
		return s.foldOne(&o, n)
	})
	if err != nil {
		return fmt.Errorf("replay peer summaries from record %d: %w", through, err)
	}
	s.pendingThrough = size
	return s.flushLocked()
}

// flushForRead makes the summaries current before a read.
func (s *boltStore) flushForRead() error {
	if s.db.IsReadOnly() {
		return nil
	}
	return s.flushSummaries()
}
