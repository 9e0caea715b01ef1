package hunt

import (
	"context"

	"github.com/leakhunt/leakhunt/crawler/tracker"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// TrackerHarvest asks every tracker a torrent names for its peers, through
// a tracker client that never registers us as a peer (see crawler/tracker).
// It implements [TrackerHarvester].
type TrackerHarvest struct {
	Harvester *evidence.Harvester
	Client    *tracker.Client
}

var _ TrackerHarvester = TrackerHarvest{}

// Harvest returns one L1 observation per address the trackers listed.
func (t TrackerHarvest) Harvest(ctx context.Context, ih [20]byte, trackers []string) ([]store.Observation, error) {
	srcs := make([]evidence.HarvestSource, 0, len(trackers))
	for _, u := range trackers {
		srcs = append(srcs, evidence.HarvestSource{Name: "tracker", Detail: u, PeerSource: t.Client.Source(u)})
	}
	return t.Harvester.Harvest(ctx, ih, "", srcs)
}
