package hunt

import (
	"context"
	"time"

	"github.com/leakhunt/leakhunt/crawler/tracker"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// TrackerHarvest asks every tracker a torrent names for its peers, through
// a tracker client that never registers us as a peer (see crawler/tracker).
// It implements [TrackerHarvester].
type TrackerHarvest struct {
	Harvester *evidence.Harvester
	Client    *tracker.Client
	// Store, if set, keeps each tracker's latest scrape counts for the
	// torrent (store.Scrape): how big the swarm says it is, beside what we
	// observed ourselves.
	Store *store.Store
}

var _ TrackerHarvester = TrackerHarvest{}

// Harvest returns one L1 observation per address the trackers listed. Our
// announce says we still need the whole torrent (its size, when the store
// knows it): we hold none of it.
func (t TrackerHarvest) Harvest(ctx context.Context, ih fingerprint.InfoHash, trackers []string) ([]evidence.Observation, error) {
	var left int64
	if t.Store != nil {
		if tor, err := t.Store.Torrent(ih); err == nil {
			left = tor.Size
		}
	}
	srcs := make([]evidence.HarvestSource, 0, len(trackers))
	for _, u := range trackers {
		srcs = append(srcs, evidence.HarvestSource{Name: "tracker", Detail: u, PeerSource: t.Client.Source(u, left)})
	}
	obs, err := t.Harvester.Harvest(ctx, ih, "", srcs)
	if t.Store != nil && len(trackers) > 0 && ctx.Err() == nil {
		t.scrape(ctx, ih, trackers)
	}
	return obs, err
}

// scrape asks every tracker for its counts and stores them; failures are
// recorded as such.
func (t TrackerHarvest) scrape(ctx context.Context, ih fingerprint.InfoHash, trackers []string) {
	recs := make([]store.Scrape, 0, len(trackers))
	for _, u := range trackers {
		c, err := t.Client.Scrape(ctx, u, ih)
		r := store.Scrape{Tracker: u, Time: time.Now().UTC(), Seeders: c.Seeders, Leechers: c.Leechers, Completed: c.Completed}
		if err != nil {
			r = store.Scrape{Tracker: u, Time: r.Time, Error: err.Error()}
		}
		recs = append(recs, r)
	}
	t.Store.PutScrapes(ih, recs) // counts are context, not evidence: best effort
}
