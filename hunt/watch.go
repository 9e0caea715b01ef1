package hunt

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
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
	last := map[string]time.Time{}
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
	Probed    int
	// Levels counts the probed peers by the level they reached this round.
	Levels [6]int
}

// WatchOnce harvests the peers of one matched torrent (DHT, trackers, and
// every peer seen before), records each address as an L1 observation,
// probes each peer and records what the probe proved.
func (p *Pipeline) WatchOnce(ctx context.Context, ihHex string) (Round, error) {
	var r Round
	ih, err := store.ParseInfohash(ihHex)
	if err != nil {
		return r, err
	}
	targets, trackers, err := p.targets(ihHex)
	if err != nil {
		return r, err
	}
	doc := ""
	if len(targets) > 0 {
		doc = targets[0].Document
	}
	offset := p.measureClock(ctx)
	defer p.measureClock(ctx)

	addrs := map[netip.AddrPort]bool{}
	l1 := func(ap netip.AddrPort, source, detail string) {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if !ap.IsValid() || ap.Port() == 0 || p.cfg.Self.Contains(ap) {
			return
		}
		r.Harvested++
		addrs[ap] = true
		p.record(ctx, store.Observation{Time: time.Now().UTC(), ClockOffset: offset, Level: store.L1Announced,
			Source: source, Detail: detail, IP: ap.Addr().String(), Port: int(ap.Port()), InfoHash: ihHex,
			Document: doc, Version: p.cfg.Version})
	}
	if p.cfg.Peers != nil {
		found, err := p.cfg.Peers.GetPeers(ctx, ih)
		if err != nil {
			p.log.Debug("get_peers", "infohash", ihHex, "err", err)
		}
		for _, ap := range found {
			l1(ap, "dht", "get_peers")
		}
	}
	if p.cfg.Trackers != nil && len(trackers) > 0 {
		obs, err := p.cfg.Trackers.Harvest(ctx, ih, trackers)
		if err != nil {
			p.log.Debug("trackers", "infohash", ihHex, "err", err)
		}
		for _, o := range obs {
			ip, err := netip.ParseAddr(o.IP)
			if err != nil || o.Port <= 0 || o.Port > 65535 {
				continue
			}
			ap := netip.AddrPortFrom(ip.Unmap(), uint16(o.Port))
			if p.cfg.Self.Contains(ap) {
				continue
			}
			r.Harvested++
			addrs[ap] = true
			o.InfoHash, o.Document, o.Level = ihHex, doc, store.L1Announced
			if o.Version == "" {
				o.Version = p.cfg.Version
			}
			if o.ClockOffset == "" {
				o.ClockOffset = offset
			}
			p.record(ctx, o)
		}
	}
	// Peers seen in earlier rounds are probed again, so last-seen is real.
	known, err := p.s.PeersOf(ihHex)
	if err != nil {
		return r, err
	}
	for _, k := range known {
		if ip, err := netip.ParseAddr(k.IP); err == nil && k.Port > 0 && k.Port <= 65535 {
			if ap := netip.AddrPortFrom(ip, uint16(k.Port)); !p.cfg.Self.Contains(ap) {
				addrs[ap] = true
			}
		}
	}
	if p.cfg.Prober == nil || len(targets) == 0 {
		return r, nil
	}
	// Probe a snapshot: PEX answers add to addrs while probes run, and
	// are probed next round.
	toProbe := make([]netip.AddrPort, 0, len(addrs))
	for ap := range addrs {
		toProbe = append(toProbe, ap)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.cfg.MaxProbes)
	for _, ap := range toProbe {
		g.Go(func() error {
			lvl, pex := p.probe(gctx, targets[0], ap)
			mu.Lock()
			r.Probed++
			r.Levels[lvl]++
			mu.Unlock()
			for _, x := range pex {
				mu.Lock()
				l1(x, "pex", ap.String())
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	return r, nil
}

// probe tries each transport until one connects, records the observation
// and returns the level reached and the PEX peers the remote sent.
func (p *Pipeline) probe(ctx context.Context, target evidence.Target, ap netip.AddrPort) (int, []netip.AddrPort) {
	var last evidence.ProbeResult
	for i, tr := range p.cfg.Transports {
		if ctx.Err() != nil {
			return 0, nil
		}
		res, err := p.cfg.Prober.Probe(ctx, target, ap, tr)
		p.st.probes.Add(1)
		last = res
		if err == nil || res.Observation.Level >= store.L2Connected || i == len(p.cfg.Transports)-1 {
			break
		}
	}
	o := last.Observation
	if la, err := netip.ParseAddrPort(o.ListenAddr); err == nil {
		p.cfg.Self.Add(la)
	}
	if ctx.Err() != nil && o.Level < store.L2Connected {
		// Interrupted before a handshake: nothing was observed. A probe
		// that got further is recorded with what it observed.
		return 0, nil
	}
	if o.IP == "" { // a probe that failed before it built an observation
		o = store.Observation{Time: time.Now().UTC(), IP: ap.Addr().String(), Port: int(ap.Port()),
			InfoHash: hex.EncodeToString(target.InfoHash[:]), Level: store.L1Announced, Source: "probe", Error: "probe failed"}
	}
	if o.Document == "" {
		o.Document = target.Document
	}
	if o.Level < store.L2Connected {
		// A failed probe proves nothing beyond the listing; it is recorded
		// so that the attempt is on the record, at L1.
		o.Level = store.L1Announced
	}
	if o.Version == "" {
		o.Version = p.cfg.Version
	}
	p.log.Debug("probe done", "peer", ap.String(), "level", o.Level, "transport", o.Transport)
	p.record(ctx, o)
	return o.Level, last.PEX
}

// targets builds the probe targets of a watched torrent: one per proven
// (file, document) match, from the stored info dictionary.
func (p *Pipeline) targets(ihHex string) ([]evidence.Target, []string, error) {
	t, err := p.s.Torrent(ihHex)
	if err != nil {
		return nil, nil, err
	}
	if len(t.InfoBytes) == 0 {
		return nil, t.Trackers, nil
	}
	tor, err := fingerprint.ParseInfo(t.InfoBytes)
	if err != nil {
		return nil, t.Trackers, fmt.Errorf("stored info of %s: %w", ihHex, err)
	}
	if len(tor.Pieces) == 0 {
		// Pure v2: there are no v1 piece hashes to verify against.
		return nil, t.Trackers, nil
	}
	ms, err := p.s.MatchesFor(ihHex)
	if err != nil {
		return nil, t.Trackers, err
	}
	var out []evidence.Target
	for _, m := range ms {
		if m.Verdict != fingerprint.VerdictProven {
			continue
		}
		for _, f := range tor.Files {
			if f.Path != m.File || f.Pad || f.Length == 0 {
				continue
			}
			first, last, ok := evidence.DocumentPieces(tor.PieceLength, f.Offset, f.Length)
			if !ok {
				continue
			}
			var ih [20]byte
			hex.Decode(ih[:], []byte(tor.InfoHash))
			out = append(out, evidence.Target{InfoHash: ih, PieceLength: tor.PieceLength, NumPieces: len(tor.Pieces),
				PieceHashes: tor.Pieces, TotalLength: tor.TotalLength, FirstPiece: first, LastPiece: last, Document: m.Document})
			break
		}
	}
	return out, t.Trackers, nil
}

func (p *Pipeline) clockOffset(ctx context.Context) string {
	if p.cfg.Clock == nil {
		return "unsynchronized"
	}
	return p.cfg.Clock.OffsetString(ctx)
}
