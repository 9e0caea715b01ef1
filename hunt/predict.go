package hunt

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// SourcePredicted is the Source of sightings of predicted infohashes.
const SourcePredicted = crawler.SourceDHTPredicted

// PredictConfig configures a [PredictSource].
type PredictConfig struct {
	// Interval is how often every prediction is looked up again (a
	// round); 0 looks once.
	Interval time.Duration
	// Concurrency bounds the get_peers lookups in flight.
	Concurrency int
	// Logger receives logs (default: discard).
	Logger *slog.Logger
}

// PredictSource finds a leak shared as it is, without waiting for BEP 51
// sampling to come across it: for every catalogued document it predicts
// the infohashes common clients produce when the file is shared alone
// under its catalogued name ([fingerprint.PredictInfoHashes]: v1, v2 and
// hybrid at every piece length from 16 KiB to 16 MiB) and looks each up
// with get_peers every round. An infohash with peers is emitted as a
// sighting carrying the predicted info dictionary itself (its hash is the
// infohash, so it is the torrent's metadata), which the pipeline matches,
// watches and probes like any other. It is a [crawler.Source]; safe for
// concurrent use.
type PredictSource struct {
	s     *store.Store
	peers PeerFinder
	cfg   PredictConfig
	log   *slog.Logger

	mu    sync.Mutex
	found map[fingerprint.InfoHash]bool // infohashes emitted in this run
}

var _ crawler.Source = (*PredictSource)(nil)

// NewPredictSource returns a source predicting the catalogue of s and
// looking predictions up through peers.
func NewPredictSource(s *store.Store, peers PeerFinder, cfg PredictConfig) *PredictSource {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &PredictSource{s: s, peers: peers, cfg: cfg, log: log, found: map[fingerprint.InfoHash]bool{}}
}

// Name returns SourcePredicted.
func (ps *PredictSource) Name() string { return SourcePredicted }

// Discover runs rounds until ctx is done (or once, with no Interval).
func (ps *PredictSource) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	for {
		if err := ps.round(ctx, emit); err != nil && ctx.Err() == nil {
			ps.log.Warn("predicted infohashes", "err", err)
		}
		if ps.cfg.Interval <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(ps.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// round looks every prediction of every document up once.
func (ps *PredictSource) round(ctx context.Context, emit func(crawler.Sighting)) error {
	docs, err := ps.s.Documents()
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ps.cfg.Concurrency)
	for _, d := range docs {
		preds, err := ps.predictions(d)
		if err != nil {
			ps.log.Warn("predict torrents", "document", d.SHA256, "err", err)
			continue
		}
		for _, p := range preds {
			ps.mu.Lock()
			done := ps.found[p.InfoHash]
			ps.mu.Unlock()
			if done {
				continue // the pipeline watches it already
			}
			ih := p.InfoHash
			g.Go(func() error {
				peers, err := ps.peers.GetPeers(gctx, ih)
				if err != nil || len(peers) == 0 {
					return nil
				}
				ps.log.Info("a predicted infohash has peers", "infohash", p.InfoHash, "document", d.Name, "creator", p.Creator, "piece_length", p.PieceLength, "peers", len(peers))
				s, err := ps.sighting(d, p)
				if err != nil {
					ps.log.Warn("predicted torrent", "infohash", p.InfoHash, "err", err)
					return nil
				}
				ps.mu.Lock()
				ps.found[p.InfoHash] = true
				ps.mu.Unlock()
				emit(s)
				return nil
			})
		}
	}
	return g.Wait()
}

// predictionsState is the store state key of a document's predicted
// infohashes, kept so that a restart does not hash the catalogue again.
func predictionsState(sha256 string) string { return "v1:" + sha256 }

// predictions returns a document's predicted infohashes (without info
// dictionaries), from the store or computed once.
func (ps *PredictSource) predictions(d store.Document) ([]fingerprint.Predicted, error) {
	key := predictionsState(d.SHA256)
	if b, ok := ps.s.KV("predicted:").Get(key); ok {
		var preds []fingerprint.Predicted
		if json.Unmarshal(b, &preds) == nil && len(preds) > 0 {
			return preds, nil
		}
	}
	f, err := ps.s.OpenDocument(d.SHA256)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	preds, err := fingerprint.PredictInfoHashes(f, d.Name, d.Size, d.BTv2Root)
	if err != nil {
		return nil, err
	}
	if b, err := json.Marshal(preds); err == nil {
		ps.s.KV("predicted:").Put(key, b) // a lost cache entry costs one more hashing pass
	}
	return preds, nil
}

// sighting builds the sighting of a predicted torrent found in the DHT: a
// .torrent of the predicted info dictionary, hashed again from the
// catalogued copy.
func (ps *PredictSource) sighting(d store.Document, p fingerprint.Predicted) (crawler.Sighting, error) {
	f, err := ps.s.OpenDocument(d.SHA256)
	if err != nil {
		return crawler.Sighting{}, err
	}
	defer f.Close()
	full, err := fingerprint.PredictTorrent(f, d.Name, d.Size, d.BTv2Root, p.Creator, p.PieceLength)
	if err != nil {
		return crawler.Sighting{}, err
	}
	if full.InfoHash != p.InfoHash {
		return crawler.Sighting{}, fmt.Errorf("the catalogued copy now predicts %s, not %s", full.InfoHash, p.InfoHash)
	}
	torrent := append(append([]byte("d4:info"), full.InfoBytes...), 'e')
	return crawler.Sighting{Time: time.Now().UTC(), InfoHash: p.InfoHash, Source: SourcePredicted,
		Name: d.Name, Size: d.Size, Torrent: torrent}, nil
}
