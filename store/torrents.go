package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PutTorrent records a torrent. The first sighting wins for FirstSeen and
// Source; later calls fill in what was missing (info bytes, trackers).
// It reports whether the torrent was new.
func (s *Store) PutTorrent(t Torrent) (isNew bool, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTorrents)
		var old torrentValue
		if v := b.Get([]byte(t.InfoHash)); v != nil {
			if err := decode(v, &old); err != nil {
				return err
			}
			t.FirstSeen, t.Source = old.FirstSeen, old.Source
			if len(t.InfoBytes) == 0 {
				t.InfoBytes = old.InfoBytes
			}
			if len(t.Trackers) == 0 {
				t.Trackers = old.Trackers
			}
			if t.Name == "" {
				t.Name, t.Size, t.Files, t.InfoHashV2 = old.Name, old.Size, old.Files, old.InfoHashV2
			}
		} else {
			isNew = true
		}
		if t.FirstSeen.IsZero() {
			t.FirstSeen = time.Now().UTC()
		}
		v, err := encode(torrentValue{Torrent: t, InfoBytes: t.InfoBytes})
		if err != nil {
			return err
		}
		return b.Put([]byte(t.InfoHash), v)
	})
	return isNew, err
}

// torrentValue stores InfoBytes, which Torrent hides from JSON output.
type torrentValue struct {
	Torrent
	InfoBytes []byte `json:"info_bytes,omitempty"`
}

// Torrent returns the torrent with this infohash, or [ErrNotFound].
func (s *Store) Torrent(infohash string) (Torrent, error) {
	var tv torrentValue
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTorrents).Get([]byte(infohash))
		if v == nil {
			return fmt.Errorf("torrent %s: %w", infohash, ErrNotFound)
		}
		return decode(v, &tv)
	})
	tv.Torrent.InfoBytes = tv.InfoBytes
	return tv.Torrent, err
}

// matchKey orders matches by torrent; a torrent's file is named by its
// index (two files may display alike), a link's by its name.
func matchKey(m *Match) []byte {
	file := m.File
	if m.FileIndex >= 0 && m.InfoHash != "" {
		file = "#" + strconv.Itoa(m.FileIndex)
	}
	return []byte(m.InfoHash + "\x00" + m.Document + "\x00" + file + "\x00" + m.Method)
}

// PutMatch records a match; the same (torrent, document, file, method)
// again replaces the earlier record. It reports whether it was new.
func (s *Store) PutMatch(m Match) (isNew bool, err error) {
	if m.Time.IsZero() {
		m.Time = time.Now().UTC()
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMatches)
		k := matchKey(&m)
		isNew = b.Get(k) == nil
		v, err := encode(m)
		if err != nil {
			return err
		}
		return b.Put(k, v)
	})
	return isNew, err
}

// Matches lists every stored match, ordered by infohash.
func (s *Store) Matches() ([]Match, error) { return s.matches("") }

// MatchesFor lists the matches of one torrent.
func (s *Store) MatchesFor(infohash string) ([]Match, error) { return s.matches(infohash + "\x00") }

func (s *Store) matches(prefix string) ([]Match, error) {
	var out []Match
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMatches).Cursor()
		for k, v := c.Seek([]byte(prefix)); k != nil && string(k[:min(len(k), len(prefix))]) == prefix; k, v = c.Next() {
			var m Match
			if err := decode(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// WatchEntry is a torrent whose peers are harvested and probed.
type WatchEntry struct {
	InfoHash string    `json:"infohash"`
	Added    time.Time `json:"added"`
	// Reason is why it is watched ("match", "user").
	Reason string `json:"reason"`
}

// Watch adds a torrent to the watchlist; watching it again changes nothing.
func (s *Store) Watch(e WatchEntry) error {
	if e.Added.IsZero() {
		e.Added = time.Now().UTC()
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWatch)
		if b.Get([]byte(e.InfoHash)) != nil {
			return nil
		}
		v, err := encode(e)
		if err != nil {
			return err
		}
		return b.Put([]byte(e.InfoHash), v)
	})
}

// Watchlist lists the watched torrents.
func (s *Store) Watchlist() ([]WatchEntry, error) {
	var out []WatchEntry
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWatch).ForEach(func(_, v []byte) error {
			var e WatchEntry
			if err := decode(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// MarkSeen adds infohashes to the seen set in one transaction and returns
// those that were not in it before, in input order.
func (s *Store) MarkSeen(ihs [][20]byte) (fresh [][20]byte, err error) {
	now := u64(uint64(time.Now().Unix()))
	err = s.update(func(tx *bolt.Tx) error {
		fresh = fresh[:0]
		b := tx.Bucket(bucketSeen)
		for _, ih := range ihs {
			if b.Get(ih[:]) != nil {
				continue
			}
			if err := b.Put(bytes.Clone(ih[:]), now); err != nil {
				return err
			}
			fresh = append(fresh, ih)
		}
		return nil
	})
	return fresh, err
}

// ForEachSeen calls fn for every infohash in the seen set (used to fill an
// in-memory filter at start). It holds one read transaction while it runs,
// so fn must be quick.
func (s *Store) ForEachSeen(fn func(ih [20]byte)) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeen).ForEach(func(k, _ []byte) error {
			if len(k) == 20 {
				fn([20]byte(k))
			}
			return nil
		})
	})
}

// AddSightings appends L0 sightings in one transaction.
func (s *Store) AddSightings(ss []Sighting) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSightings)
		for _, sg := range ss {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			v, err := encode(sg)
			if err != nil {
				return err
			}
			if err := b.Put(u64(seq), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Sightings lists sightings of one infohash (all when infohash is empty),
// oldest first.
func (s *Store) Sightings(infohash string) ([]Sighting, error) {
	var out []Sighting
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSightings).ForEach(func(k, v []byte) error {
			var sg Sighting
			if err := decode(v, &sg); err != nil {
				return fmt.Errorf("sighting %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if infohash == "" || sg.InfoHash == infohash {
				out = append(out, sg)
			}
			return nil
		})
	})
	return out, err
}

// ParseInfohash decodes 40 hex digits.
func ParseInfohash(s string) ([20]byte, error) {
	var ih [20]byte
	if len(s) != 40 {
		return ih, fmt.Errorf("infohash %q: want 40 hex digits", s)
	}
	_, err := hex.Decode(ih[:], []byte(s))
	if err != nil {
		return ih, fmt.Errorf("infohash %q: %w", s, err)
	}
	return ih, nil
}
