package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/leakhunt/leakhunt/store"
)

// peerKey identifies one peer of one torrent, as the store does.
type peerKey struct {
	InfoHash string
	IP       string
	Port     int
}

// maxProving is how many log indexes a letter cites per host; the annex
// has all of them.
const maxProving = 8

// peerAgg is what one walk of the log learns of one peer. Its size does
// not grow with the peer's number of observations.
type peerAgg struct {
	key          peerKey
	first, last  time.Time
	level        int
	count        int
	levelCount   [6]int
	proving      []int64 // first indexes at the current top level
	provingN     int
	verified     []int
	peerID       string
	client       string
	transport    string
	document     string
	unsynced     int
	maxOffset    time.Duration
	offsetsKnown int
}

// collection is the result of one walk over the log.
type collection struct {
	peers map[peerKey]*peerAgg
	// perDay counts observations per UTC day: all, and at or above the
	// report's level.
	perDay map[string]*[2]int
	total  int64
}

// collect walks log records [0, size) once, keeping per-peer aggregates.
// progress, if set, is called every 4096 records with the count read.
func collect(s *store.Store, size int64, minLevel int, progress func(done, total int64)) (*collection, error) {
	c := &collection{peers: map[peerKey]*peerAgg{}, perDay: map[string]*[2]int{}}
	var o store.Observation
	err := s.ForEachLeaf(0, func(n int64, leaf []byte) error {
		if n >= size {
			return errStopWalk
		}
		o = store.Observation{}
		if err := json.Unmarshal(leaf, &o); err != nil {
			return fmt.Errorf("log record %d: %w: run 'leakhunt verify'", n, store.ErrCorrupt)
		}
		c.total++
		c.add(n, &o, minLevel)
		if progress != nil && (c.total%4096 == 0 || c.total == size) {
			progress(c.total, size)
		}
		return nil
	})
	if err != nil && err != errStopWalk {
		return nil, err
	}
	if c.total != size {
		return nil, fmt.Errorf("evidence log: %d records read, checkpoint covers %d: %w", c.total, size, store.ErrCorrupt)
	}
	return c, nil
}

type stopWalk struct{}

func (stopWalk) Error() string { return "stop" }

var errStopWalk error = stopWalk{}

func (c *collection) add(n int64, o *store.Observation, minLevel int) {
	k := peerKey{o.InfoHash, o.IP, o.Port}
	p := c.peers[k]
	if p == nil {
		p = &peerAgg{key: k, level: -1}
		c.peers[k] = p
	}
	t := o.Time.UTC()
	if p.first.IsZero() || t.Before(p.first) {
		p.first = t
	}
	if t.After(p.last) {
		p.last = t
	}
	lvl := min(max(o.Level, 0), 5)
	p.count++
	p.levelCount[lvl]++
	switch {
	case lvl > p.level:
		p.level = lvl
		p.proving = append(p.proving[:0], n)
		p.provingN = 1
	case lvl == p.level:
		if len(p.proving) < maxProving {
			p.proving = append(p.proving, n)
		}
		p.provingN++
	}
	if len(o.PiecesVerified) > 0 && len(p.verified) < 1024 {
		p.verified = append(p.verified, o.PiecesVerified...)
		slices.Sort(p.verified)
		p.verified = slices.Compact(p.verified)
		if len(p.verified) > 1024 {
			p.verified = p.verified[:1024]
		}
	}
	if o.PeerID != "" {
		p.peerID = o.PeerID
	}
	if o.Client != "" {
		p.client = o.Client
	}
	if o.Transport != "" {
		p.transport = o.Transport
	}
	if o.Document != "" {
		p.document = o.Document
	}
	if d, err := time.ParseDuration(o.ClockOffset); err == nil {
		p.offsetsKnown++
		p.maxOffset = max(p.maxOffset, d.Abs())
	} else {
		p.unsynced++
	}
	day := t.Format("2006-01-02")
	cnt := c.perDay[day]
	if cnt == nil {
		if len(c.perDay) >= 100_000 {
			return
		}
		cnt = &[2]int{}
		c.perDay[day] = cnt
	}
	cnt[0]++
	if lvl >= minLevel {
		cnt[1]++
	}
}
