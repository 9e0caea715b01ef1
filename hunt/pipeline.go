package hunt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/store"
)

// PeerFinder finds addresses said to be peers of a torrent: the DHT's
// get_peers. Safe for concurrent use.
type PeerFinder interface {
	GetPeers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error)
}

// MetadataFetcher fetches an info dictionary from peers and returns its
// raw bytes once their hash equals the infohash and they passed the
// bencode pre-check. Safe for concurrent use.
type MetadataFetcher interface {
	Fetch(ctx context.Context, ih fingerprint.InfoHash, peers []netip.AddrPort) ([]byte, error)
}

// Prober probes one peer of a torrent and grades what it did.
type Prober interface {
	Probe(ctx context.Context, target evidence.Target, addr netip.AddrPort, transport string) (evidence.ProbeResult, error)
}

// TrackerHarvester asks a torrent's trackers for peers without announcing
// us as one. Each returned observation is L1.
type TrackerHarvester interface {
	Harvest(ctx context.Context, ih fingerprint.InfoHash, trackers []string) ([]evidence.Observation, error)
}

// Config wires the pipeline. Nil components switch their stage off.
type Config struct {
	// Sources find sightings (DHT node, web crawlers, feeds).
	Sources []crawler.Source
	// Peers finds peers in the DHT, for metadata fetches and harvesting.
	Peers PeerFinder
	// Fetcher fetches metadata of new infohashes (BEP 9).
	Fetcher MetadataFetcher
	// Prober probes the peers of watched torrents; nil means no probing
	// (harvested addresses are still recorded at L1).
	Prober Prober
	// Trackers harvests peers from the trackers a torrent names.
	Trackers TrackerHarvester
	// ED2K probes the sources of ed2k files; nil means no ed2k probing
	// (sources are still recorded at L1).
	ED2K ED2KProber
	// ED2KSources finds sources of the catalogued documents' ed2k files
	// (Kad source searches); nil means only ed2k links name sources.
	ED2KSources ED2KSourceFinder
	// Clock measures our clock offset for L1 observations; nil records
	// "unsynchronized".
	Clock *evidence.Clock
	// Keys sign checkpoints of the evidence log.
	Keys *evidence.Keys
	// MaxFetches bounds concurrent metadata fetches.
	MaxFetches int
	// MaxProbes bounds concurrent probes.
	MaxProbes int
	// QueueSize bounds the sightings waiting to be handled; sources block
	// when it is full.
	QueueSize int
	// ProbeInterval is how often each watched torrent is harvested and its
	// peers probed again (first-seen and last-seen come from these rounds).
	ProbeInterval time.Duration
	// CheckpointInterval is how often a checkpoint is signed (and always at
	// the end).
	CheckpointInterval time.Duration
	// RetryFailedAfter is how long an infohash whose metadata could not be
	// fetched is ignored before a new sighting may try again.
	RetryFailedAfter time.Duration
	// ClaimTTL is how long a claim on an infohash's metadata fetch holds
	// in a store shared by several sensors (see [store.Store.ClaimFetch]):
	// the claim of a sensor that died runs out after it.
	ClaimTTL time.Duration
	// Self holds the local addresses of our own connections, which are
	// never recorded as peers; nil makes a new one. Give the same set to
	// the fetcher's and the prober's dialers.
	Self *SelfSet
	// Watch turns on the watch stage: harvesting and probing the peers of
	// watched torrents. Crawling alone leaves it off.
	Watch bool
	// Transports are tried in order for each probe until one connects.
	Transports []string
	// AllowLoopback and AllowPrivate let loopback and private peer
	// addresses be recorded and probed (local test swarms). Addresses the
	// policy refuses are dropped wherever they come from (DHT, trackers,
	// PEX, links, earlier runs) and counted in [Round.Refused].
	AllowLoopback, AllowPrivate bool
	// Version is recorded in L1 observations.
	Version string
	// Logger receives logs (default: discard).
	Logger *slog.Logger
}

// DefaultConfig returns the production defaults; components are nil.
func DefaultConfig() Config {
	return Config{
		MaxFetches:         64,
		MaxProbes:          16,
		QueueSize:          4096,
		ProbeInterval:      10 * time.Minute,
		CheckpointInterval: 5 * time.Minute,
		RetryFailedAfter:   30 * time.Minute,
		ClaimTTL:           5 * time.Minute,
		Transports:         []string{"tcp", "utp"},
		Watch:              true,
		Version:            version.String(),
	}
}

// Pipeline runs sources → dedupe → metadata → match → watch → harvest →
// probe → store. Create it with [New]; Run it once.
type Pipeline struct {
	cfg Config
	s   *store.Store
	rec *Recorder
	log *slog.Logger

	seenMu sync.Mutex
	seen   map[fingerprint.InfoHash]struct{}  // fetched (also in the store's seen set)
	failed map[fingerprint.InfoHash]time.Time // fetch failed; retry after RetryFailedAfter
	busy   map[fingerprint.InfoHash]struct{}  // fetch queued or running

	obs         chan pendingObs
	writeFailed chan struct{} // closed when the writer stopped on an error

	watchMu sync.Mutex
	watchAt time.Time
	watched map[fingerprint.InfoHash]string // watched infohash → proven document

	peerMu    sync.Mutex
	peerLevel map[string]evidence.Level // best level per infohash/ip/port this run

	clockMu   sync.Mutex
	lastClock time.Time // when the last clock measurement logged was made

	queues    atomic.Pointer[queues] // set by Run
	catalogCh chan struct{}          // CatalogChanged → catalogLoop
	ed2k      ed2kState

	st struct {
		sightings, newIH, metaOK, metaFail, dropped, torrents, matches, proven, probes, observations atomic.Int64
		byLevel, obsByLevel, probesByLevel                                                           [evidence.NumLevels]atomic.Int64
		rematched                                                                                    atomic.Int64
		sourceMu                                                                                     sync.Mutex
		bySource                                                                                     map[string]int64
	}
}

// queues are a running pipeline's queues, for [Pipeline.Stats].
type queues struct {
	sightings chan crawler.Sighting
	fetches   chan fetchJob
}

// New makes a pipeline over a store and its catalog. It loads the seen set
// so that a resumed hunt does not fetch again what it has seen.
func New(s *store.Store, rec *Recorder, cfg Config) (*Pipeline, error) {
	def := DefaultConfig()
	if cfg.MaxFetches <= 0 {
		cfg.MaxFetches = def.MaxFetches
	}
	if cfg.MaxProbes <= 0 {
		cfg.MaxProbes = def.MaxProbes
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = def.QueueSize
	}
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = def.ProbeInterval
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = def.CheckpointInterval
	}
	if cfg.RetryFailedAfter <= 0 {
		cfg.RetryFailedAfter = def.RetryFailedAfter
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = def.ClaimTTL
	}
	if len(cfg.Transports) == 0 {
		cfg.Transports = def.Transports
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Self == nil {
		cfg.Self = NewSelfSet()
	}
	p := &Pipeline{cfg: cfg, s: s, rec: rec, log: cfg.Logger,
		seen: map[fingerprint.InfoHash]struct{}{}, failed: map[fingerprint.InfoHash]time.Time{}, busy: map[fingerprint.InfoHash]struct{}{},
		obs: make(chan pendingObs, ObservationQueue), writeFailed: make(chan struct{}), peerLevel: map[string]evidence.Level{},
		catalogCh: make(chan struct{}, 1)}
	if err := s.ForEachSeen(func(ih fingerprint.InfoHash) { p.seen[ih] = struct{}{} }); err != nil {
		return nil, fmt.Errorf("load seen set: %w", err)
	}
	return p, nil
}

// Run runs until ctx is done (or every source is exhausted and watch is
// off). On the way out it finishes in-flight writes and signs a checkpoint,
// then returns ctx's error. A Pipeline runs once: Run or Watch, not both.
func (p *Pipeline) Run(ctx context.Context) error {
	return p.withWriter(ctx, func(ctx context.Context) error {
		g, gctx := errgroup.WithContext(ctx)
		sightings := make(chan crawler.Sighting, p.cfg.QueueSize)
		var sources sync.WaitGroup
		for _, src := range p.cfg.Sources {
			sources.Add(1)
			g.Go(func() error {
				defer sources.Done()
				err := src.Discover(gctx, func(s crawler.Sighting) {
					select {
					case sightings <- s:
					case <-gctx.Done():
					}
				})
				if err != nil && gctx.Err() == nil {
					p.log.Warn("source stopped", "source", src.Name(), "err", err)
				}
				return nil
			})
		}
		go func() { sources.Wait(); close(sightings) }()

		fetches := make(chan fetchJob, p.cfg.QueueSize)
		p.queues.Store(&queues{sightings: sightings, fetches: fetches})
		// Two senders of fetches: the sightings, and catalogue changes
		// (which end with the sightings); the last one out closes it.
		var senders sync.WaitGroup
		sightingsDone := make(chan struct{})
		senders.Add(2)
		g.Go(func() error {
			defer senders.Done()
			defer close(sightingsDone)
			for s := range sightings {
				p.handleSighting(gctx, s, fetches)
			}
			return nil
		})
		g.Go(func() error {
			defer senders.Done()
			p.catalogLoop(gctx, sightingsDone, fetches)
			return nil
		})
		go func() { senders.Wait(); close(fetches) }()
		g.Go(func() error { return p.fetchLoop(gctx, fetches) })
		g.Go(func() error { return p.watchLoop(gctx) })
		g.Go(func() error { return p.ed2kLoop(gctx) })
		// Checkpoints are signed while the stages run; when every stage has
		// ended (sources exhausted and watching off) the run is over.
		cpCtx, cpCancel := context.WithCancel(gctx)
		cpDone := make(chan struct{})
		go func() { defer close(cpDone); p.checkpointLoop(cpCtx) }()
		err := g.Wait()
		cpCancel()
		<-cpDone
		return err
	})
}

// Watch gives one torrent a harvest-and-probe round every ProbeInterval
// until ctx is done, or rounds rounds when rounds > 0, calling onRound
// after each. It then finishes writes and signs a checkpoint.
func (p *Pipeline) Watch(ctx context.Context, ih fingerprint.InfoHash, rounds int, onRound func(Round)) error {
	return p.rounds(ctx, rounds, onRound, func(ctx context.Context) (Round, error) { return p.WatchOnce(ctx, ih) })
}

// rounds runs once every ProbeInterval inside the writer until ctx is
// done, or rounds times when rounds > 0, calling onRound after each.
func (p *Pipeline) rounds(ctx context.Context, rounds int, onRound func(Round), once func(context.Context) (Round, error)) error {
	return p.withWriter(ctx, func(ctx context.Context) error {
		for i := 0; rounds <= 0 || i < rounds; i++ {
			r, err := once(ctx)
			if err != nil {
				return err
			}
			if onRound != nil {
				onRound(r)
			}
			if rounds > 0 && i == rounds-1 {
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(p.cfg.ProbeInterval):
			}
		}
		return nil
	})
}

// withWriter runs fn while the observation writer runs, then drains it and
// signs a final checkpoint. When the store refuses observations the run is
// stopped (fn's context is cancelled) and the store's error is returned:
// a hunt that cannot keep its evidence must not go on.
func (p *Pipeline) withWriter(ctx context.Context, fn func(context.Context) error) error {
	fnCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	writerDone := make(chan error, 1)
	go func() {
		err := p.writer()
		if err != nil {
			cancel()
		}
		writerDone <- err
	}()
	err := fn(fnCtx)
	close(p.obs)
	werr := <-writerDone
	if p.cfg.Keys != nil {
		if _, _, cerr := evidence.SignCheckpoint(p.s, p.cfg.Keys); cerr != nil {
			werr = errors.Join(werr, fmt.Errorf("sign final checkpoint: %w", cerr))
		}
	}
	if werr != nil {
		return werr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

type fetchJob struct {
	ih    fingerprint.InfoHash
	peers []netip.AddrPort
	src   string
}

// handleSighting matches what a sighting carries and queues new infohashes
// for a metadata fetch.
func (p *Pipeline) handleSighting(ctx context.Context, s crawler.Sighting, fetches chan<- fetchJob) {
	p.st.sightings.Add(1)
	p.countSighting(s.Source)
	source := s.Source
	if s.URL != "" {
		source += ":" + s.URL
	}
	if len(s.Torrent) > 0 {
		t, err := fingerprint.ParseTorrentFile(s.Torrent)
		if err != nil {
			p.log.Debug("bad torrent file", "url", s.URL, "err", err)
		} else {
			p.recordTorrent(t, source)
			p.markSeen(t.InfoHash)
		}
	}
	var linkPeers []netip.AddrPort
	ih := s.InfoHash
	if s.Link != "" {
		if l, err := fingerprint.ParseLink(s.Link); err == nil {
			ms, err := p.rec.Link(l, source)
			p.countMatches(ms, err)
			if ih.IsZero() {
				ih = l.BTIH
			}
			p.linkED2KSources(l, ms, source)
			for _, a := range l.Peers {
				if ap, err := netip.ParseAddrPort(a); err == nil && p.allowed(ap) {
					linkPeers = append(linkPeers, ap)
				}
			}
		}
	}
	if !s.FromDHT() {
		// Where a leak was advertised is L0 evidence worth keeping.
		kept := s
		kept.InfoHash, kept.Torrent = ih, nil
		if err := p.s.AddSightings([]crawler.Sighting{kept}); err != nil {
			p.log.Warn("store sighting", "err", err)
		}
	}
	if s.Peer != "" {
		if ap, err := netip.ParseAddrPort(s.Peer); err == nil && p.allowed(ap) {
			linkPeers = append(linkPeers, ap)
			p.announced(ctx, ih, ap, s)
		}
	}
	if ih.IsZero() || p.cfg.Fetcher == nil {
		return
	}
	if !p.claim(ih) {
		return
	}
	p.st.newIH.Add(1)
	select {
	case fetches <- fetchJob{ih: ih, peers: linkPeers, src: s.Source}:
	case <-ctx.Done():
	default:
		// The fetchers are behind: drop, and let a later sighting retry.
		p.st.dropped.Add(1)
		p.release(ih, false)
	}
}

// allowed reports whether the address policy lets ap be recorded and
// contacted.
func (p *Pipeline) allowed(ap netip.AddrPort) bool {
	pol := netpolicy.Policy{AllowLoopback: p.cfg.AllowLoopback, AllowPrivate: p.cfg.AllowPrivate}
	return pol.CheckAddrPort(ap) == nil
}

// claim marks ih as being fetched unless it was seen, is being fetched, or
// failed recently.
func (p *Pipeline) claim(ih fingerprint.InfoHash) bool {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	if _, ok := p.seen[ih]; ok {
		return false
	}
	if _, ok := p.busy[ih]; ok {
		return false
	}
	if t, ok := p.failed[ih]; ok && time.Since(t) < p.cfg.RetryFailedAfter {
		return false
	}
	p.busy[ih] = struct{}{}
	return true
}

func (p *Pipeline) release(ih fingerprint.InfoHash, failed bool) {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	delete(p.busy, ih)
	if failed {
		if len(p.failed) > 1_000_000 {
			clear(p.failed) // bounded memory; retrying early is harmless
		}
		p.failed[ih] = time.Now()
	}
}

func (p *Pipeline) markSeen(ih fingerprint.InfoHash) {
	p.seenMu.Lock()
	p.seen[ih] = struct{}{}
	p.seenMu.Unlock()
	if _, err := p.s.MarkSeen([]fingerprint.InfoHash{ih}); err != nil {
		p.log.Warn("mark seen", "err", err)
	}
}

func (p *Pipeline) fetchLoop(ctx context.Context, fetches <-chan fetchJob) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.cfg.MaxFetches)
	for job := range fetches {
		if gctx.Err() != nil {
			p.release(job.ih, false)
			continue
		}
		g.Go(func() error {
			p.fetch(gctx, job)
			return nil
		})
	}
	return g.Wait()
}

func (p *Pipeline) fetch(ctx context.Context, job fetchJob) {
	// In a shared store one sensor fetches each infohash: the claim runs
	// out if this one dies mid-fetch.
	if ok, err := p.s.ClaimFetch(job.ih, p.cfg.ClaimTTL); err != nil || !ok {
		if err != nil {
			p.log.Warn("claim fetch", "infohash", job.ih.String(), "err", err)
		}
		p.release(job.ih, false)
		return
	}
	p.fetchClaimed(ctx, job)
}

func (p *Pipeline) fetchClaimed(ctx context.Context, job fetchJob) {
	peers := job.peers
	if p.cfg.Peers != nil {
		more, err := p.cfg.Peers.GetPeers(ctx, job.ih)
		if err != nil {
			p.log.Debug("get_peers", "infohash", job.ih.String(), "err", err)
		}
		peers = append(peers, more...)
	}
	if len(peers) == 0 {
		p.st.metaFail.Add(1)
		p.release(job.ih, true)
		p.releaseClaim(job.ih)
		return
	}
	info, err := p.cfg.Fetcher.Fetch(ctx, job.ih, peers)
	if err != nil {
		p.st.metaFail.Add(1)
		p.log.Debug("metadata", "infohash", job.ih.String(), "err", err)
		p.release(job.ih, ctx.Err() == nil)
		p.releaseClaim(job.ih)
		return
	}
	p.st.metaOK.Add(1)
	p.log.Debug("metadata fetched", "infohash", job.ih.String(), "bytes", len(info))
	t, err := fingerprint.ParseInfo(info)
	if err != nil {
		p.log.Debug("bad metadata", "infohash", job.ih.String(), "err", err)
		p.release(job.ih, true)
		p.markSeen(job.ih)
		return
	}
	p.recordTorrent(t, job.src)
	p.markSeen(t.InfoHash)
	p.release(job.ih, false)
}

// releaseClaim gives up this sensor's claim on a fetch that failed, so
// that another sensor may try it.
func (p *Pipeline) releaseClaim(ih fingerprint.InfoHash) {
	if err := p.s.ReleaseFetch(ih); err != nil {
		p.log.Warn("release fetch claim", "infohash", ih.String(), "err", err)
	}
}

func (p *Pipeline) recordTorrent(t *fingerprint.Torrent, source string) {
	p.st.torrents.Add(1)
	ms, err := p.rec.Torrent(t, source)
	p.countMatches(ms, err)
}

func (p *Pipeline) countMatches(ms []fingerprint.Match, err error) {
	if err != nil {
		p.log.Warn("match", "err", err)
	}
	for _, m := range ms {
		p.st.matches.Add(1)
		if m.Verdict == fingerprint.VerdictProven {
			p.st.proven.Add(1)
			p.log.Info("proven match", "infohash", m.InfoHash, "document", m.DocumentName, "method", m.Method)
		}
	}
}

// pendingObs is an observation waiting for the writer, with the blobs it
// names (redacted transcript, match basis).
type pendingObs struct {
	o     evidence.Observation
	blobs [][]byte
}

// writer appends observations in batches: one transaction for everything
// that is waiting, so a burst of probes costs one commit. It stops at the
// first batch the store refuses: it closes writeFailed (so that record no
// longer waits for it) and returns the error.
func (p *Pipeline) writer() error {
	batch := make([]evidence.Observation, 0, 1024)
	var blobs [][]byte
	add := func(po pendingObs) {
		batch = append(batch, po.o)
		blobs = append(blobs, po.blobs...)
	}
	for po := range p.obs {
		add(po)
	drain:
		for len(batch) < cap(batch) {
			select {
			case po, ok := <-p.obs:
				if !ok {
					break drain
				}
				add(po)
			default:
				break drain
			}
		}
		if _, err := p.s.AppendEvidence(batch, blobs); err != nil {
			close(p.writeFailed)
			return fmt.Errorf("store %d observations: %w: the hunt stopped so that no more evidence is lost", len(batch), err)
		}
		p.st.observations.Add(int64(len(batch)))
		for i := range batch {
			if l := batch[i].Level; l.Valid() {
				p.st.obsByLevel[l].Add(1)
			}
		}
		batch, blobs = batch[:0], blobs[:0]
	}
	return nil
}

// record hands an observation to the writer and updates the level counts.
// blobs are what the observation names by hash (its transcript, its match
// basis); they are stored with it.
func (p *Pipeline) record(ctx context.Context, o evidence.Observation, blobs ...[]byte) {
	if o.Level < evidence.L0Listed || o.Level > evidence.L5FullCopy {
		p.log.Warn("observation with an impossible level dropped", "level", o.Level, "peer", o.IP)
		return
	}
	if !o.NamesPeer() {
		p.send(ctx, o, blobs)
		return
	}
	key := o.Subject() + "/" + o.IP + "/" + strconv.Itoa(o.Port)
	p.peerMu.Lock()
	old, ok := p.peerLevel[key]
	if !ok || o.Level > old {
		p.peerLevel[key] = o.Level
		if ok {
			p.st.byLevel[old].Add(-1)
		}
		p.st.byLevel[o.Level].Add(1)
	}
	p.peerMu.Unlock()
	p.send(ctx, o, blobs)
}

// send gives an observation its clock measurement and hands it to the
// writer.
func (p *Pipeline) send(ctx context.Context, o evidence.Observation, blobs [][]byte) {
	if o.Clock == nil && p.cfg.Clock != nil {
		if m, ok := p.cfg.Clock.At(o.Time, o.ClockOffset); ok {
			o.Clock = &m
		}
	}
	// Never drop evidence: block, even after cancellation (the writer
	// drains until the channel is closed), unless the writer has failed.
	_ = ctx
	select {
	case p.obs <- pendingObs{o, blobs}:
	case <-p.writeFailed:
	}
}

// measureClock measures the clock now (probe rounds do at their start and
// end), records the measurement in the log ([store.SourceClock]) and
// returns its offset text.
func (p *Pipeline) measureClock(ctx context.Context) string {
	if p.cfg.Clock == nil || ctx.Err() != nil {
		return evidence.Unsynchronized
	}
	m := p.cfg.Clock.Measure(ctx)
	p.clockMu.Lock()
	fresh := !m.MeasuredAt.Equal(p.lastClock)
	p.lastClock = m.MeasuredAt
	p.clockMu.Unlock()
	if fresh { // a measurement shared with the round before is logged once
		p.record(ctx, evidence.Observation{Time: m.MeasuredAt, ClockOffset: evidence.OffsetText(m), Clock: &m,
			Source: evidence.SourceClock, Version: p.cfg.Version})
	}
	return evidence.OffsetText(m)
}

func (p *Pipeline) checkpointLoop(ctx context.Context) error {
	if p.cfg.Keys == nil {
		return nil
	}
	t := time.NewTicker(p.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, _, err := evidence.SignCheckpoint(p.s, p.cfg.Keys); err != nil {
				p.log.Warn("checkpoint", "err", err)
			}
		}
	}
}

// Resolve makes sure the store has the info dictionary of ih: if not, it
// finds peers (DHT and the given ones), fetches the metadata, matches and
// records it. It returns the torrent's matches.
func (p *Pipeline) Resolve(ctx context.Context, ih fingerprint.InfoHash, peers []netip.AddrPort) ([]store.Match, error) {
	if t, err := p.s.Torrent(ih); err == nil && len(t.InfoBytes) > 0 {
		return p.s.MatchesFor(ih)
	}
	if p.cfg.Fetcher == nil {
		return nil, fmt.Errorf("torrent %s: metadata unknown and fetching is off", ih)
	}
	if p.cfg.Peers != nil {
		more, err := p.cfg.Peers.GetPeers(ctx, ih)
		if err != nil && len(peers) == 0 {
			return nil, fmt.Errorf("find peers of %s: %w", ih, err)
		}
		peers = append(peers, more...)
	}
	if len(peers) == 0 {
		return nil, fmt.Errorf("torrent %s: no peers found to fetch its metadata from", ih)
	}
	info, err := p.cfg.Fetcher.Fetch(ctx, ih, peers)
	if err != nil {
		return nil, fmt.Errorf("fetch metadata of %s: %w", ih, err)
	}
	t, err := fingerprint.ParseInfo(info)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", ih, err)
	}
	if _, err := p.rec.Watched(t, "watch"); err != nil {
		return nil, err
	}
	return p.s.MatchesFor(ih)
}

// announced records a DHT announce_peer naming a peer of a watched torrent
// as an L1 observation: someone said this address has the torrent.
func (p *Pipeline) announced(ctx context.Context, ih fingerprint.InfoHash, ap netip.AddrPort, s crawler.Sighting) {
	if !p.cfg.Watch || p.cfg.Self.Contains(ap) || ap.Port() == 0 {
		return
	}
	doc, ok := p.watchedDocument(ih)
	if !ok {
		return
	}
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	p.record(ctx, evidence.Observation{Time: t.UTC(), ClockOffset: p.clockOffset(ctx), Level: evidence.L1Announced,
		Source: "dht", Detail: "announce_peer", IP: ap.Addr().Unmap().String(), Port: int(ap.Port()),
		InfoHash: ih, Document: doc, Version: p.cfg.Version})
}

// watchedDocument reports whether ih is on the watchlist and the
// document it was proven to carry. The answer comes from a copy of the
// watchlist refreshed at most every few seconds, so a burst of announces
// costs no store reads.
func (p *Pipeline) watchedDocument(ih fingerprint.InfoHash) (string, bool) {
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	if time.Since(p.watchAt) > watchTick {
		p.watchAt = time.Now()
		list, err := p.s.Watchlist()
		if err == nil {
			m := make(map[fingerprint.InfoHash]string, len(list))
			for _, w := range list {
				doc := ""
				if ms, err := p.s.MatchesFor(w.InfoHash); err == nil {
					for _, mt := range ms {
						if mt.ProvesTorrent() {
							doc = mt.Document
							break
						}
					}
				}
				m[w.InfoHash] = doc
			}
			p.watched = m
		}
	}
	doc, ok := p.watched[ih]
	return doc, ok
}
