package evidence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/version"
)

// PeerSource lists the peers some index claims for an infohash: a DHT
// get_peers traversal, one tracker, ... Implementations bound their own
// work by ctx and return what they found with any error. Peers are L1
// leads only: anyone can put any address in these lists.
type PeerSource interface {
	Peers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error)
}

// HarvestSource is a PeerSource with the labels its observations carry.
type HarvestSource struct {
	// Name is the observation Source: "dht", "tracker", ...
	Name string
	// Detail is recorded in Observation.Detail (a tracker URL, ...).
	Detail string
	PeerSource
}

// HarvestConfig configures a [Harvester].
type HarvestConfig struct {
	// Timeout bounds each source's Peers call.
	Timeout time.Duration
	// Concurrency is how many sources are asked at once.
	Concurrency int
	// MaxPeers caps the peers taken from one source.
	MaxPeers int
	// Version is recorded in observations.
	Version string
	// Clock measures our clock offset; nil records "unsynchronized".
	Clock *Clock
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// DefaultHarvestConfig returns a HarvestConfig for real use.
func DefaultHarvestConfig() HarvestConfig {
	return HarvestConfig{Timeout: 30 * time.Second, Concurrency: 8, MaxPeers: 5000, Version: version.String()}
}

// Harvester turns peer lists into L1 observations. It is safe for
// concurrent use.
type Harvester struct {
	cfg    HarvestConfig
	logger *slog.Logger
}

// NewHarvester returns a Harvester. Zero fields take DefaultHarvestConfig
// values.
func NewHarvester(cfg HarvestConfig) *Harvester {
	def := DefaultHarvestConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = def.Concurrency
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = def.MaxPeers
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Harvester{cfg: cfg, logger: logger}
}

// Harvest asks every source for ih's peers and returns one L1 observation
// per (source, detail, peer), in source order. Sources that fail are
// reported in the joined error; the observations of the others are still
// returned.
func (h *Harvester) Harvest(ctx context.Context, ih fingerprint.InfoHash, document string, sources []HarvestSource) ([]Observation, error) {
	type result struct {
		peers []netip.AddrPort
		err   error
	}
	results := make([]result, len(sources))
	sem := make(chan struct{}, h.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, src := range sources {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i].err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			sctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
			defer cancel()
			peers, err := src.Peers(sctx, ih)
			results[i] = result{peers, err}
		}()
	}
	wg.Wait()
	offset := h.clockOffset(ctx)
	var obs []Observation
	var errs []error
	for i, src := range sources {
		r := results[i]
		if r.err != nil {
			errs = append(errs, fmt.Errorf("harvest %s %s: %w", src.Name, src.Detail, r.err))
		}
		h.logger.Debug("harvested", "source", src.Name, "detail", src.Detail, "peers", len(r.peers), "error", r.err)
		obs = append(obs, h.observations(ih, document, src.Name, src.Detail, offset, r.peers)...)
	}
	return obs, errors.Join(errs...)
}

func (h *Harvester) observations(ih fingerprint.InfoHash, document, source, detail, offset string, peers []netip.AddrPort) []Observation {
	now := time.Now().UTC()
	seen := make(map[netip.AddrPort]struct{}, len(peers))
	var out []Observation
	for _, p := range peers {
		p = netip.AddrPortFrom(p.Addr().Unmap(), p.Port())
		if !p.IsValid() || p.Port() == 0 || p.Addr().IsUnspecified() || p.Addr().IsMulticast() {
			continue
		}
		if _, dup := seen[p]; dup {
			continue
		}
		if len(out) >= h.cfg.MaxPeers {
			break
		}
		seen[p] = struct{}{}
		out = append(out, Observation{
			Time:        now,
			ClockOffset: offset,
			Level:       L1Announced,
			Source:      source,
			IP:          p.Addr().String(),
			Port:        int(p.Port()),
			InfoHash:    ih,
			Document:    document,
			Detail:      detail,
			Version:     h.cfg.Version,
		})
	}
	return out
}

func (h *Harvester) clockOffset(ctx context.Context) string {
	if h.cfg.Clock == nil {
		return Unsynchronized
	}
	return h.cfg.Clock.OffsetString(ctx)
}
