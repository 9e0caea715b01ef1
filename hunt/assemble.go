package hunt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/crawler/tracker"
	"github.com/leakhunt/leakhunt/crawler/web"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/store"
)

// Options are the settings of a whole hunt: which sources run, how the
// peers of matches are probed, and the address policy. The CLI's flags
// fill them; the demo and the validation run set them directly.
type Options struct {
	// DHT runs our DHT nodes (Listen, Listen6) for sampling, listening
	// and get_peers, their ID and tables kept in the store. Bootstrap nil
	// means the public routers; DHTRate bounds packets per second.
	DHT             bool
	Listen, Listen6 string
	Bootstrap       []string
	DHTRate         float64
	// Predict looks up, every ProbeInterval, the infohashes common
	// clients give each catalogued document shared alone (needs DHT).
	Predict bool

	// Web are index pages and feeds to crawl, at most MaxPages pages from
	// each, again every WebInterval (0: once). Profiles are site
	// profiles for index pages.
	Web         []string
	MaxPages    int
	WebInterval time.Duration
	Profiles    *web.Profiles
	// Torznab is a Torznab endpoint searched for the catalogue's
	// document names and Keywords, with TorznabKey.
	Torznab, TorznabKey string
	Keywords            []string

	// Fetches and Probes bound concurrent metadata fetches and probes.
	Fetches, Probes int
	// Probe probes the peers of matched torrents up to Chase (L2 to L5;
	// L5 downloads every piece of the document); without it harvested
	// peers are recorded at L1 only. ClaimWait is how long a probe waits
	// for a claim after the handshake (0: the prober's default).
	Probe     bool
	Chase     evidence.Level
	ClaimWait time.Duration
	// ProbeInterval is how often each matched torrent's peers are
	// harvested and probed again.
	ProbeInterval time.Duration
	// CheckpointInterval is how often a checkpoint is signed (0: the
	// pipeline's default).
	CheckpointInterval time.Duration
	// FetchClaim is how long this sensor's claim on a metadata fetch holds
	// in a store several sensors share (0: the pipeline's default).
	FetchClaim time.Duration
	// Watch turns on harvesting and probing the peers of matches.
	Watch bool
	// Encryption is how peer connections use MSE/PE.
	Encryption peerdial.Encryption
	// NTP servers measure our clock; nil means the default pool, or none
	// with AllowLocal (a local swarm is offline).
	NTP []string
	// AllowLocal allows loopback and private addresses (local swarms).
	AllowLocal bool
	// Keys sign the evidence log's checkpoints.
	Keys *evidence.Keys
	// ED2K probes, with Probe, the sources of catalogued documents on the
	// eMule network (ed2k links' sources), up to Chase (L2 to L4).
	ED2K bool
	// Kad (with ED2K) joins Kad from NodesDat (nodes.dat file contents),
	// KadNodes ("ip:udp-port") and the routing table kept in the store,
	// listening on KadListen (UDP, IPv4), and searches it for the
	// catalogued documents' sources and names, and Keywords.
	Kad       bool
	KadListen string
	KadNodes  []string
	NodesDat  [][]byte
	// Logger receives logs (default: discard).
	Logger *slog.Logger
}

// DefaultOptions are the settings of `leakhunt hunt` without flags.
func DefaultOptions() Options {
	return Options{
		DHT: true, Listen: "0.0.0.0:0", DHTRate: 500, Predict: true,
		MaxPages: 20, WebInterval: time.Hour,
		Fetches: 64, Probes: 16, Probe: true, Chase: evidence.L4Served,
		ProbeInterval: 10 * time.Minute, ClaimWait: 10 * time.Second, Watch: true, ED2K: true,
	}
}

// ErrChase is returned by [Assemble] when probing is asked for below L2,
// which any probe proves.
var ErrChase = errors.New("probing proves L2 at least; record listings only by turning probing off")

// Hunt is an assembled hunt: the pipeline with its sources, and the DHT
// nodes when there are any.
type Hunt struct {
	*Pipeline
	// DHT are our DHT nodes; nil without the DHT.
	DHT     *dht.Set
	log     *slog.Logger
	closers []func()
}

// Assemble builds a hunt over s, recording through rec: its DHT nodes,
// web and Torznab sources, metadata fetcher, prober, tracker harvester
// and clock, all under one address policy and one dialer. Close it when
// done.
func Assemble(s *store.Store, rec *Recorder, opt Options) (_ *Hunt, err error) {
	if opt.Probe && opt.Chase < evidence.L2Connected {
		return nil, ErrChase
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hunt{log: log}
	defer func() {
		if err != nil {
			h.Close()
		}
	}()
	var sources []crawler.Source
	if opt.DHT {
		if h.DHT, err = dht.NewSet(dht.SetConfig{Listen: opt.Listen, Listen6: opt.Listen6, Bootstrap: opt.Bootstrap,
			AllowLocal: opt.AllowLocal, RateLimit: opt.DHTRate, Logger: log, State: s.KV("dht.")}); err != nil {
			return nil, err
		}
		h.closers = append(h.closers, h.closeDHT)
		sources = append(sources, h.DHT.Sources()...)
		if opt.Predict {
			sources = append(sources, NewPredictSource(s, h.DHT, PredictConfig{Interval: opt.ProbeInterval, Logger: log}))
		}
	}
	ws, err := h.webSources(s, opt)
	if err != nil {
		return nil, err
	}
	sources = append(sources, ws...)
	var disc *KadDiscovery
	if opt.ED2K && opt.Kad {
		if disc, err = h.startKad(s, opt, log); err != nil {
			return nil, err
		}
		sources = append(sources, disc)
	}
	cfg := pipelineConfig(s, opt, log)
	if disc != nil {
		cfg.ED2KSources = disc
	}
	if opt.Probe && opt.ED2K {
		if cfg.ED2K, err = ed2kProber(s, opt, log); err != nil {
			return nil, err
		}
	}
	cfg.Sources = sources
	if h.DHT != nil {
		cfg.Peers = h.DHT
	}
	if h.Pipeline, err = New(s, rec, cfg); err != nil {
		return nil, err
	}
	return h, nil
}

// webSources builds the web, feed and Torznab sources.
func (h *Hunt) webSources(s *store.Store, opt Options) ([]crawler.Source, error) {
	if len(opt.Web) == 0 && opt.Torznab == "" {
		return nil, nil
	}
	cfg := web.DefaultConfig()
	cfg.MaxPages = opt.MaxPages
	cfg.Interval = opt.WebInterval
	cfg.AllowLoopback, cfg.AllowPrivate = opt.AllowLocal, opt.AllowLocal
	cfg.Logger = h.log
	cfg.UserAgent = "leakhunt/" + version.String()
	cfg.State = s.KV("web:")
	cfg.Profiles = opt.Profiles
	var out []crawler.Source
	if len(opt.Web) > 0 {
		c, err := web.New(cfg, opt.Web)
		if err != nil {
			return nil, err
		}
		out, h.closers = append(out, c), append(h.closers, c.Close)
	}
	if opt.Torznab != "" {
		tz, err := web.NewTorznabSource(cfg, web.TorznabConfig{Endpoint: opt.Torznab, APIKey: opt.TorznabKey,
			Queries: opt.Keywords, QueryFunc: catalogQueries(s)})
		if err != nil {
			return nil, err
		}
		out, h.closers = append(out, tz), append(h.closers, tz.Close)
	}
	return out, nil
}

// catalogQueries are Torznab searches for the catalogue's document names,
// read afresh at each search so that added documents are searched for.
func catalogQueries(s *store.Store) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) {
		docs, err := s.Documents()
		if err != nil {
			return nil, err
		}
		var qs []string
		for _, d := range docs {
			if q := web.QueryFromName(d.Name); q != "" {
				qs = append(qs, q)
			}
		}
		return qs, nil
	}
}

// pipelineConfig wires the fetcher, prober, tracker harvester and clock.
func pipelineConfig(s *store.Store, opt Options, log *slog.Logger) Config {
	cfg := DefaultConfig()
	cfg.Logger = log
	cfg.Keys = opt.Keys
	cfg.Watch = opt.Watch
	cfg.MaxFetches, cfg.MaxProbes = opt.Fetches, opt.Probes
	cfg.ProbeInterval = opt.ProbeInterval
	if opt.CheckpointInterval > 0 {
		cfg.CheckpointInterval = opt.CheckpointInterval
	}
	if opt.FetchClaim > 0 {
		cfg.ClaimTTL = opt.FetchClaim
	}
	cfg.Self = NewSelfSet()
	cfg.AllowLoopback, cfg.AllowPrivate = opt.AllowLocal, opt.AllowLocal
	// One dialer for fetches and probes: at most one connection to a host
	// at a time, whichever opened it.
	dialer := PeerDialer(opt.AllowLocal, cfg.Self)
	mcfg := metadata.DefaultConfig()
	mcfg.Logger = log
	mcfg.AllowLoopback, mcfg.AllowPrivate = opt.AllowLocal, opt.AllowLocal
	mcfg.Dialer, mcfg.Encryption = dialer, opt.Encryption
	cfg.Fetcher = metadata.New(mcfg)
	ccfg := evidence.DefaultClockConfig()
	if len(opt.NTP) > 0 {
		ccfg.Servers = opt.NTP
	} else if opt.AllowLocal {
		ccfg.Servers = nil // a local swarm is offline: do not ask the internet
	}
	cfg.Clock = evidence.NewClock(ccfg)
	if opt.Probe {
		pcfg := evidence.DefaultConfig()
		pcfg.Clock = cfg.Clock
		pcfg.FullCopy = opt.Chase >= evidence.L5FullCopy
		if opt.Chase < evidence.L4Served {
			pcfg.MaxLevel = opt.Chase
		}
		pcfg.Concurrency = opt.Probes
		if opt.ClaimWait > 0 {
			pcfg.ClaimWait = opt.ClaimWait
		}
		pcfg.Logger = log
		pcfg.Dialer, pcfg.Encryption = dialer, opt.Encryption
		pcfg.AllowLoopback, pcfg.AllowPrivate = opt.AllowLocal, opt.AllowLocal
		cfg.Prober = evidence.NewProber(pcfg)
	}
	tcfg := tracker.DefaultConfig()
	tcfg.AllowPrivate = opt.AllowLocal
	tcfg.UserAgent = "leakhunt/" + version.String()
	tcfg.Logger = log
	hcfg := evidence.DefaultHarvestConfig()
	hcfg.Clock, hcfg.Logger = cfg.Clock, log
	cfg.Trackers = TrackerHarvest{Harvester: evidence.NewHarvester(hcfg), Client: tracker.New(tcfg), Store: s}
	return cfg
}

// PeerDialer is the dialer of metadata fetches and probes, under the
// address policy of allowLocal, remembering our own local addresses in
// self.
func PeerDialer(allowLocal bool, self *SelfSet) *peerdial.Dialer {
	d := &peerdial.Dialer{OnDial: self.AddNet}
	if allowLocal {
		d.Policy = netpolicy.Local()
	}
	return d
}

// Run runs the pipeline until ctx ends, saving the DHT nodes' tables now
// and then, so that after a crash the next run still starts from known
// nodes.
func (h *Hunt) Run(ctx context.Context) error {
	if h.DHT != nil {
		saveCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			t := time.NewTicker(5 * time.Minute)
			defer t.Stop()
			for {
				select {
				case <-saveCtx.Done():
					return
				case <-t.C:
					if err := h.DHT.Save(); err != nil {
						h.log.Warn("save DHT nodes", "err", err)
					}
				}
			}
		}()
	}
	return h.Pipeline.Run(ctx)
}

func (h *Hunt) closeDHT() {
	if err := h.DHT.Save(); err != nil {
		h.log.Warn("save DHT nodes", "err", err)
	}
	h.DHT.Close()
}

// Close stops the sources and the DHT nodes, saving their tables.
func (h *Hunt) Close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	h.closers = nil
}

// Status is the hunt's state in a few lines, for a terminal: the DHT
// nodes' counters, when there are nodes, and the pipeline's.
func (h *Hunt) Status(elapsed time.Duration) []string {
	st := h.Stats()
	var lines []string
	if h.DHT != nil {
		ds := h.DHT.Stats()
		rate := 0.0
		if elapsed > 0 {
			rate = float64(ds.SamplesReceived) / elapsed.Seconds()
		}
		lines = append(lines, fmt.Sprintf("dht      %d nodes, %d sampled (%.0f/s), %d get_peers / %d announces heard", ds.NodesInTable+ds.NodesTracked, ds.SamplesReceived, rate, ds.GetPeersHeard, ds.AnnouncesHeard))
	}
	return append(lines,
		fmt.Sprintf("pipeline %s: %d sightings, %d new infohashes, metadata %d ok / %d failed, %d dropped", elapsed, st.Sightings, st.NewInfohashes, st.MetadataOK, st.MetadataFail, st.Dropped),
		fmt.Sprintf("matches  %d (%d proven) in %d torrents", st.Matches, st.Proven, st.Torrents),
		fmt.Sprintf("peers    L1 %d  L2 %d  L3 %d  L4 %d  L5 %d  (%d probes, %d observations)", st.PeersByLevel[1], st.PeersByLevel[2], st.PeersByLevel[3], st.PeersByLevel[4], st.PeersByLevel[5], st.Probes, st.Observations),
	)
}
