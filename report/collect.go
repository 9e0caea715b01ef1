package report

import (
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// peerKey identifies one peer of one torrent, as the store does.
type peerKey struct {
	InfoHash fingerprint.InfoHash
	IP       string
	Port     int
	// Network and ED2K are the records' (empty and zero on BitTorrent).
	Network string
	ED2K    fingerprint.ED2KHash
}

// subject is the store's name for what the peer shares
// ([evidence.Peer.Subject]).
func (k peerKey) subject() string {
	o := evidence.Observation{InfoHash: k.InfoHash, Network: k.Network, ED2K: k.ED2K}
	return o.Subject()
}

// maxProving is how many log indexes evidence.json cites per peer; the
// annex has all of them.
const maxProving = 8

// noPeer marks, in collection.recPeer, a record that names no peer.
const noPeer = ^uint32(0)

// peerAgg is what one walk of the log learns of one peer. Its size does
// not grow with the peer's number of observations.
type peerAgg struct {
	key peerKey
	ord uint32 // index in collection.order
	out *peerOut
	// Peer is the summary every peer gets (evidence.Peer.Add: the same
	// rule as the store's).
	evidence.Peer
	levelCount [evidence.NumLevels]int
	proving    []recRef // first records at the current top level
	provingN   int
	// Rows are the communications a letter lists: records at or above
	// the report's level (and, with RequireClock, with a clock within the
	// limit). rowLevel is the highest level among them.
	rows          int
	rowLogs       map[int]bool // other sensors' logs (see recRef) with rows
	rowLevel      evidence.Level
	rowFirst      time.Time
	rowLast       time.Time
	rowsClockOver int // rows whose clock error is over the limit or unknown
	// legacy and rowsLegacy count the records (and rows) at L4 or above
	// made before the document bytes of verified pieces were counted.
	legacy, rowsLegacy int
	unsynced           int
	maxOffset          time.Duration
	offsetsKnown       int
}

// recRef names one record: its index in a log, and the log (ownLog, or
// 1+ the index of another sensor's log in run.sensors).
type recRef struct {
	log int
	n   int64
}

// ownLog is the reporting sensor's log in a recRef.
const ownLog = 0

// collection is the result of one walk over each log: the reporting
// sensor's, then every other sensor's of a shared store up to its latest
// signed checkpoint. A peer's aggregate spans every log.
type collection struct {
	peers map[peerKey]*peerAgg
	order []*peerAgg
	// recPeer is, per log and per record, the ordinal of its peer (noPeer
	// for key and clock records): 4 bytes a record, so that the proofs can
	// be written in log order without decoding the records again.
	recPeer [][]uint32
	// perDay counts observations per UTC day: all, and at or above the
	// report's level.
	perDay   map[string]*[2]int
	minLevel evidence.Level
	maxClock time.Duration
	strict   bool
}

// clockWithin reports whether a record's clock measurement bounds its
// time within max; records without a measurement (or older records with
// only an offset) are not.
func clockWithin(m *evidence.ClockMeasurement, max time.Duration) (bound time.Duration, known, ok bool) {
	if m == nil {
		return 0, false, false
	}
	b, known := m.ErrorBound()
	return b, known, known && b <= max
}

func newCollection(opt *Options) *collection {
	return &collection{peers: map[peerKey]*peerAgg{}, perDay: map[string]*[2]int{},
		minLevel: opt.MinLevel, maxClock: opt.MaxClockError, strict: opt.RequireClock}
}

// collect walks the records [0, size) of log (s's log) once: it checks
// each with v (hashes, key records, checkpoints) and adds the records
// [0, keep) to the per-peer aggregates. A page of records is decoded (by
// two goroutines) while the page before it is checked and added, in log
// order. progress, if set, is called after every page with the count read.
func (c *collection) collect(s *store.Store, log int, size, keep int64, v *evidence.LogVerifier, progress func(done, total int64)) error {
	for len(c.recPeer) <= log {
		c.recPeer = append(c.recPeer, nil)
	}
	c.recPeer[log] = make([]uint32, 0, keep)
	read := int64(0)
	// A page being decoded, and the one before it being added.
	type page struct {
		recs []store.Record
		obs  []evidence.Observation
		g    errgroup.Group
	}
	pages := [2]*page{{}, {}}
	stopped := false
	addPage := func(p *page) error {
		if err := p.g.Wait(); err != nil {
			return err
		}
		for i, r := range p.recs {
			if stopped || r.N >= size {
				stopped = true
				return nil
			}
			if err := v.Add(r.N, r.Leaf, r.Hashes); err != nil {
				stopped = true // the verifier has the problem
				return nil
			}
			read++
			if r.N < keep {
				c.add(recRef{log, r.N}, &p.obs[i])
			}
		}
		if progress != nil {
			progress(read, size)
		}
		return nil
	}
	var prev *page
	n := 0
	err := s.ForEachRecordBatch(0, func(batch []store.Record) error {
		cur := pages[n%2]
		n++
		cur.recs = append(cur.recs[:0], batch...) // the records' bytes are the batch's own
		if cap(cur.obs) < len(batch) {
			cur.obs = make([]evidence.Observation, len(batch))
		}
		cur.obs = cur.obs[:len(batch)]
		half := len(batch) / 2
		for _, part := range [][2]int{{0, half}, {half, len(batch)}} {
			cur.g.Go(func() error {
				for i := part[0]; i < part[1]; i++ {
					if err := evidence.DecodeLeaf(cur.recs[i].Leaf, &cur.obs[i]); err != nil {
						return fmt.Errorf("log record %d: %w: run 'leakhunt verify'", cur.recs[i].N, store.ErrCorrupt)
					}
				}
				return nil
			})
		}
		if prev != nil {
			if err := addPage(prev); err != nil {
				cur.g.Wait()
				return err
			}
			if stopped {
				cur.g.Wait()
				return errStopWalk
			}
		}
		prev = cur
		return nil
	})
	if err == nil && prev != nil {
		err = addPage(prev)
	}
	if err != nil && err != errStopWalk {
		return err
	}
	return nil
}

type stopWalk struct{}

func (stopWalk) Error() string { return "stop" }

var errStopWalk error = stopWalk{}

func (c *collection) add(ref recRef, o *evidence.Observation) {
	if !o.NamesPeer() {
		c.recPeer[ref.log] = append(c.recPeer[ref.log], noPeer)
		return
	}
	k := peerKey{InfoHash: o.InfoHash, IP: o.IP, Port: o.Port, Network: o.Network, ED2K: o.ED2K}
	p := c.peers[k]
	if p == nil {
		p = &peerAgg{key: k, rowLevel: -1, ord: uint32(len(c.order))}
		p.Peer.Level = -1
		c.peers[k] = p
		c.order = append(c.order, p)
	}
	c.recPeer[ref.log] = append(c.recPeer[ref.log], p.ord)
	t := o.Time.UTC()
	lvl := min(max(o.Level, evidence.L0Listed), evidence.L5FullCopy)
	p.levelCount[lvl]++
	switch {
	case lvl > p.Level:
		p.proving = append(p.proving[:0], ref)
		p.provingN = 1
	case lvl == p.Level:
		if len(p.proving) < maxProving {
			p.proving = append(p.proving, ref)
		}
		p.provingN++
	}
	p.Peer.Add(o)
	if _, _, ok := clockWithin(o.Clock, c.maxClock); lvl >= c.minLevel && (ok || !c.strict) {
		p.rows++
		p.rowLevel = max(p.rowLevel, lvl)
		if ref.log != ownLog {
			if p.rowLogs == nil {
				p.rowLogs = map[int]bool{}
			}
			p.rowLogs[ref.log] = true
		}
		if p.rowFirst.IsZero() || t.Before(p.rowFirst) {
			p.rowFirst = t
		}
		if t.After(p.rowLast) {
			p.rowLast = t
		}
		if !ok {
			p.rowsClockOver++
		}
		if legacyServed(o) {
			p.rowsLegacy++
		}
	}
	if legacyServed(o) {
		p.legacy++
	}
	if o.Clock.Synchronized() {
		p.offsetsKnown++
		p.maxOffset = max(p.maxOffset, time.Duration(o.Clock.Offset).Abs())
	} else if d, err := time.ParseDuration(o.ClockOffset); err == nil && o.Clock == nil {
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
	if lvl >= c.minLevel {
		cnt[1]++
	}
}

// legacyServed reports whether o is an L4 or L5 record made before the
// document bytes of verified pieces were counted and compared: what it
// proves is only that verified pieces overlapped the document.
func legacyServed(o *evidence.Observation) bool {
	return o.Level >= evidence.L4Served && o.DocBytesVerified == 0
}
