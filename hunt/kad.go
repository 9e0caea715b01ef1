package hunt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// KadClient is what a [KadDiscovery] asks of the Kad client (*kad.Client).
type KadClient interface {
	Bootstrap(ctx context.Context) (int, error)
	SearchSources(ctx context.Context, hash [16]byte, size uint64) ([]kad.Source, error)
	SearchKeyword(ctx context.Context, query string) ([]kad.KeywordHit, error)
	RoutingTable() []byte
}

var _ KadClient = (*kad.Client)(nil)

// KadDiscovery is the eMule network's discovery: it joins Kad, searches it
// every Interval by the words of each catalogued document's name and by
// Keywords, emitting each hit as a sighting (L0: a name published for an
// ed2k hash, matched like any ed2k link), and, as the hunt's
// [ED2KSourceFinder], searches the sources of each document's ed2k hash
// (L1 leads, probed over ed2k). The Kad client paces its requests under
// aMule's per-IP limits. The routing table is kept in the store. Safe for
// concurrent use.
type KadDiscovery struct {
	c        KadClient
	s        *store.Store
	keywords []string
	interval time.Duration
	log      *slog.Logger
	joinOnce sync.Once
	joinErr  error
}

var (
	_ crawler.Source   = (*KadDiscovery)(nil)
	_ ED2KSourceFinder = (*KadDiscovery)(nil)
)

// kadTableKey is where the store keeps the Kad routing table (nodes.dat
// version 2 bytes).
const kadTableKey = "table"

// NewKadDiscovery runs discovery with c over the catalogue of s.
func NewKadDiscovery(c KadClient, s *store.Store, keywords []string, interval time.Duration, log *slog.Logger) *KadDiscovery {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	return &KadDiscovery{c: c, s: s, keywords: keywords, interval: interval, log: log}
}

// Name implements crawler.Source.
func (k *KadDiscovery) Name() string { return "kad" }

// join bootstraps once; later calls return the first outcome.
func (k *KadDiscovery) join(ctx context.Context) error {
	k.joinOnce.Do(func() {
		n, err := k.c.Bootstrap(ctx)
		k.log.Info("kad joined", "contacts", n, "err", err)
		k.joinErr = err
		k.save()
	})
	return k.joinErr
}

// save keeps the routing table in the store.
func (k *KadDiscovery) save() {
	if t := k.c.RoutingTable(); len(t) > 0 {
		if err := k.s.KV("kad.").Put(kadTableKey, t); err != nil {
			k.log.Warn("save kad routing table", "err", err)
		}
	}
}

// Discover implements crawler.Source: a keyword search round every
// interval until ctx ends.
func (k *KadDiscovery) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	if err := k.join(ctx); err != nil {
		return err
	}
	t := time.NewTicker(k.interval)
	defer t.Stop()
	for {
		for _, q := range k.queries() {
			hits, err := k.c.SearchKeyword(ctx, q)
			if err != nil && ctx.Err() == nil && !errors.Is(err, kad.ErrNoKeyword) {
				k.log.Debug("kad keyword search", "query", q, "err", err)
			}
			for _, h := range hits {
				emit(crawler.Sighting{Time: time.Now().UTC(), Link: h.Link(), Source: crawler.SourceKad,
					URL: "kad://" + h.Node.String() + "/keyword?q=" + q, Name: h.Name, Size: int64(min(h.Size, 1<<62))})
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		k.save()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// queries are the keyword searches of a round: each catalogued document's
// name (its words, all required) and each keyword, once each.
func (k *KadDiscovery) queries() []string {
	seen := map[string]bool{}
	var out []string
	add := func(q string) {
		if len(kad.Words(q)) > 0 && !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	docs, err := k.s.Documents()
	if err != nil {
		k.log.Warn("catalogue", "err", err)
	}
	for _, d := range docs {
		add(d.Name)
	}
	for _, w := range k.keywords {
		add(w)
	}
	return out
}

// FindED2KSources implements [ED2KSourceFinder] with a Kad source search.
// Sources that say they are firewalled cannot be probed directly and are
// left out.
func (k *KadDiscovery) FindED2KSources(ctx context.Context, h fingerprint.ED2KHash, size int64) ([]ED2KSource, error) {
	if err := k.join(ctx); err != nil {
		return nil, err
	}
	found, err := k.c.SearchSources(ctx, h, uint64(max(size, 0)))
	out := make([]ED2KSource, 0, len(found))
	for _, s := range found {
		if s.Firewalled() || !s.IP.IsValid() || s.TCPPort == 0 {
			continue
		}
		out = append(out, ED2KSource{Addr: s.Addr(), Source: evidence.SourceKad,
			Detail: fmt.Sprintf("source search answered by Kad node %s (source type %s)", s.Node, strconv.Itoa(int(s.Type)))})
	}
	return out, err
}

// KadConfig is the Kad client configuration of a hunt over s: our Kad ID
// and routing table as kept in the store (made on first use), contacts
// from nodes.dat files and given nodes.
func KadConfig(s *store.Store, listen string, nodesDat [][]byte, nodes []string, allowLocal bool, log *slog.Logger) (kad.Config, error) {
	cfg := kad.DefaultConfig()
	if listen != "" {
		cfg.ListenAddr = listen
	}
	cfg.AllowLocal, cfg.Logger = allowLocal, log
	kv := s.KV("kad.")
	if b, ok := kv.Get("id"); ok && len(b) == 16 {
		cfg.ID = kad.ID(b)
	} else {
		cfg.ID = kad.RandomID()
		if err := kv.Put("id", cfg.ID[:]); err != nil {
			return cfg, fmt.Errorf("keep the Kad ID: %w", err)
		}
	}
	if b, ok := kv.Get(kadTableKey); ok {
		cfg.RoutingTable = b
	}
	for i, b := range nodesDat {
		cs, err := kad.ParseNodesDat(b)
		if err != nil {
			return cfg, fmt.Errorf("nodes.dat %d: %w", i+1, err)
		}
		cfg.Contacts = append(cfg.Contacts, cs...)
	}
	for _, n := range nodes {
		ap, err := netip.ParseAddrPort(n)
		if err != nil || !ap.Addr().Unmap().Is4() {
			return cfg, fmt.Errorf("Kad node %q: want IPv4:UDP-port", n)
		}
		cfg.Contacts = append(cfg.Contacts, kad.Contact{Addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())})
	}
	return cfg, nil
}

// KadTableKept reports whether the store keeps a Kad routing table from
// an earlier hunt (so that Kad can be joined without nodes.dat).
func KadTableKept(s *store.Store) bool {
	b, ok := s.KV("kad.").Get(kadTableKey)
	return ok && len(b) > 0
}

// startKad opens the hunt's Kad client and its discovery; Close saves the
// routing table and closes the client.
func (h *Hunt) startKad(s *store.Store, opt Options, log *slog.Logger) (*KadDiscovery, error) {
	cfg, err := KadConfig(s, opt.KadListen, opt.NodesDat, opt.KadNodes, opt.AllowLocal, log)
	if err != nil {
		return nil, err
	}
	c, err := kad.New(cfg)
	if err != nil {
		return nil, err
	}
	disc := NewKadDiscovery(c, s, opt.Keywords, opt.ProbeInterval, log)
	h.closers = append(h.closers, func() {
		disc.save()
		c.Close()
	})
	return disc, nil
}
