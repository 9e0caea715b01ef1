package hunt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/store"
)

// ED2KProber probes one ed2k peer about one file and grades what it did
// (*ed2k.Prober). Safe for concurrent use.
type ED2KProber interface {
	Probe(ctx context.Context, target ed2k.Target, addr netip.AddrPort) (ed2k.Result, error)
}

var _ ED2KProber = (*ed2k.Prober)(nil)

// ErrED2KLead is returned for an ed2k hash no catalogued document has: the
// link is a lead, recorded as such and never probed.
var ErrED2KLead = errors.New("no catalogued document has this ed2k hash: the link is a lead, not probed")

// ed2kTarget finds the catalogued document whose ed2k hash (either
// convention) is h and opens its copy: the probe target. Close the file
// when done.
func (p *Pipeline) ed2kTarget(h fingerprint.ED2KHash) (ed2k.Target, *os.File, error) {
	var docs []store.Document
	for _, kind := range []string{"ed2k", "ed2k_alt"} {
		ds, err := p.s.DocumentsByHash(kind, h.String())
		if err != nil {
			return ed2k.Target{}, nil, err
		}
		docs = append(docs, ds...)
	}
	if len(docs) == 0 {
		return ed2k.Target{}, nil, ErrED2KLead
	}
	d := docs[0]
	f, err := p.s.OpenDocument(d.SHA256)
	if err != nil {
		return ed2k.Target{}, nil, fmt.Errorf("catalogued copy of %s: %w", d.Name, err)
	}
	return ed2k.Target{Hash: h, Size: d.Size, Doc: f, Document: d.SHA256}, f, nil
}

// WatchED2K gives one ed2k file a round every ProbeInterval until ctx is
// done, or rounds rounds when rounds > 0, calling onRound after each: the
// sources given (an ed2k link's) and every peer of the file seen before
// are recorded and probed. It then finishes writes and signs a
// checkpoint. A hash that no catalogued document has returns
// [ErrED2KLead] before anything is contacted.
func (p *Pipeline) WatchED2K(ctx context.Context, h fingerprint.ED2KHash, sources []ED2KSource, rounds int, onRound func(Round)) error {
	_, f, err := p.ed2kTarget(h)
	if err != nil {
		return err
	}
	f.Close()
	return p.rounds(ctx, rounds, onRound, func(ctx context.Context) (Round, error) { return p.WatchED2KOnce(ctx, h, sources) })
}

// ED2KSource is an address said to share an ed2k file, and who said so.
type ED2KSource struct {
	Addr netip.AddrPort
	// Source is [evidence.SourceLink] or [evidence.SourceKad]; Detail
	// says more (the page of the link, the Kad node that answered).
	Source, Detail string
}

// WatchED2KOnce records each source as an L1 observation of the ed2k file
// h, adds the peers of h recorded before, and probes each once (one block
// request per peer per round; a peer probed less than ProbeInterval ago is
// not probed again), recording what each probe proved with its redacted
// transcript. It runs inside the writer ([Pipeline.WatchED2K], or a
// hunt's Run).
func (p *Pipeline) WatchED2KOnce(ctx context.Context, h fingerprint.ED2KHash, sources []ED2KSource) (Round, error) {
	target, f, err := p.ed2kTarget(h)
	if err != nil {
		return Round{}, err
	}
	defer f.Close()
	offset := p.measureClock(ctx)
	defer p.measureClock(ctx)
	var r Round
	addrs := map[netip.AddrPort]bool{}
	for _, src := range sources {
		ap := netip.AddrPortFrom(src.Addr.Addr().Unmap(), src.Addr.Port())
		if !ap.IsValid() || ap.Port() == 0 || p.cfg.Self.Contains(ap) {
			continue
		}
		if !p.allowed(ap) {
			r.Refused++
			continue
		}
		r.Harvested++
		addrs[ap] = true
		p.record(ctx, evidence.Observation{Time: time.Now().UTC(), ClockOffset: offset, Level: evidence.L1Announced,
			Source: src.Source, Detail: src.Detail, IP: ap.Addr().String(), Port: int(ap.Port()), Document: target.Document,
			Network: evidence.NetworkED2K, ED2K: h, Version: p.cfg.Version})
	}
	known, err := p.s.PeersOfSubject("ed2k:" + h.String())
	if err != nil {
		return r, err
	}
	for _, k := range known {
		if ip, err := netip.ParseAddr(k.IP); err == nil && k.Port > 0 && k.Port <= 65535 {
			if ap := netip.AddrPortFrom(ip, uint16(k.Port)); !p.cfg.Self.Contains(ap) && p.allowed(ap) {
				addrs[ap] = true
			}
		}
	}
	if p.cfg.ED2K == nil {
		return r, nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.cfg.MaxProbes)
	for ap := range addrs {
		if !p.ed2kDue(ap) {
			continue
		}
		g.Go(func() error {
			lvl, ok := p.probeED2K(gctx, target, ap, offset)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				r.Probed++
				r.Levels[lvl]++
			}
			return nil
		})
	}
	g.Wait()
	return r, nil
}

// probeED2K probes one ed2k peer and records what it proved; ok is false
// when the probe was interrupted before the peer answered (nothing
// observed, nothing recorded).
func (p *Pipeline) probeED2K(ctx context.Context, target ed2k.Target, ap netip.AddrPort, offset string) (evidence.Level, bool) {
	res, err := p.cfg.ED2K.Probe(ctx, target, ap)
	p.st.probes.Add(1)
	if errors.Is(err, ed2k.ErrTarget) {
		p.log.Warn("ed2k probe target", "peer", ap.String(), "err", err)
		return 0, false
	}
	if ctx.Err() != nil && res.Level < ed2k.L2Connected {
		return 0, false
	}
	o, tr := res.Observation(target)
	if o.Time.IsZero() {
		o.Time = time.Now().UTC()
	}
	if la, err := netip.ParseAddrPort(o.ListenAddr); err == nil {
		p.cfg.Self.Add(la)
	}
	o.ClockOffset, o.Version = offset, p.cfg.Version
	var blobs [][]byte
	if len(tr) > 0 {
		blobs = append(blobs, tr)
	}
	p.log.Debug("ed2k probe done", "peer", ap.String(), "level", o.Level, "reason", o.Reason)
	p.record(ctx, o, blobs...)
	return o.Level, true
}

// ed2kUserHashKey is where a store keeps its ed2k user hash.
const ed2kUserHashKey = "userhash"

// ED2KUserHash returns the store's ed2k user hash, making and keeping one
// on first use: aMule bans for two hours a client that comes back from
// the same IP with another user hash, so every probe from a store uses
// the same.
func ED2KUserHash(s *store.Store) ([16]byte, error) {
	kv := s.KV("ed2k.")
	if b, ok := kv.Get(ed2kUserHashKey); ok && len(b) == 16 && [16]byte(b) != ([16]byte{}) {
		return [16]byte(b), nil
	}
	h := ed2k.NewUserHash()
	if err := kv.Put(ed2kUserHashKey, h[:]); err != nil {
		return h, fmt.Errorf("keep the ed2k user hash: %w", err)
	}
	return h, nil
}

// ed2kProber is the ed2k prober of a hunt: the store's user hash, the
// address policy checked at connect time, probes up to Chase (L4 at most:
// one block).
func ed2kProber(s *store.Store, opt Options, log *slog.Logger) (*ed2k.Prober, error) {
	h, err := ED2KUserHash(s)
	if err != nil {
		return nil, err
	}
	cfg := ed2k.DefaultConfig()
	cfg.UserHash, cfg.Logger = h, log
	pol := netpolicy.Policy{}
	if opt.AllowLocal {
		pol = netpolicy.Local()
	}
	cfg.Control = pol.Control
	if opt.Chase < evidence.L4Served {
		cfg.MaxLevel = ed2k.Level(opt.Chase)
	}
	return ed2k.NewProber(cfg)
}

// ed2kState is the pipeline's ed2k bookkeeping: sources waiting for their
// file's next round, and when each peer was last probed.
type ed2kState struct {
	mu      sync.Mutex
	pending map[fingerprint.ED2KHash][]ED2KSource
	probed  map[netip.AddrPort]time.Time
}

// maxPendingSources bounds the sources waiting per file.
const maxPendingSources = 256

// ed2kDue reports whether ap may be probed now (not probed within
// ProbeInterval: aMule bans a client asking for uploads more than three
// times in about ten minutes), and if so marks it probed.
func (p *Pipeline) ed2kDue(ap netip.AddrPort) bool {
	st := &p.ed2k
	st.mu.Lock()
	defer st.mu.Unlock()
	if last, ok := st.probed[ap]; ok && time.Since(last) < p.cfg.ProbeInterval {
		return false
	}
	if st.probed == nil || len(st.probed) >= 100_000 {
		st.probed = map[netip.AddrPort]time.Time{}
	}
	st.probed[ap] = time.Now()
	return true
}

// addED2KSources queues sources of the ed2k file h for its next round.
func (p *Pipeline) addED2KSources(h fingerprint.ED2KHash, srcs ...ED2KSource) {
	st := &p.ed2k
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pending == nil {
		st.pending = map[fingerprint.ED2KHash][]ED2KSource{}
	}
	for _, s := range srcs {
		if len(st.pending[h]) < maxPendingSources {
			st.pending[h] = append(st.pending[h], s)
		}
	}
}

func (p *Pipeline) takeED2KSources(h fingerprint.ED2KHash) []ED2KSource {
	st := &p.ed2k
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.pending[h]
	delete(st.pending, h)
	return out
}

// ED2KSourceFinder finds the sources of an ed2k file on the eMule
// network: a Kad source search ([KadDiscovery]). Safe for concurrent use.
type ED2KSourceFinder interface {
	FindED2KSources(ctx context.Context, h fingerprint.ED2KHash, size int64) ([]ED2KSource, error)
}

// ed2kLoop gives every catalogued document's ed2k file a round each
// ProbeInterval (sources found by Kad, and the peers seen before), and a
// round within watchTick when links found by the sources named new
// sources of it.
func (p *Pipeline) ed2kLoop(ctx context.Context) error {
	if !p.cfg.Watch || (p.cfg.ED2K == nil && p.cfg.ED2KSources == nil) {
		return nil
	}
	last := map[fingerprint.ED2KHash]time.Time{}
	t := time.NewTicker(watchTick)
	defer t.Stop()
	for {
		docs, err := p.s.Documents()
		if err != nil {
			return fmt.Errorf("catalogue: %w", err)
		}
		for _, d := range docs {
			h, err := fingerprint.ParseED2KHash(d.ED2K)
			if err != nil || ctx.Err() != nil {
				continue
			}
			srcs := p.takeED2KSources(h)
			due := time.Since(last[h]) >= p.cfg.ProbeInterval
			if !due && len(srcs) == 0 {
				continue
			}
			if due {
				last[h] = time.Now()
				if p.cfg.ED2KSources != nil {
					found, err := p.cfg.ED2KSources.FindED2KSources(ctx, h, d.Size)
					if err != nil && ctx.Err() == nil {
						p.log.Debug("ed2k sources", "ed2k", h.String(), "err", err)
					}
					srcs = append(srcs, found...)
				}
			}
			if len(srcs) == 0 {
				if known, err := p.s.PeersOfSubject("ed2k:" + h.String()); err != nil || len(known) == 0 {
					continue // nobody to probe: no round, no clock measurement
				}
			}
			if _, err := p.WatchED2KOnce(ctx, h, srcs); err != nil && ctx.Err() == nil {
				p.log.Warn("ed2k watch", "ed2k", h.String(), "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// linkED2KSources queues the sources an ed2k link names when the link's
// hash is a catalogued document's (a proven ed2k match); the sources of a
// lead are never contacted.
func (p *Pipeline) linkED2KSources(l fingerprint.Link, ms []fingerprint.Match, source string) {
	if l.Kind != fingerprint.KindED2K || len(l.Peers) == 0 {
		return
	}
	h, err := fingerprint.ParseED2KHash(l.ED2K)
	if err != nil {
		return
	}
	proven := false
	for _, m := range ms {
		proven = proven || (m.Method == fingerprint.MethodED2K && m.Verdict == fingerprint.VerdictProven)
	}
	if !proven {
		return
	}
	var srcs []ED2KSource
	for _, a := range l.Peers {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			srcs = append(srcs, ED2KSource{Addr: ap, Source: evidence.SourceLink, Detail: source})
		}
	}
	p.addED2KSources(h, srcs...)
}
