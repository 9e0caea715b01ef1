package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	bolt "go.etcd.io/bbolt"
)

// PutTorrent records a torrent. The first sighting wins for FirstSeen and
// Source; later calls fill in what was missing (info bytes, trackers).
// It reports whether the torrent was new.
func (s *boltStore) PutTorrent(t Torrent) (isNew bool, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTorrents)
		var old torrentValue
		if v := b.Get([]byte(t.InfoHash.String())); v != nil {
			if err := decode(v, &old); err != nil {
				return err
			}
			mergeTorrent(&t, &old)
		} else {
			isNew = true
		}
		v, err := encodeTorrent(&t)
		if err != nil {
			return err
		}
		if err := indexFileSizes(tx, t.InfoHash, t.FileSizes); err != nil {
			return err
		}
		return b.Put([]byte(t.InfoHash.String()), v)
	})
	return isNew, err
}

// mergeTorrent keeps what the stored record old knew that t does not:
// the first sighting wins for FirstSeen and Source, and missing info bytes,
// trackers and file details are filled in.
func mergeTorrent(t *Torrent, old *torrentValue) {
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
}

// encodeTorrent encodes a torrent's stored value, dating a new one.
func encodeTorrent(t *Torrent) ([]byte, error) {
	if t.FirstSeen.IsZero() {
		t.FirstSeen = time.Now().UTC()
	}
	return encode(torrentValue{Torrent: *t, InfoBytes: t.InfoBytes})
}

// torrentValue stores InfoBytes, which Torrent hides from JSON output.
type torrentValue struct {
	Torrent
	InfoBytes []byte `json:"info_bytes,omitempty"`
}

// Torrent returns the torrent with this infohash, or [ErrNotFound].
func (s *boltStore) Torrent(infohash fingerprint.InfoHash) (Torrent, error) {
	var tv torrentValue
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTorrents).Get([]byte(infohash.String()))
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
	if m.FileIndex >= 0 && !m.InfoHash.IsZero() {
		file = "#" + strconv.Itoa(m.FileIndex)
	}
	return []byte(m.InfoHash.String() + "\x00" + m.Document + "\x00" + file + "\x00" + m.Method)
}

// PutMatch records a match; the same (torrent, document, file, method)
// again replaces the earlier record. It reports whether it was new.
func (s *boltStore) PutMatch(m Match) (isNew bool, err error) {
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
func (s *boltStore) Matches() ([]Match, error) { return s.matches("") }

// MatchesFor lists the matches of one torrent.
func (s *boltStore) MatchesFor(infohash fingerprint.InfoHash) ([]Match, error) {
	return s.matches(infohash.String() + "\x00")
}

func (s *boltStore) matches(prefix string) ([]Match, error) {
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
	InfoHash fingerprint.InfoHash `json:"infohash"`
	Added    time.Time            `json:"added"`
	// Reason is why it is watched ("match", "user").
	Reason string `json:"reason"`
}

// Watch adds a torrent to the watchlist; watching it again changes nothing.
func (s *boltStore) Watch(e WatchEntry) error {
	if e.Added.IsZero() {
		e.Added = time.Now().UTC()
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWatch)
		if b.Get([]byte(e.InfoHash.String())) != nil {
			return nil
		}
		v, err := encode(e)
		if err != nil {
			return err
		}
		return b.Put([]byte(e.InfoHash.String()), v)
	})
}

// Watchlist lists the watched torrents.
func (s *boltStore) Watchlist() ([]WatchEntry, error) {
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
func (s *boltStore) MarkSeen(ihs []fingerprint.InfoHash) (fresh []fingerprint.InfoHash, err error) {
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
func (s *boltStore) ForEachSeen(fn func(ih fingerprint.InfoHash)) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeen).ForEach(func(k, _ []byte) error {
			if len(k) == 20 {
				fn(fingerprint.InfoHash(k))
			}
			return nil
		})
	})
}

// AddSightings appends L0 sightings in one transaction.
func (s *boltStore) AddSightings(ss []crawler.Sighting) error {
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

// Sightings lists sightings of one infohash (all when infohash is zero),
// oldest first.
func (s *boltStore) Sightings(infohash fingerprint.InfoHash) ([]crawler.Sighting, error) {
	var out []crawler.Sighting
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSightings).ForEach(func(k, v []byte) error {
			var sg crawler.Sighting
			if err := decode(v, &sg); err != nil {
				return fmt.Errorf("sighting %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if infohash.IsZero() || sg.InfoHash == infohash {
				out = append(out, sg)
			}
			return nil
		})
	})
	return out, err
}
