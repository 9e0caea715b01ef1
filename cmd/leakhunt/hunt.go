package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/crawler/tracker"
	"github.com/leakhunt/leakhunt/crawler/web"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/store"
)

// listFlag is a repeatable flag that also accepts comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// huntFlags are the flags of hunt, crawl and watch.
type huntFlags struct {
	config        string
	bootstrap     listFlag
	listen        string
	listen6       string
	duration      time.Duration
	web           listFlag
	torznab       string
	torznabKey    string
	keywords      listFlag
	profile       string
	maxPages      int
	fetches       int
	probes        int
	probe         bool
	fullCopy      bool
	chase         string
	webInterval   time.Duration
	probeInterval time.Duration
	claimWait     time.Duration
	ntp           listFlag
	allowLocal    bool
	rate          float64
	encryption    string
	dht           bool
	predict       bool
	keyFlags
	watch  bool      // not a flag: crawl turns the watch stage off
	stderr io.Writer // not a flag: where warnings about the flags go
}

func (h *huntFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&h.config, "config", "", "JSON `file` of flag values (keys are flag names; command-line flags win)")
	fl.Var(&h.bootstrap, "bootstrap", "DHT bootstrap nodes `host:port,...` (default: the public routers, or none with --allow-local)")
	fl.BoolVar(&h.dht, "dht", true, "run a DHT node (false: no DHT at all; watch then harvests from trackers, PEX and earlier rounds)")
	fl.BoolVar(&h.predict, "predict", true, "every --probe-interval, look up in the DHT the infohashes common clients give each catalogued document shared alone under its name (v1, v2, hybrid; 16 KiB-16 MiB pieces)")
	fl.StringVar(&h.listen, "listen", "0.0.0.0:0", "UDP `address` of our IPv4 DHT node (a fixed port helps after restarts; empty: none)")
	fl.StringVar(&h.listen6, "listen6", "", "UDP `address` of an IPv6 DHT node too (BEP 32), e.g. [::]:6881")
	fl.DurationVar(&h.duration, "duration", 0, "stop after this `long` (0: until interrupted)")
	fl.Var(&h.web, "web", "index page or feed `URL` to crawl (repeatable)")
	fl.StringVar(&h.torznab, "torznab", "", "Torznab endpoint `URL` (Jackett, Prowlarr)")
	fl.StringVar(&h.torznabKey, "torznab-key", "", "Torznab API `key`")
	fl.Var(&h.keywords, "keyword", "extra Torznab search `words` besides the catalog's document names (repeatable)")
	fl.StringVar(&h.profile, "profile", "", "site profiles `file` (JSON CSS selectors) for index pages")
	fl.IntVar(&h.maxPages, "max-pages", 20, "most pages followed from one start URL")
	fl.IntVar(&h.fetches, "fetches", 64, "concurrent metadata fetches")
	fl.IntVar(&h.probes, "probes", 16, "concurrent peer probes")
	fl.BoolVar(&h.probe, "probe", true, "probe the peers of matched torrents (false: record L1 listings only)")
	fl.BoolVar(&h.fullCopy, "full-copy", false, "download every piece of the document from each peer (L5) instead of enough for L4")
	fl.StringVar(&h.chase, "chase", "L4", "highest evidence `level` probes try to prove: L2 handshake only, L3 claims only (no content downloaded), L4 verified pieces holding min(document size, piece length) bytes of the document, L5 every piece")
	fl.DurationVar(&h.webInterval, "web-interval", time.Hour, "how often web pages and Torznab searches are repeated during a hunt (crawl web runs once)")
	fl.DurationVar(&h.probeInterval, "probe-interval", 10*time.Minute, "how often each matched torrent's peers are harvested and probed again")
	fl.DurationVar(&h.claimWait, "claim-wait", 10*time.Second, "how `long` a probe waits after the handshake for the peer to claim a piece of the document")
	fl.Var(&h.ntp, "ntp", "NTP servers to measure our clock against, all asked at each measurement; their majority must agree (default: 0-3.pool.ntp.org)")
	fl.BoolVar(&h.allowLocal, "allow-local", false, "allow loopback and private addresses (local test swarms: no public DHT router or NTP server is contacted unless named)")
	fl.Float64Var(&h.rate, "rate", 500, "DHT packets per second")
	fl.StringVar(&h.encryption, "encryption", "auto", "peer connection encryption (MSE/PE): `auto` (plaintext, then encrypted when a peer closes a plaintext handshake), prefer, require or off")
	h.keyFlags.register(fl)
}

// bound applies --duration to ctx.
func (h *huntFlags) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.duration > 0 {
		return context.WithTimeout(ctx, h.duration)
	}
	return context.WithCancel(ctx)
}

// ended turns the end of --duration into a normal end.
func (h *huntFlags) ended(err error) error {
	if errors.Is(err, context.DeadlineExceeded) && h.duration > 0 {
		return nil
	}
	return err
}

// applyConfigFile sets, from a JSON object of flag names to values, every
// flag not given on the command line.
func applyConfigFile(fl *flag.FlagSet, path string) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return usagef("config: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return usagef("config %q: %v", path, err)
	}
	given := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for k, v := range m {
		if fl.Lookup(k) == nil {
			return usagef("config %q: unknown setting %q", path, k)
		}
		if given[k] {
			continue
		}
		var s string
		switch v := v.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, x := range v {
				parts[i] = fmt.Sprint(x)
			}
			s = strings.Join(parts, ",")
		default:
			s = fmt.Sprint(v)
		}
		if err := fl.Set(k, s); err != nil {
			return usagef("config %q: %s: %v", path, k, err)
		}
	}
	return nil
}

// components are what a pipeline run needs besides the store.
type components struct {
	node    *dht.Set
	sources []crawler.Source
	closers []func()
}

func (c *components) close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
}

// webSources builds the web, feed and Torznab sources.
func webSources(s *store.Store, h *huntFlags, log *slog.Logger) ([]crawler.Source, []func(), error) {
	var out []crawler.Source
	var closers []func()
	cfg := web.DefaultConfig()
	cfg.MaxPages = h.maxPages
	cfg.Interval = h.webInterval
	cfg.AllowLoopback = h.allowLocal
	cfg.AllowPrivate = h.allowLocal
	cfg.Logger = log
	cfg.UserAgent = "leakhunt/" + version.String()
	cfg.State = s.KV("web:")
	if h.profile != "" {
		ps, err := web.LoadProfiles(h.profile)
		if err != nil {
			return nil, nil, usagef("profile: %v", err)
		}
		cfg.Profiles = ps
	}
	if len(h.web) > 0 {
		c, err := web.New(cfg, h.web)
		if err != nil {
			return nil, nil, err
		}
		out, closers = append(out, c), append(closers, c.Close)
	}
	if h.torznab != "" {
		tz, err := web.NewTorznabSource(cfg, web.TorznabConfig{Endpoint: h.torznab, APIKey: h.torznabKey, Queries: h.keywords,
			QueryFunc: func(context.Context) ([]string, error) {
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
			}})
		if err != nil {
			return nil, nil, err
		}
		out, closers = append(out, tz), append(closers, tz.Close)
	}
	return out, closers, nil
}

// pipelineConfig wires the pipeline's components from the flags.
func pipelineConfig(s *store.Store, h *huntFlags, node *dht.Set, log *slog.Logger) (hunt.Config, error) {
	cfg := hunt.DefaultConfig()
	cfg.Logger = log
	cfg.Version = version.String()
	cfg.MaxFetches, cfg.MaxProbes = h.fetches, h.probes
	cfg.ProbeInterval = h.probeInterval
	cfg.Self = hunt.NewSelfSet()
	cfg.AllowLoopback, cfg.AllowPrivate = h.allowLocal, h.allowLocal
	mcfg := metadata.DefaultConfig()
	mcfg.Logger = log
	mcfg.AllowLoopback, mcfg.AllowPrivate = h.allowLocal, h.allowLocal
	enc, err := peerdial.ParseEncryption(h.encryption)
	if err != nil {
		return cfg, usagef("--encryption: %v", err)
	}
	// One dialer for fetches and probes: at most one connection to a host
	// at a time, whichever opened it.
	dialer := peerDialer(h.allowLocal, cfg.Self)
	mcfg.Dialer, mcfg.Encryption = dialer, enc
	cfg.Fetcher = metadata.New(mcfg)
	if node != nil {
		cfg.Peers = node
	}
	ccfg := evidence.DefaultClockConfig()
	if len(h.ntp) > 0 {
		ccfg.Servers = h.ntp
	}
	if h.allowLocal && len(h.ntp) == 0 {
		ccfg.Servers = nil // a local swarm is offline: do not ask the internet
	}
	cfg.Clock = evidence.NewClock(ccfg)
	if h.probe {
		pcfg := evidence.DefaultConfig()
		pcfg.Version = version.String()
		pcfg.Clock = cfg.Clock
		chase, err := parseLevel(h.chase)
		if err != nil {
			return cfg, err
		}
		if chase < evidence.L2Connected {
			return cfg, usagef("--chase %s: probing proves L2 at least; use --probe=false to record listings only", h.chase)
		}
		pcfg.FullCopy = h.fullCopy || chase == evidence.L5FullCopy
		if chase < evidence.L4Served {
			pcfg.MaxLevel = chase
		}
		pcfg.Concurrency = h.probes
		pcfg.ClaimWait = h.claimWait
		pcfg.Logger = log
		pcfg.Dialer, pcfg.Encryption = dialer, enc
		pcfg.AllowLoopback, pcfg.AllowPrivate = h.allowLocal, h.allowLocal
		cfg.Prober = evidence.NewProber(pcfg)
	}
	tcfg := tracker.DefaultConfig()
	tcfg.AllowPrivate = h.allowLocal
	tcfg.UserAgent = "leakhunt/" + version.String()
	tcfg.Logger = log
	hcfg := evidence.DefaultHarvestConfig()
	hcfg.Version, hcfg.Clock, hcfg.Logger = version.String(), cfg.Clock, log
	cfg.Trackers = hunt.TrackerHarvest{Harvester: evidence.NewHarvester(hcfg), Client: tracker.New(tcfg), Store: s}
	keys, err := h.keys(s, "")
	if err != nil {
		return cfg, err
	}
	cfg.Keys = keys
	return cfg, nil
}

func runHunt(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "hunt", "[flags]\n\nCrawls the DHT and the web sources, matches everything seen against the catalog,\nand harvests and probes the peers of every match, storing graded evidence.")
	h := huntFlags{watch: true}
	h.register(fl)
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := applyConfigFile(fl, h.config); err != nil {
		return err
	}
	return huntWith(ctx, e, c, &h, true, true)
}

// huntWith runs the pipeline with the DHT and/or the web sources.
func huntWith(ctx context.Context, e *env, c *common, h *huntFlags, withDHT, withWeb bool) error {
	log := c.logger(e)
	s, err := c.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	rec, err := hunt.NewRecorder(s)
	if err != nil {
		return err
	}
	var comp components
	defer comp.close()
	if withDHT && h.dht {
		h.stderr = e.stderr
		n, err := startDHT(s, h, log)
		if err != nil {
			return err
		}
		comp.node = n
		comp.sources = append(comp.sources, n.Sources()...)
		if h.predict {
			comp.sources = append(comp.sources, hunt.NewPredictSource(s, n, hunt.PredictConfig{Interval: h.probeInterval, Logger: log}))
		}
		comp.closers = append(comp.closers, func() {
			if err := n.Save(); err != nil {
				e.printf("save DHT nodes: %v", err)
			}
			n.Close()
		})
	}
	if withWeb {
		srcs, closers, err := webSources(s, h, log)
		if err != nil {
			return err
		}
		comp.sources = append(comp.sources, srcs...)
		comp.closers = append(comp.closers, closers...)
	}
	cfg, err := pipelineConfig(s, h, comp.node, log)
	if err != nil {
		return err
	}
	cfg.Sources = comp.sources
	cfg.Watch = h.watch
	p, err := hunt.New(s, rec, cfg)
	if err != nil {
		return err
	}
	ctx, cancel := h.bound(ctx)
	defer cancel()
	stop := liveView(ctx, e, c, 30*time.Second, func(el time.Duration) []string {
		return statusLines(el, p.Stats(), comp.node)
	})
	if comp.node != nil {
		// Save the node table now and then, not only at exit: after a
		// crash the next run still starts from known nodes.
		saveCtx, cancelSave := context.WithCancel(ctx)
		defer cancelSave()
		go func() {
			t := time.NewTicker(5 * time.Minute)
			defer t.Stop()
			for {
				select {
				case <-saveCtx.Done():
					return
				case <-t.C:
					if err := comp.node.Save(); err != nil {
						log.Warn("save DHT nodes", "err", err)
					}
				}
			}
		}()
	}
	err = p.Run(ctx)
	stop()
	return h.ended(err)
}

func statusLines(el time.Duration, st hunt.Stats, n *dht.Set) []string {
	var lines []string
	if n != nil {
		ds := n.Stats()
		rate := 0.0
		if el > 0 {
			rate = float64(ds.SamplesReceived) / el.Seconds()
		}
		lines = append(lines, fmt.Sprintf("dht      %d nodes, %d sampled (%.0f/s), %d get_peers / %d announces heard", ds.NodesInTable+ds.NodesTracked, ds.SamplesReceived, rate, ds.GetPeersHeard, ds.AnnouncesHeard))
	}
	lines = append(lines,
		fmt.Sprintf("pipeline %s: %d sightings, %d new infohashes, metadata %d ok / %d failed, %d dropped", el, st.Sightings, st.NewInfohashes, st.MetadataOK, st.MetadataFail, st.Dropped),
		fmt.Sprintf("matches  %d (%d proven) in %d torrents", st.Matches, st.Proven, st.Torrents),
		fmt.Sprintf("peers    L1 %d  L2 %d  L3 %d  L4 %d  L5 %d  (%d probes, %d observations)", st.PeersByLevel[1], st.PeersByLevel[2], st.PeersByLevel[3], st.PeersByLevel[4], st.PeersByLevel[5], st.Probes, st.Observations),
	)
	return lines
}

func runCrawlDHT(ctx context.Context, e *env, args []string) error {
	fl, c, h, err := crawlFlags(e, "dht", "[flags]", args)
	if err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("crawl dht: unexpected argument %q", fl.Arg(0))
	}
	return huntWith(ctx, e, c, h, true, false)
}

func runCrawlWeb(ctx context.Context, e *env, args []string) error {
	fl, c, h, err := crawlFlags(e, "web", "[flags] [URL...]", args)
	if err != nil {
		return err
	}
	h.web = append(h.web, fl.Args()...)
	if len(h.web) == 0 && h.torznab == "" {
		fl.Usage()
		return usagef("crawl web: give at least one URL, or --torznab")
	}
	return huntWith(ctx, e, c, h, false, true)
}

// crawlFlags parses the flags of crawl dht and crawl web: those of hunt,
// with probing and repeated web rounds off.
func crawlFlags(e *env, kind, usage string, args []string) (*flag.FlagSet, *common, *huntFlags, error) {
	fl, c := newFlags(e, "crawl "+kind, usage)
	var h huntFlags
	h.register(fl)
	if err := parse(fl, args); err != nil {
		return nil, nil, nil, err
	}
	if err := applyConfigFile(fl, h.config); err != nil {
		return nil, nil, nil, err
	}
	h.probe = false
	h.webInterval = 0
	return fl, c, &h, nil
}

// peerDialer is the dialer of metadata fetches and probes, under the
// address policy of --allow-local, remembering our own local addresses.
func peerDialer(allowLocal bool, self *hunt.SelfSet) *peerdial.Dialer {
	d := &peerdial.Dialer{OnDial: self.AddNet}
	if allowLocal {
		d.Policy = netpolicy.Local()
	}
	return d
}
