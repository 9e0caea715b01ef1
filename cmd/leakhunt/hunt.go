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

	"github.com/leakhunt/leakhunt/crawler/web"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/peerdial"
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
	fetchClaim    time.Duration
	ntp           listFlag
	allowLocal    bool
	rate          float64
	encryption    string
	dht           bool
	predict       bool
	networks      string
	kadNodes      listFlag
	nodesDat      listFlag
	kadListen     string
	keyFlags
	dash dashFlags // registered by hunt only
	// findings (not a flag) prints on stdout, at the end, what the run
	// found: crawl web.
	findings bool
	watch    bool      // not a flag: crawl turns the watch stage off
	stderr   io.Writer // not a flag: where warnings about the flags go
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
	fl.Var(&h.keywords, "keyword", "extra Torznab and Kad search `words` besides the catalog's document names (repeatable)")
	fl.StringVar(&h.profile, "profile", "", "site profiles `file` (JSON CSS selectors) for index pages")
	fl.IntVar(&h.maxPages, "max-pages", 20, "most pages followed from one start URL")
	fl.IntVar(&h.fetches, "fetches", 64, "concurrent metadata fetches")
	fl.IntVar(&h.probes, "probes", 16, "concurrent peer probes")
	fl.BoolVar(&h.probe, "probe", true, "probe the peers of matched torrents (false: record L1 listings only)")
	fl.BoolVar(&h.fullCopy, "full-copy", false, "download every piece of the document from each peer (L5) instead of enough for L4")
	fl.StringVar(&h.chase, "chase", "L4", "highest evidence `level` probes try to prove: L2 handshake only, L3 claims only (no content downloaded), L4 verified pieces holding min(document size, piece length) bytes of the document, L5 every piece")
	fl.DurationVar(&h.webInterval, "web-interval", time.Hour, "how often web pages and Torznab searches are repeated during a hunt (crawl web runs once)")
	fl.DurationVar(&h.fetchClaim, "fetch-claim", 5*time.Minute, "with a PostgreSQL --db: how `long` this sensor's claim on an infohash's metadata fetch holds; a sensor that dies loses its claims after it")
	fl.DurationVar(&h.probeInterval, "probe-interval", 10*time.Minute, "how often each matched torrent's peers are harvested and probed again")
	fl.DurationVar(&h.claimWait, "claim-wait", 10*time.Second, "how `long` a probe waits after the handshake for the peer to claim a piece of the document")
	fl.Var(&h.ntp, "ntp", "NTP servers to measure our clock against, all asked at each measurement; their majority must agree (default: 0-3.pool.ntp.org)")
	fl.BoolVar(&h.allowLocal, "allow-local", false, "allow loopback and private addresses (local test swarms: no public DHT router or NTP server is contacted unless named)")
	fl.Float64Var(&h.rate, "rate", 500, "DHT packets per second")
	fl.StringVar(&h.encryption, "encryption", "auto", "peer connection encryption (MSE/PE): `auto` (plaintext, then encrypted when a peer closes a plaintext handshake), prefer, require or off")
	fl.StringVar(&h.networks, "networks", "bittorrent,ed2k", "networks to hunt on: `bittorrent,ed2k` (the eMule network: ed2k links' sources and, with Kad contacts, Kad searches)")
	fl.Var(&h.kadNodes, "kad-node", "Kad node `ip:udp-port` to join Kad from (repeatable)")
	fl.Var(&h.nodesDat, "nodes-dat", "eMule nodes.dat `file` to join Kad from (repeatable; later hunts reuse the routing table kept in the store)")
	fl.StringVar(&h.kadListen, "kad-listen", "0.0.0.0:0", "UDP `address` of our Kad client (IPv4)")
	h.keyFlags.register(fl)
}

// applyNetworks sets the networks of --networks, --kad-node and
// --nodes-dat in opt.
func (h *huntFlags) applyNetworks(s *store.Store, opt *hunt.Options) error {
	bt := false
	for _, n := range strings.Split(h.networks, ",") {
		switch strings.TrimSpace(strings.ToLower(n)) {
		case "bittorrent":
			bt = true
		case "ed2k", "emule":
			opt.ED2K = true
		case "":
		default:
			return usagef("--networks: unknown network %q (bittorrent, ed2k)", n)
		}
	}
	if !bt && !opt.ED2K {
		return usagef("--networks: name at least one of bittorrent, ed2k")
	}
	if !bt {
		opt.DHT, opt.Predict = false, false
	}
	for _, p := range h.nodesDat {
		b, err := os.ReadFile(p)
		if err != nil {
			return usagef("--nodes-dat: %v", err)
		}
		opt.NodesDat = append(opt.NodesDat, b)
	}
	opt.KadNodes, opt.KadListen = h.kadNodes, h.kadListen
	opt.Kad = opt.ED2K && (len(opt.NodesDat) > 0 || len(opt.KadNodes) > 0 || hunt.KadTableKept(s))
	return nil
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

// options turns the flags into a hunt's options; keys are the store's
// signing keys. Flag values that make no sense are usage errors, and
// refused bootstrap nodes are named on stderr.
func (h *huntFlags) options(s *store.Store, log *slog.Logger) (hunt.Options, error) {
	opt := hunt.Options{
		DHT: h.dht, Listen: h.listen, Listen6: h.listen6, DHTRate: h.rate, Predict: h.predict,
		Web: h.web, MaxPages: h.maxPages, WebInterval: h.webInterval,
		Torznab: h.torznab, TorznabKey: h.torznabKey, Keywords: h.keywords,
		Fetches: h.fetches, Probes: h.probes, Probe: h.probe, ClaimWait: h.claimWait,
		FetchClaim: h.fetchClaim, ProbeInterval: h.probeInterval, Watch: h.watch, NTP: h.ntp, AllowLocal: h.allowLocal, Logger: log,
	}
	var err error
	if opt.Encryption, err = peerdial.ParseEncryption(h.encryption); err != nil {
		return opt, usagef("--encryption: %v", err)
	}
	if h.probe {
		if opt.Chase, err = parseLevel(h.chase); err != nil {
			return opt, err
		}
		if opt.Chase < evidence.L2Connected {
			return opt, usagef("--chase %s: probing proves L2 at least; use --probe=false to record listings only", h.chase)
		}
		if h.fullCopy {
			opt.Chase = evidence.L5FullCopy
		}
	}
	if h.profile != "" {
		if opt.Profiles, err = web.LoadProfiles(h.profile); err != nil {
			return opt, usagef("profile: %v", err)
		}
	}
	if err := h.applyNetworks(s, &opt); err != nil {
		return opt, err
	}
	if opt.DHT {
		if h.listen == "" && h.listen6 == "" {
			return opt, usagef("no DHT node to start: give --listen or --listen6")
		}
		stderr := h.stderr
		if stderr == nil {
			stderr = io.Discard
		}
		if opt.Bootstrap, err = bootstrapNodes(h, stderr); err != nil {
			return opt, err
		}
	}
	if opt.Keys, err = h.keys(s, ""); err != nil {
		return opt, err
	}
	return opt, nil
}

func runHunt(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "hunt", "[flags]\n\nCrawls the DHT and the web sources, matches everything seen against the catalog,\nand harvests and probes the peers of every match, storing graded evidence.")
	h := huntFlags{watch: true}
	h.register(fl)
	h.dash.register(fl, "")
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
	h.stderr = e.stderr
	h.dht = h.dht && withDHT
	if !withWeb {
		h.web, h.torznab = nil, ""
	}
	opt, err := h.options(s, log)
	if err != nil {
		return err
	}
	hu, err := hunt.Assemble(s, rec, opt)
	if err != nil {
		return err
	}
	defer hu.Close()
	ctx, cancel := h.bound(ctx)
	defer cancel()
	dcfg := dashboard.Config{Store: s, Hunt: hu.Pipeline, Sources: hu.SourceNames(), Keys: func() (*evidence.Keys, error) { return opt.Keys, nil }}
	if hu.DHT != nil {
		dcfg.DHT = hu.DHT
	}
	dash, err := startDashboard(ctx, e, c, h.dash, dcfg)
	if err != nil {
		return err
	}
	start := time.Now()
	stop := liveView(ctx, e, c, 30*time.Second, hu.Status)
	err = hu.Run(ctx)
	stop()
	if derr := dash.stop(); err == nil && ctx.Err() == nil {
		err = derr
	}
	if err = h.ended(err); err == nil && h.findings {
		err = printCrawlFindings(e, s, hu.Stats(), start)
	}
	return err
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
	h.findings = true
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
