package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/hunt"
)

// Overview is the state of the hunt and the store at one moment: what the
// overview page, /api/overview, the event stream and /metrics show.
type Overview struct {
	Time time.Time `json:"time"`
	// Hunting is true while a hunt runs over the store; the pipeline's
	// counters (Hunt) count since it started.
	Hunting bool       `json:"hunting"`
	Uptime  float64    `json:"uptime_seconds"`
	Sources []string   `json:"sources,omitempty"`
	Hunt    *HuntStats `json:"hunt,omitempty"`
	DHT     *DHTStats  `json:"dht,omitempty"`
	// Rates are per second over the last sampling interval.
	Rates Rates `json:"rates"`
	// Peers counts the store's peers by their highest level.
	Peers      [evidence.NumLevels]int `json:"peers_by_level"`
	PeersTotal int                     `json:"peers"`
	Documents  int                     `json:"documents"`
	LogSize    int64                   `json:"log_size"`
	// Checkpoint is the last signed checkpoint: its tree size (-1: none)
	// and age (-1: unknown).
	CheckpointSize int64   `json:"checkpoint_size"`
	CheckpointAge  float64 `json:"checkpoint_age_seconds"`
}

// HuntStats are the running pipeline's counters (see [hunt.Stats]).
type HuntStats struct {
	Sightings         int64            `json:"sightings"`
	SightingsBySource map[string]int64 `json:"sightings_by_source,omitempty"`
	NewInfohashes     int64            `json:"new_infohashes"`
	FetchesOK         int64            `json:"fetches_ok"`
	FetchesFailed     int64            `json:"fetches_failed"`
	Dropped           int64            `json:"sightings_dropped"`
	Torrents          int64            `json:"torrents"`
	Matches           int64            `json:"matches"`
	Proven            int64            `json:"proven"`
	// ProbeAttempts counts connections tried (one per transport);
	// ProbesByLevel counts finished probes by the level they proved.
	ProbeAttempts       int64                     `json:"probe_attempts"`
	ProbesByLevel       [evidence.NumLevels]int64 `json:"probes_by_level"`
	Observations        int64                     `json:"observations"`
	ObservationsByLevel [evidence.NumLevels]int64 `json:"observations_by_level"`
	// PeersByLevel counts the peers seen in this run by their best level.
	PeersByLevel [evidence.NumLevels]int64 `json:"peers_by_level"`
	Rematched    int64                     `json:"documents_rematched"`
	Queues       Queues                    `json:"queues"`
}

// Queues are how many items wait in the pipeline's queues.
type Queues struct {
	Sightings    int `json:"sightings"`
	Fetches      int `json:"fetches"`
	Observations int `json:"observations"`
}

func huntStats(st hunt.Stats) *HuntStats {
	return &HuntStats{Sightings: st.Sightings, SightingsBySource: st.SightingsBySource, NewInfohashes: st.NewInfohashes,
		FetchesOK: st.MetadataOK, FetchesFailed: st.MetadataFail, Dropped: st.Dropped, Torrents: st.Torrents, Matches: st.Matches,
		Proven: st.Proven, ProbeAttempts: st.Probes, ProbesByLevel: st.ProbesByLevel, Observations: st.Observations,
		ObservationsByLevel: st.ObservationsByLevel, PeersByLevel: st.PeersByLevel, Rematched: st.Rematched,
		Queues: Queues{Sightings: st.QueueSightings, Fetches: st.QueueFetches, Observations: st.QueueObservations}}
}

// DHTStats are the DHT node set's counters.
type DHTStats struct {
	Nodes          int   `json:"nodes"`
	QueriesSent    int64 `json:"queries_sent"`
	Replies        int64 `json:"replies"`
	Timeouts       int64 `json:"timeouts"`
	ErrorReplies   int64 `json:"error_replies"`
	Samples        int64 `json:"samples_received"`
	GetPeersHeard  int64 `json:"get_peers_heard"`
	AnnouncesHeard int64 `json:"announces_heard"`
}

// packets counts the DHT packets sent and received.
func (d *DHTStats) packets() int64 {
	if d == nil {
		return 0
	}
	return d.QueriesSent + d.Replies + d.ErrorReplies + d.GetPeersHeard + d.AnnouncesHeard
}

// Rates are per-second rates.
type Rates struct {
	Sightings    float64 `json:"sightings"`
	Fetches      float64 `json:"fetches"`
	Probes       float64 `json:"probes"`
	Observations float64 `json:"observations"`
	DHTPackets   float64 `json:"dht_packets"`
}

// overviewTTL is how long one overview is shared by the requests, event
// streams and metric scrapes that ask for it.
const overviewTTL = time.Second

// overview returns the current overview, shared for overviewTTL.
func (s *Server) overview() Overview {
	s.ovMu.Lock()
	defer s.ovMu.Unlock()
	if !s.ovAt.IsZero() && time.Since(s.ovAt) < overviewTTL {
		return s.ov
	}
	s.ov, s.ovAt = s.readOverview(), time.Now()
	return s.ov
}

func (s *Server) readOverview() Overview {
	now := time.Now()
	ov := Overview{Time: now.UTC(), Uptime: now.Sub(s.started).Seconds(), Sources: s.cfg.Sources, CheckpointSize: -1, CheckpointAge: -1}
	if s.cfg.Hunt != nil {
		ov.Hunting, ov.Hunt = true, huntStats(s.cfg.Hunt.Stats())
	}
	if s.cfg.DHT != nil {
		d := s.cfg.DHT.Stats()
		ov.DHT = &DHTStats{Nodes: d.NodesInTable + d.NodesTracked, QueriesSent: d.QueriesSent, Replies: d.Replies, Timeouts: d.Timeouts,
			ErrorReplies: d.ErrorReplies, Samples: d.SamplesReceived, GetPeersHeard: d.GetPeersHeard, AnnouncesHeard: d.AnnouncesHeard}
	}
	if sn, err := s.peers.current(refreshEvery); err == nil && sn != nil {
		ov.Peers, ov.PeersTotal = sn.byLevel, len(sn.rows)
	}
	if n, err := s.cfg.Store.LogSize(); err == nil {
		ov.LogSize = n
	}
	if size, at, err := s.cfg.Store.LastCheckpoint(); err == nil {
		ov.CheckpointSize = size
		if !at.IsZero() {
			ov.CheckpointAge = max(0, now.Sub(at).Seconds())
		}
	}
	if docs, err := s.cfg.Store.Documents(); err == nil {
		ov.Documents = len(docs)
	}
	ov.Rates = s.hist.rates(ov)
	return ov
}

// sample is what the charts draw, kept every sampleEvery.
type sample struct {
	at           time.Time
	sightings    int64
	fetches      int64
	probes       int64
	observations int64
	dhtPackets   int64
	peers        [evidence.NumLevels]int
}

func sampleOf(ov Overview) sample {
	sm := sample{at: ov.Time, observations: ov.LogSize, dhtPackets: ov.DHT.packets(), peers: ov.Peers}
	if h := ov.Hunt; h != nil {
		sm.sightings, sm.fetches = h.Sightings, h.FetchesOK+h.FetchesFailed
		for _, n := range h.ProbesByLevel {
			sm.probes += n
		}
	}
	return sm
}

// history is a ring of samples; when full, every other sample is dropped
// so that it spans the whole run at a coarser step.
type history struct {
	mu      sync.Mutex
	max     int
	samples []sample
}

func newHistory(max int) *history { return &history{max: max} }

func (h *history) add(ov Overview) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.samples) >= h.max {
		kept := h.samples[:0]
		for i, sm := range h.samples {
			if i%2 == 0 {
				kept = append(kept, sm)
			}
		}
		h.samples = kept
	}
	h.samples = append(h.samples, sampleOf(ov))
}

func (h *history) all() []sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.samples)
}

// rates are the rates between the last sample and now.
func (h *history) rates(ov Overview) Rates {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.samples) == 0 {
		return Rates{}
	}
	a, b := h.samples[len(h.samples)-1], sampleOf(ov)
	d := b.at.Sub(a.at).Seconds()
	if d <= 0 {
		if len(h.samples) < 2 {
			return Rates{}
		}
		a = h.samples[len(h.samples)-2]
		d = b.at.Sub(a.at).Seconds()
	}
	per := func(x, y int64) float64 { return max(0, float64(y-x)/d) }
	return Rates{Sightings: per(a.sightings, b.sightings), Fetches: per(a.fetches, b.fetches), Probes: per(a.probes, b.probes),
		Observations: per(a.observations, b.observations), DHTPackets: per(a.dhtPackets, b.dhtPackets)}
}

// apiEvents streams the overview as server-sent events ("overview",
// every couple of seconds) until the client goes or the server stops.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", "10")
		http.Error(w, "too many event streams open", http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 5000\n\n")
	t := time.NewTicker(eventsInterval)
	defer t.Stop()
	for {
		b, err := json.Marshal(s.overview())
		if err != nil {
			return
		}
		// Each write has its own deadline: a stream lives long, a client
		// that stops reading does not.
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "event: overview\ndata: %s\n\n", b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}
