package store

import (
	"fmt"

	"github.com/leakhunt/leakhunt/evidence"
	bolt "go.etcd.io/bbolt"
)

// AddSigningKey registers k as the store's signing key: it appends note
// (an observation with Source [SourceKey]) to the evidence log and the key
// to the key history in one transaction, so that the change is part of the
// signed log. k.Record is set to the note's log index.
func (s *boltStore) AddSigningKey(k evidence.SigningKey, note evidence.Observation) (evidence.SigningKey, error) {
	if note.Source != evidence.SourceKey {
		return k, fmt.Errorf("key record: source %q, want %q", note.Source, evidence.SourceKey)
	}
	leaves, err := leavesOf([]evidence.Observation{note})
	if err != nil {
		return k, err
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	err = s.update(func(tx *bolt.Tx) error {
		if k.Record, err = appendLeaves(tx, leaves); err != nil {
			return err
		}
		kb := tx.Bucket(bucketKeys)
		seq, err := kb.NextSequence()
		if err != nil {
			return err
		}
		v, err := encode(k)
		if err != nil {
			return err
		}
		return kb.Put(u64(seq), v)
	})
	if err != nil {
		return k, fmt.Errorf("register signing key: %w", err)
	}
	// Key records fold into no peer summary, but the summaries' coverage
	// must move past them.
	if err := s.fold([]evidence.Observation{note}, k.Record); err != nil {
		return k, fmt.Errorf("peer summaries: %w", err)
	}
	return k, nil
}

// SigningKeys returns the key history, oldest first.
func (s *boltStore) SigningKeys() ([]evidence.SigningKey, error) {
	var out []evidence.SigningKey
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(_, v []byte) error {
			var k evidence.SigningKey
			if err := decode(v, &k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	return out, err
}

// HasCheckpoints reports whether any checkpoint was ever signed.
func (s *boltStore) HasCheckpoints() (bool, error) {
	var has bool
	err := s.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketCheckpoints).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}
