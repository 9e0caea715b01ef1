package dashboard

import (
	"cmp"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// PeerRow is one peer of one torrent as the pages and the API show it:
// the store's summary of its observations, with the name of the document
// and who holds the address.
type PeerRow struct {
	evidence.Peer
	DocumentName string `json:"document_name,omitempty"`
	ASN          uint32 `json:"asn,omitempty"`
	// ISP is the AS organisation, or the label of a special-purpose
	// address ("private/loopback").
	ISP     string `json:"isp,omitempty"`
	Country string `json:"country,omitempty"`
}

// peerKey is a peer as the store summarizes it: what it was observed
// sharing ([evidence.Peer.Subject]: a torrent, or an ed2k file) and its
// address.
// It holds the subject's hash itself (the infohash on BitTorrent, the ed2k
// hash on the eMule network, the other zero), not its text, so that
// building and comparing keys allocates nothing.
type peerKey struct {
	ih   fingerprint.InfoHash
	ed2k fingerprint.ED2KHash
	ip   string
	port int
}

// subjectKey is the key of a peer of a network: the same rule as
// [evidence.Peer.Subject].
func subjectKey(network string, ih fingerprint.InfoHash, h fingerprint.ED2KHash, ip string, port int) peerKey {
	if network == evidence.NetworkED2K {
		return peerKey{ed2k: h, ip: ip, port: port}
	}
	return peerKey{ih: ih, ip: ip, port: port}
}

func keyOf(p *evidence.Peer) peerKey { return subjectKey(p.Network, p.InfoHash, p.ED2K, p.IP, p.Port) }

// peerSnapshot is the peers at one log size, sorted for display: highest
// level first, then most recently seen. It is never changed once built.
type peerSnapshot struct {
	rows    []*PeerRow
	through int64 // log records folded in
	byLevel [evidence.NumLevels]int
	built   time.Time
}

// peerIndex keeps an in-memory copy of the store's peer summaries current
// by folding the log records appended since it last looked, and serves
// sorted snapshots of it. Rows in a snapshot are never changed: a fold
// replaces the row.
type peerIndex struct {
	s   *store.Store
	asn *report.ASNDB

	mu      sync.Mutex // one refresh at a time; guards the fields below
	rows    map[peerKey]*PeerRow
	through int64
	docs    map[string]string // document sha256 → name

	snap atomic.Pointer[peerSnapshot]
	// cost is how long the last refresh took (ns): refreshes are spaced
	// so that they take at most 1/refreshShare of the time.
	cost atomic.Int64
}

// refreshShare bounds the time spent refreshing the peers: at most one
// part in refreshShare, so that a hunt writing fast into a large store
// does not lose its throughput to the dashboard.
const refreshShare = 40

func newPeerIndex(s *store.Store, asn *report.ASNDB) *peerIndex {
	return &peerIndex{s: s, asn: asn}
}

// warm builds the first snapshot, in the background of a starting
// server, so that the first page does not wait for the store's summaries
// to be read.
func (x *peerIndex) warm() { x.current(0) }

// current returns a snapshot at most maxAge old (0: refreshed now), or
// at most refreshShare times the last refresh's duration old when that is
// longer: the one there is when it is fresh enough or another request is
// refreshing it, else a refreshed one. Only calls made before the first
// snapshot exists wait for one.
func (x *peerIndex) current(maxAge time.Duration) (*peerSnapshot, error) {
	if maxAge > 0 {
		maxAge = max(maxAge, refreshShare*time.Duration(x.cost.Load()))
	}
	if sn := x.snap.Load(); sn != nil {
		if time.Since(sn.built) < maxAge || !x.mu.TryLock() {
			return sn, nil
		}
	} else {
		x.mu.Lock()
	}
	defer x.mu.Unlock()
	if sn := x.snap.Load(); sn != nil && time.Since(sn.built) < maxAge {
		return sn, nil // refreshed while this call waited
	}
	start := time.Now()
	err := x.refresh()
	x.cost.Store(int64(time.Since(start)))
	return x.snap.Load(), err
}

// refresh folds what the log holds beyond the last snapshot and builds a
// new snapshot when anything changed. x.mu is held.
func (x *peerIndex) refresh() error {
	docs, err := x.s.Documents()
	if err != nil {
		return err
	}
	names := make(map[string]string, len(docs))
	for _, d := range docs {
		names[d.SHA256] = d.Name
	}
	x.docs = names
	changed := x.rows == nil
	if x.rows == nil {
		peers, through, err := x.s.PeerSummaries()
		if err != nil {
			return err
		}
		x.rows = make(map[peerKey]*PeerRow, len(peers))
		for i := range peers {
			x.rows[keyOf(&peers[i])] = x.row(peers[i])
		}
		x.through = through
	}
	size, err := x.s.LogSize()
	if err != nil {
		return err
	}
	if size > x.through {
		n, err := x.fold(size)
		if err != nil {
			return err
		}
		changed = changed || n > 0
	}
	old := x.snap.Load()
	if !changed && old != nil {
		cp := *old
		cp.built = time.Now()
		x.snap.Store(&cp)
		return nil
	}
	x.snap.Store(x.build())
	return nil
}

// foldBudget bounds the time one refresh spends folding log records. A
// hunt that appends records faster than refreshes fold them within their
// budget (tens of thousands a second) gets ahead of the peers view, which
// then lags behind the log (its snapshot says how far it reflects) rather
// than taking the hunt's CPU; it catches up when the hunt slows down.
const foldBudget = 50 * time.Millisecond

// fold folds log records [x.through, size) into the rows, or as many as
// it can within foldBudget, and returns how many named a peer.
func (x *peerIndex) fold(size int64) (int, error) {
	changed := map[peerKey]*PeerRow{}
	n := 0
	start := time.Now()
	err := x.s.ForEachLeaf(x.through, func(i int64, leaf []byte) error {
		if i >= size || i%256 == 0 && time.Since(start) > foldBudget {
			return errStopFold
		}
		var o evidence.Observation
		if err := evidence.DecodeLeaf(leaf, &o); err != nil {
			return err
		}
		x.through = i + 1
		if !o.NamesPeer() {
			return nil
		}
		k := subjectKey(o.Network, o.InfoHash, o.ED2K, o.IP, o.Port)
		r := changed[k]
		if r == nil {
			// Copy on the first change in this walk: snapshots keep
			// the old row.
			r = &PeerRow{}
			if old := x.rows[k]; old != nil {
				*r = *old
			}
			changed[k] = r
		}
		r.Add(&o)
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errStopFold) {
		return 0, err
	}
	for k, r := range changed {
		if x.rows[k] == nil {
			*r = *x.row(r.Peer)
		} else if r.DocumentName == "" {
			r.DocumentName = x.docs[r.Document]
		}
		x.rows[k] = r
	}
	return n, nil
}

// errStopFold ends a fold's walk at the size it was asked for.
var errStopFold = errors.New("stop")

// row attributes a summary.
func (x *peerIndex) row(p evidence.Peer) *PeerRow {
	r := &PeerRow{Peer: p, DocumentName: x.docs[p.Document]}
	if ip, err := netip.ParseAddr(p.IP); err == nil {
		a := x.asn.Lookup(ip)
		r.ASN, r.ISP, r.Country = a.ASN, a.Org, a.Country
		if a.Special != "" {
			r.ISP = a.Special
		}
	}
	return r
}

// build sorts the rows into a new snapshot.
func (x *peerIndex) build() *peerSnapshot {
	sn := &peerSnapshot{rows: make([]*PeerRow, 0, len(x.rows)), through: x.through, built: time.Now()}
	for _, r := range x.rows {
		sn.rows = append(sn.rows, r)
		if r.Level.Valid() {
			sn.byLevel[r.Level]++
		}
	}
	slices.SortFunc(sn.rows, comparePeers)
	return sn
}

// comparePeers orders peers for display: highest level, most recently
// seen, then by torrent and address so that the order is total.
func comparePeers(a, b *PeerRow) int {
	return cmp.Or(cmp.Compare(b.Level, a.Level), b.LastSeen.Compare(a.LastSeen),
		cmp.Compare(a.Network, b.Network), slices.Compare(a.InfoHash[:], b.InfoHash[:]), slices.Compare(a.ED2K[:], b.ED2K[:]),
		cmp.Compare(a.IP, b.IP), cmp.Compare(a.Port, b.Port))
}

// find returns the row of one peer, or nil.
func (sn *peerSnapshot) find(k peerKey) *PeerRow {
	for _, r := range sn.rows {
		if keyOf(&r.Peer) == k {
			return r
		}
	}
	return nil
}

// PeerPage is one page of the peers a filter selects.
type PeerPage struct {
	// Total counts every peer the filter selects; Peers are those from
	// Offset on, at most the filter's limit.
	Total  int       `json:"total"`
	Offset int       `json:"offset"`
	Peers  []PeerRow `json:"peers"`
	// Through is the log size the page reflects.
	Through int64 `json:"through"`
}

// page selects and pages the snapshot's rows.
func (sn *peerSnapshot) page(f PeerFilter) PeerPage {
	out := PeerPage{Offset: f.Offset, Peers: []PeerRow{}, Through: sn.through}
	for _, r := range sn.rows {
		if !f.match(r) {
			continue
		}
		if out.Total >= f.Offset && (f.Limit == 0 || len(out.Peers) < f.Limit) {
			out.Peers = append(out.Peers, *r)
		}
		out.Total++
	}
	return out
}
