package hunt

import (
	"maps"

	"github.com/leakhunt/leakhunt/evidence"
)

// Stats are the pipeline's live counters.
type Stats struct {
	Sightings     int64
	NewInfohashes int64
	MetadataOK    int64
	MetadataFail  int64
	Dropped       int64
	Torrents      int64
	Matches       int64
	Proven        int64
	Probes        int64
	Observations  int64
	// PeersByLevel counts distinct peers by their best level so far in
	// this run.
	PeersByLevel [evidence.NumLevels]int64
	// ObservationsByLevel counts the observations written, by level.
	ObservationsByLevel [evidence.NumLevels]int64
	// ProbesByLevel counts finished probes (every transport tried) by
	// the level they proved; L1 is a probe that proved nothing beyond the
	// listing.
	ProbesByLevel [evidence.NumLevels]int64
	// SightingsBySource counts sightings by [crawler.Sighting] source.
	SightingsBySource map[string]int64
	// Rematched counts documents matched against the torrents recorded
	// before they were catalogued (see [Pipeline.CatalogChanged]).
	Rematched int64
	// QueueSightings, QueueFetches and QueueObservations are how many
	// sightings, metadata fetches and observations wait now; QueueSize
	// bounds the first two, [ObservationQueue] the last.
	QueueSightings, QueueFetches, QueueObservations int
}

// ObservationQueue bounds the observations waiting to be written.
const ObservationQueue = 1024

// maxSources bounds the distinct sources counted in
// [Stats.SightingsBySource]; more are counted as "other".
const maxSources = 32

// Stats returns a snapshot of the counters. Safe for concurrent use.
func (p *Pipeline) Stats() Stats {
	var s Stats
	s.Sightings, s.NewInfohashes = p.st.sightings.Load(), p.st.newIH.Load()
	s.MetadataOK, s.MetadataFail, s.Dropped = p.st.metaOK.Load(), p.st.metaFail.Load(), p.st.dropped.Load()
	s.Torrents, s.Matches, s.Proven = p.st.torrents.Load(), p.st.matches.Load(), p.st.proven.Load()
	s.Probes, s.Observations = p.st.probes.Load(), p.st.observations.Load()
	for i := range s.PeersByLevel {
		s.PeersByLevel[i] = p.st.byLevel[i].Load()
		s.ObservationsByLevel[i] = p.st.obsByLevel[i].Load()
		s.ProbesByLevel[i] = p.st.probesByLevel[i].Load()
	}
	s.Rematched = p.st.rematched.Load()
	p.st.sourceMu.Lock()
	s.SightingsBySource = maps.Clone(p.st.bySource)
	p.st.sourceMu.Unlock()
	if q := p.queues.Load(); q != nil {
		s.QueueSightings, s.QueueFetches = len(q.sightings), len(q.fetches)
	}
	s.QueueObservations = len(p.obs)
	return s
}

// countSighting counts a sighting by its source.
func (p *Pipeline) countSighting(source string) {
	p.st.sourceMu.Lock()
	defer p.st.sourceMu.Unlock()
	if p.st.bySource == nil {
		p.st.bySource = map[string]int64{}
	}
	if _, ok := p.st.bySource[source]; !ok && len(p.st.bySource) >= maxSources {
		source = "other"
	}
	p.st.bySource[source]++
}

// SourceNames names the pipeline's sources, in the order they were
// configured. Safe for concurrent use.
func (p *Pipeline) SourceNames() []string {
	names := make([]string, len(p.cfg.Sources))
	for i, s := range p.cfg.Sources {
		names[i] = s.Name()
	}
	return names
}
