package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sources of the log records that name no peer.
const (
	// SourceKey records register a signing key: the first one of a store
	// and every later change.
	SourceKey = "key"
	// SourceClock records are clock measurements made between probe
	// rounds, so that each probe's time is bracketed by measurements in
	// the signed log.
	SourceClock = "clock"
)

// NamesPeer reports whether the record is about a peer (false for key and
// clock records).
func (o *Observation) NamesPeer() bool { return o.Source != SourceKey && o.Source != SourceClock }

// SigningKey is one key that signs the store's checkpoints, as registered
// in the store's key history.
type SigningKey struct {
	// Fingerprint is the key's fingerprint ("SHA256:…"), as published.
	Fingerprint string `json:"fingerprint"`
	// VerifierKey is the public key in golang.org/x/mod/sumdb/note form.
	VerifierKey string `json:"verifier_key"`
	// Record is the log index of the record registering the key; it signs
	// the checkpoints of the trees that hold that record, until the next
	// key's record.
	Record int64 `json:"record"`
	// Time is when the key was registered (UTC).
	Time time.Time `json:"time"`
	// Reason says why ("first key of this store", "--new-key: ...").
	Reason string `json:"reason"`
}

// AddSigningKey registers k as the store's signing key: it appends note
// (an observation with Source [SourceKey]) to the evidence log and the key
// to the key history in one transaction, so that the change is part of the
// signed log. k.Record is set to the note's log index.
func (s *Store) AddSigningKey(k SigningKey, note Observation) (SigningKey, error) {
	if note.Source != SourceKey {
		return k, fmt.Errorf("key record: source %q, want %q", note.Source, SourceKey)
	}
	leaves, err := leavesOf([]Observation{note})
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
	if err := s.fold([]Observation{note}, k.Record); err != nil {
		return k, fmt.Errorf("peer summaries: %w", err)
	}
	return k, nil
}

// SigningKeys returns the key history, oldest first.
func (s *Store) SigningKeys() ([]SigningKey, error) {
	var out []SigningKey
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(_, v []byte) error {
			var k SigningKey
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
func (s *Store) HasCheckpoints() (bool, error) {
	var has bool
	err := s.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketCheckpoints).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}
