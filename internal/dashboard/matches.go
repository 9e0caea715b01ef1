package dashboard

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// MatchRow is one stored match with where its torrent or link was seen
// and, as context only, what trackers last claimed about its swarm.
type MatchRow struct {
	store.Match
	// Seen lists where the torrent or link was seen: the source of the
	// match, of the torrent's first sighting, and every kept sighting
	// (index pages, feeds, Torznab results). DHT samples are not kept one
	// by one; a torrent first seen in one says so.
	Seen []Seen `json:"seen"`
	// TrackerClaims are the latest scrape answers of the torrent's
	// trackers: what they claim about the swarm's size. They are not
	// observations and prove nothing about any host.
	TrackerClaims []TrackerClaim `json:"tracker_claims,omitempty"`
}

// Seen is one place a torrent or link was seen.
type Seen struct {
	// Source is a crawler source ("web", "rss", "torznab", "dht-sample",
	// ...), "file" for a file given to `leakhunt match`, or what the
	// record says.
	Source string `json:"source"`
	// URL is the page or feed, when there is one.
	URL string `json:"url,omitempty"`
	// Link is the magnet, ed2k or .torrent link as found, when kept.
	Link string `json:"link,omitempty"`
	// Name is the name the page gave it (data, not proof).
	Name string    `json:"name,omitempty"`
	Time time.Time `json:"time,omitzero"`
}

// TrackerClaim is one tracker's latest scrape of a torrent.
type TrackerClaim struct {
	Tracker   string    `json:"tracker"`
	Time      time.Time `json:"time"`
	Seeders   int       `json:"seeders"`
	Leechers  int       `json:"leechers"`
	Completed int       `json:"completed"`
	Error     string    `json:"error,omitempty"`
}

// maxSeen bounds the places listed per match.
const maxSeen = 20

// Matches lists every stored match, proven ones first, each with where it
// was seen and its trackers' latest claims. It reads the sightings once.
func Matches(s *store.Store) ([]MatchRow, error) {
	ms, err := s.Matches()
	if err != nil {
		return nil, err
	}
	sightings, err := s.Sightings(fingerprint.InfoHash{})
	if err != nil {
		return nil, err
	}
	byIH := map[fingerprint.InfoHash][]crawler.Sighting{}
	for _, sg := range sightings {
		if !sg.InfoHash.IsZero() {
			byIH[sg.InfoHash] = append(byIH[sg.InfoHash], sg)
		}
	}
	torrents := map[fingerprint.InfoHash]store.Torrent{}
	claims := map[fingerprint.InfoHash][]TrackerClaim{}
	out := make([]MatchRow, 0, len(ms))
	for _, m := range ms {
		row := MatchRow{Match: m, Seen: []Seen{sourceSeen(m.Source, m.Time)}}
		if ih := m.InfoHash; !ih.IsZero() {
			t, ok := torrents[ih]
			if !ok {
				t, _ = s.Torrent(ih) // a link's infohash may have no torrent record
				torrents[ih] = t
				if claims[ih], err = trackerClaims(s, ih); err != nil {
					return nil, err
				}
			}
			if t.Source != "" {
				row.Seen = append(row.Seen, sourceSeen(t.Source, t.FirstSeen))
			}
			for _, sg := range byIH[ih] {
				row.Seen = append(row.Seen, Seen{Source: sg.Source, URL: sg.URL, Link: sg.Link, Name: sg.Name, Time: sg.Time})
			}
			row.TrackerClaims = claims[ih]
		}
		row.Seen = dedupeSeen(row.Seen)
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(a, b MatchRow) int {
		return cmp.Compare(verdictRank(a.Verdict), verdictRank(b.Verdict))
	})
	return out, nil
}

func verdictRank(v string) int {
	switch v {
	case fingerprint.VerdictProven:
		return 0
	case fingerprint.VerdictLead:
		return 2
	}
	return 1
}

// sourceSeen reads a recorded source ("web:URL", "file:PATH",
// "dht-sample").
func sourceSeen(src string, t time.Time) Seen {
	kind, rest, ok := strings.Cut(src, ":")
	if ok && (strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "//")) {
		return Seen{Source: kind, URL: rest, Time: t}
	}
	if ok && kind == "file" {
		return Seen{Source: kind, Name: rest, Time: t}
	}
	return Seen{Source: src, Time: t}
}

// dedupeSeen keeps the first of each place, at most maxSeen.
func dedupeSeen(in []Seen) []Seen {
	out := in[:0]
	for _, s := range in {
		dup := slices.ContainsFunc(out, func(o Seen) bool { return o.Source == s.Source && o.URL == s.URL && o.Link == s.Link })
		if !dup && s.Source != "" && len(out) < maxSeen {
			out = append(out, s)
		}
	}
	return out
}

func trackerClaims(s *store.Store, ih fingerprint.InfoHash) ([]TrackerClaim, error) {
	ss, err := s.Scrapes(ih)
	if err != nil {
		return nil, err
	}
	var out []TrackerClaim
	for _, sc := range ss {
		out = append(out, TrackerClaim{Tracker: sc.Tracker, Time: sc.Time, Seeders: sc.Seeders, Leechers: sc.Leechers,
			Completed: sc.Completed, Error: sc.Error})
	}
	return out, nil
}

// matchCache keeps the match rows for a few seconds: pages and polling
// clients do not read every sighting on every request.
type matchCache struct {
	mu   sync.Mutex
	at   time.Time
	rows []MatchRow
}

// matchesTTL is how long the rows are served before they are read again.
const matchesTTL = 3 * time.Second

func (c *matchCache) get(s *store.Store) ([]MatchRow, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows != nil && time.Since(c.at) < matchesTTL {
		return c.rows, nil
	}
	rows, err := Matches(s)
	if err != nil {
		return nil, err
	}
	c.rows, c.at = rows, time.Now()
	return rows, nil
}
