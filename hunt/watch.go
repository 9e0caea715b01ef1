package hunt

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// watchTick is how often the watch loop looks for torrents due a round.
const watchTick = 2 * time.Second

// watchLoop gives every watched torrent a harvest-and-probe round each
// ProbeInterval; a torrent that joins the watchlist mid-run gets its first
// round within watchTick.
func (p *Pipeline) watchLoop(ctx context.Context) error {
	if !p.cfg.Watch || (p.cfg.Peers == nil && p.cfg.Trackers == nil && p.cfg.Prober == nil) {
		return nil
	}
	last := map[fingerprint.InfoHash]time.Time{}
	t := time.NewTicker(watchTick)
	defer t.Stop()
	for {
		list, err := p.s.Watchlist()
		if err != nil {
			return fmt.Errorf("watchlist: %w", err)
		}
		for _, w := range list {
			if time.Since(last[w.InfoHash]) < p.cfg.ProbeInterval {
				continue
			}
			// In a shared store each round goes to one sensor: the lease
			// runs for the interval, so a sensor that died is taken over.
			ok, err := p.s.LeaseWatch(w.InfoHash, p.cfg.ProbeInterval)
			if err != nil {
				return fmt.Errorf("watch lease: %w", err)
			}
			if !ok {
				continue
			}
			last[w.InfoHash] = time.Now()
			if _, err := p.WatchOnce(ctx, w.InfoHash); err != nil && ctx.Err() == nil {
				p.log.Warn("watch", "infohash", w.InfoHash, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Round is what one harvest-and-probe round of a torrent did.
type Round struct {
	Harvested int // addresses listed by the DHT, trackers or PEX
	// Refused counts listed addresses the address policy refused
	// (loopback, private, reserved...): not recorded, not contacted.
	Refused int
	Probed  int
	// Levels counts the probed peers by the level they reached this round.
	Levels [evidence.NumLevels]int
}

// WatchOnce harvests the peers of one matched torrent (DHT, trackers, and
// every peer seen before), records each address as an L1 observation,
// probes each peer and records what the probe proved.
func (p *Pipeline) WatchOnce(ctx context.Context, ih fingerprint.InfoHash) (Round, error) {
	targets, doc, trackers, done, err := p.targets(ih)
	defer done()
	if err != nil {
		return Round{}, err
	}
	h := &harvest{p: p, ih: ih, doc: doc, offset: p.measureClock(ctx), addrs: map[netip.AddrPort]bool{}}
	defer p.measureClock(ctx)
	if p.cfg.Peers != nil {
		found, err := p.cfg.Peers.GetPeers(ctx, ih)
		if err != nil {
			p.log.Debug("get_peers", "infohash", ih, "err", err)
		}
		for _, ap := range found {
			h.listed(ctx, ap, evidence.Observation{Source: evidence.SourceDHT, Detail: "get_peers"})
		}
	}
	if p.cfg.Trackers != nil && len(trackers) > 0 {
		obs, err := p.cfg.Trackers.Harvest(ctx, ih, trackers)
		if err != nil {
			p.log.Debug("trackers", "infohash", ih, "err", err)
		}
		for _, o := range obs {
			ip, err := netip.ParseAddr(o.IP)
			if err != nil || o.Port <= 0 || o.Port > 65535 {
				continue
			}
			h.listed(ctx, netip.AddrPortFrom(ip, uint16(o.Port)), o)
		}
	}
	// Peers seen in earlier rounds are probed again, so last-seen is real.
	known, err := p.s.PeersOf(ih)
	if err != nil {
		return h.r, err
	}
	for _, k := range known {
		if ip, err := netip.ParseAddr(k.IP); err == nil && k.Port > 0 && k.Port <= 65535 {
			// An address recorded in a run that allowed it (--allow-local)
			// is contacted again only if this run allows it too.
			if ap := netip.AddrPortFrom(ip, uint16(k.Port)); !p.cfg.Self.Contains(ap) && p.allowed(ap) {
				h.addrs[ap] = true
			}
		}
	}
	if p.cfg.Prober == nil || len(targets) == 0 {
		return h.r, nil
	}
	h.probeAll(ctx, targets[0])
	return h.r, nil
}

// harvest is one round's gathering of a torrent's peers: the addresses to
// probe and the round's counts. listed and probeAll share it under mu.
type harvest struct {
	p      *Pipeline
	ih     fingerprint.InfoHash
	doc    string
	offset string
	mu     sync.Mutex
	addrs  map[netip.AddrPort]bool
	r      Round
}

// listed records that a source listed ap as a peer of the torrent (L1),
// as o describes it, and adds ap to the addresses to probe. Our own and
// refused addresses are not recorded.
func (h *harvest) listed(ctx context.Context, ap netip.AddrPort, o evidence.Observation) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !ap.IsValid() || ap.Port() == 0 || h.p.cfg.Self.Contains(ap) {
		return
	}
	if !h.p.allowed(ap) {
		h.r.Refused++
		return
	}
	h.r.Harvested++
	h.addrs[ap] = true
	o.IP, o.Port = ap.Addr().String(), int(ap.Port())
	o.InfoHash, o.Document, o.Level = h.ih, h.doc, evidence.L1Announced
	if o.Time.IsZero() {
		o.Time = time.Now().UTC()
	}
	if o.Version == "" {
		o.Version = h.p.cfg.Version
	}
	if o.ClockOffset == "" {
		o.ClockOffset = h.offset
	}
	h.p.record(ctx, o)
}

// probeAll probes a snapshot of the addresses, at most MaxProbes at once:
// PEX answers add to the addresses while probes run, and are probed next
// round.
func (h *harvest) probeAll(ctx context.Context, t target) {
	toProbe := make([]netip.AddrPort, 0, len(h.addrs))
	for ap := range h.addrs {
		toProbe = append(toProbe, ap)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(h.p.cfg.MaxProbes)
	for _, ap := range toProbe {
		g.Go(func() error {
			lvl, pex := h.p.probe(gctx, t, ap)
			h.mu.Lock()
			defer h.mu.Unlock()
			h.r.Probed++
			h.r.Levels[lvl]++
			for _, x := range pex {
				h.listed(ctx, x, evidence.Observation{Source: evidence.SourcePEX, Detail: ap.String()})
			}
			return nil
		})
	}
	g.Wait()
}

// probe tries each transport until one connects, records the observation
// with its redacted transcript and match basis (and every transport tried,
// in Tried), and returns the level reached and the PEX peers the remote
// sent.
func (p *Pipeline) probe(ctx context.Context, target target, ap netip.AddrPort) (evidence.Level, []netip.AddrPort) {
	var last evidence.ProbeResult
	var tried []string
	for i, tr := range p.cfg.Transports {
		if ctx.Err() != nil {
			return 0, nil
		}
		res, err := p.cfg.Prober.Probe(ctx, target.Target, ap, tr)
		p.st.probes.Add(1)
		last = res
		tried = append(tried, res.Observation.Tried...)
		if err == nil || res.Observation.Level >= evidence.L2Connected || i == len(p.cfg.Transports)-1 {
			break
		}
	}
	o := last.Observation
	if len(tried) > 0 {
		o.Tried = tried
	}
	if la, err := netip.ParseAddrPort(o.ListenAddr); err == nil {
		p.cfg.Self.Add(la)
	}
	if ctx.Err() != nil && o.Level < evidence.L2Connected {
		// Interrupted before a handshake: nothing was observed. A probe
		// that got further is recorded with what it observed.
		return 0, nil
	}
	if o.IP == "" { // a probe that failed before it built an observation
		o = evidence.Observation{Time: time.Now().UTC(), IP: ap.Addr().String(), Port: int(ap.Port()),
			InfoHash: target.InfoHash, Level: evidence.L1Announced, Source: "probe", Error: "probe failed"}
	}
	if o.Document == "" {
		o.Document = target.Document
	}
	blobs := [][]byte{target.basis}
	if o.Basis == "" {
		o.Basis = target.Basis
	}
	if o.TranscriptSHA256 != "" {
		blobs = append(blobs, last.Transcript)
	}
	if o.Level < evidence.L2Connected {
		// A failed probe proves nothing beyond the listing; it is recorded
		// so that the attempt is on the record, at L1.
		o.Level = evidence.L1Announced
	}
	if o.Version == "" {
		o.Version = p.cfg.Version
	}
	p.log.Debug("probe done", "peer", ap.String(), "level", o.Level, "transport", o.Transport)
	if o.Level.Valid() {
		p.st.probesByLevel[o.Level].Add(1)
	}
	p.record(ctx, o, blobs...)
	return o.Level, last.PEX
}

// target is one probe target of a watched torrent and the canonical bytes
// of its match basis, stored with every observation that names it.
type target struct {
	evidence.Target
	basis []byte
}

// targets builds the probe targets of a watched torrent from its stored
// info dictionary. The catalogue is matched against that dictionary again
// rather than trusting stored match records: a target is the file proven to
// be the document (by index and byte range, never by name), and only a
// match proven by the v1 piece hashes a probe verifies is probed (not a
// link's hash, not a pure v2 root, not an inconsistent hybrid). doc is the
// document the torrent was proven to carry, for L1 records, also when
// nothing can be probed. Each target holds the catalogued copy open: call
// done when the round is over.
func (p *Pipeline) targets(ih fingerprint.InfoHash) (ts []target, doc string, trackers []string, done func(), err error) {
	var files []io.Closer
	done = func() {
		for _, f := range files {
			f.Close()
		}
	}
	t, err := p.s.Torrent(ih)
	if err != nil {
		return nil, "", nil, done, err
	}
	if len(t.InfoBytes) == 0 {
		return nil, "", t.Trackers, done, nil
	}
	tor, err := fingerprint.ParseInfo(t.InfoBytes)
	if err != nil {
		return nil, "", t.Trackers, done, fmt.Errorf("stored info of %s: %w", ih, err)
	}
	if tor.InfoHash != ih {
		return nil, "", t.Trackers, done, fmt.Errorf("stored info of %s hashes to %s", ih, tor.InfoHash)
	}
	ms, err := p.rec.index().MatchTorrent(tor)
	if err != nil {
		p.log.Warn("match stored torrent", "infohash", ih, "err", err)
	}
	for _, m := range ms {
		if !m.ProvesTorrent() {
			continue
		}
		if doc == "" {
			doc = m.Document
		}
		if !m.Probeable() {
			continue
		}
		f, err := p.s.OpenDocument(m.Document)
		if err != nil {
			p.log.Warn("catalogued copy", "document", m.Document, "err", err)
			continue
		}
		files = append(files, f)
		tg, basis, err := evidence.NewTarget(tor, m, f)
		if err != nil {
			p.log.Warn("probe target", "infohash", ih, "err", err)
			continue
		}
		b, _ := basis.Encode()
		ts = append(ts, target{tg, b})
	}
	return ts, doc, t.Trackers, done, nil
}

func (p *Pipeline) clockOffset(ctx context.Context) string {
	if p.cfg.Clock == nil {
		return "unsynchronized"
	}
	return p.cfg.Clock.OffsetString(ctx)
}
