package store

import (
	"encoding/json"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Scrape is what one tracker's scrape said of a torrent: how big the swarm
// says it is. It is context beside what was observed, never evidence.
type Scrape struct {
	Tracker   string    `json:"-"`
	Time      time.Time `json:"time"`
	Seeders   int       `json:"seeders"`
	Leechers  int       `json:"leechers"`
	Completed int       `json:"completed"`
	Error     string    `json:"error,omitempty"`
}

func scrapeKey(ih fingerprint.InfoHash) []byte { return []byte("scrape:" + ih.String()) }

// PutScrapes replaces a torrent's scrape records with the latest ones.
func (s *boltStore) PutScrapes(ih fingerprint.InfoHash, ss []Scrape) error {
	b, err := encodeScrapes(ss)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketState).Put(scrapeKey(ih), b) })
}

// encodeScrapes encodes scrape records as stored: by tracker URL.
func encodeScrapes(ss []Scrape) ([]byte, error) {
	m := make(map[string]Scrape, len(ss))
	for _, sc := range ss {
		m[sc.Tracker] = sc
	}
	return json.Marshal(m)
}

// Scrapes returns a torrent's latest scrape records, by tracker URL.
func (s *boltStore) Scrapes(ih fingerprint.InfoHash) ([]Scrape, error) {
	var m map[string]Scrape
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketState).Get(scrapeKey(ih)); v != nil {
			return json.Unmarshal(v, &m)
		}
		return nil
	})
	return scrapeList(m), err
}

// scrapeList lists stored scrape records by tracker URL.
func scrapeList(m map[string]Scrape) []Scrape {
	out := make([]Scrape, 0, len(m))
	for u, sc := range m {
		sc.Tracker = u
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tracker < out[j].Tracker })
	return out
}
