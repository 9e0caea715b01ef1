package dashboard

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leakhunt/leakhunt/evidence"
)

// metric is one leakhunt_ metric read from an [Overview].
type metric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(ov *Overview, emit func(v float64, labels ...string))
}

func newMetric(name, help string, kind prometheus.ValueType, labels []string, value func(*Overview, func(float64, ...string))) metric {
	return metric{prometheus.NewDesc("leakhunt_"+name, help, labels, nil), kind, value}
}

// huntMetric is a counter of the running pipeline.
func huntMetric(name, help string, v func(h *HuntStats) int64) metric {
	return newMetric(name, help, prometheus.CounterValue, nil, func(ov *Overview, emit func(float64, ...string)) {
		if ov.Hunt != nil {
			emit(float64(v(ov.Hunt)))
		}
	})
}

// dhtMetric is a counter of the DHT node set.
func dhtMetric(name, help string, v func(d *DHTStats) int64) metric {
	return newMetric(name, help, prometheus.CounterValue, nil, func(ov *Overview, emit func(float64, ...string)) {
		if ov.DHT != nil {
			emit(float64(v(ov.DHT)))
		}
	})
}

// byLevel emits one value per evidence level.
func byLevel[T int | int64](v *[evidence.NumLevels]T, emit func(float64, ...string)) {
	for l, n := range v {
		emit(float64(n), evidence.Level(l).String())
	}
}

func metricSet() []metric {
	level := []string{"level"}
	return []metric{
		huntMetric("metadata_fetches_ok_total", "Metadata (BEP 9) fetches that succeeded.", func(h *HuntStats) int64 { return h.FetchesOK }),
		huntMetric("metadata_fetches_failed_total", "Metadata (BEP 9) fetches that failed.", func(h *HuntStats) int64 { return h.FetchesFailed }),
		huntMetric("sightings_dropped_total", "New infohashes dropped because the fetch queue was full.", func(h *HuntStats) int64 { return h.Dropped }),
		huntMetric("torrents_total", "Info dictionaries matched against the catalogue.", func(h *HuntStats) int64 { return h.Torrents }),
		huntMetric("matches_total", "Matches found (proven and leads).", func(h *HuntStats) int64 { return h.Matches }),
		huntMetric("matches_proven_total", "Proven matches found.", func(h *HuntStats) int64 { return h.Proven }),
		huntMetric("probe_attempts_total", "Peer connections tried (one per transport).", func(h *HuntStats) int64 { return h.ProbeAttempts }),
		newMetric("sightings_total", "Sightings by source.", prometheus.CounterValue, []string{"source"}, func(ov *Overview, emit func(float64, ...string)) {
			if ov.Hunt != nil {
				for src, n := range ov.Hunt.SightingsBySource {
					emit(float64(n), src)
				}
			}
		}),
		newMetric("probes_total", "Finished probes by the evidence level they proved (L1: nothing beyond the listing).", prometheus.CounterValue, level,
			func(ov *Overview, emit func(float64, ...string)) {
				if ov.Hunt != nil {
					byLevel(&ov.Hunt.ProbesByLevel, emit)
				}
			}),
		newMetric("observations_total", "Observations written to the evidence log by this hunt, by level.", prometheus.CounterValue, level,
			func(ov *Overview, emit func(float64, ...string)) {
				if ov.Hunt != nil {
					byLevel(&ov.Hunt.ObservationsByLevel, emit)
				}
			}),
		newMetric("queue_depth", "Items waiting in the pipeline's queues.", prometheus.GaugeValue, []string{"queue"}, func(ov *Overview, emit func(float64, ...string)) {
			if h := ov.Hunt; h != nil {
				emit(float64(h.Queues.Sightings), "sightings")
				emit(float64(h.Queues.Fetches), "fetches")
				emit(float64(h.Queues.Observations), "observations")
			}
		}),
		dhtMetric("dht_queries_sent_total", "DHT queries sent (sample_infohashes, find_node).", func(d *DHTStats) int64 { return d.QueriesSent }),
		dhtMetric("dht_replies_total", "DHT replies received.", func(d *DHTStats) int64 { return d.Replies }),
		dhtMetric("dht_timeouts_total", "DHT queries that timed out.", func(d *DHTStats) int64 { return d.Timeouts }),
		dhtMetric("dht_error_replies_total", "DHT error replies received.", func(d *DHTStats) int64 { return d.ErrorReplies }),
		dhtMetric("dht_get_peers_heard_total", "get_peers queries received.", func(d *DHTStats) int64 { return d.GetPeersHeard }),
		dhtMetric("dht_announces_heard_total", "announce_peer queries received.", func(d *DHTStats) int64 { return d.AnnouncesHeard }),
		dhtMetric("dht_samples_received_total", "Infohashes received in BEP 51 samples.", func(d *DHTStats) int64 { return d.Samples }),
		newMetric("peers", "Peers in the store by their highest evidence level.", prometheus.GaugeValue, level, func(ov *Overview, emit func(float64, ...string)) {
			byLevel(&ov.Peers, emit)
		}),
		newMetric("log_records", "Records in the evidence log.", prometheus.GaugeValue, nil, func(ov *Overview, emit func(float64, ...string)) {
			emit(float64(ov.LogSize))
		}),
		newMetric("documents", "Documents in the catalogue.", prometheus.GaugeValue, nil, func(ov *Overview, emit func(float64, ...string)) {
			emit(float64(ov.Documents))
		}),
		newMetric("checkpoint_records", "Records the last signed checkpoint covers.", prometheus.GaugeValue, nil, func(ov *Overview, emit func(float64, ...string)) {
			if ov.CheckpointSize >= 0 {
				emit(float64(ov.CheckpointSize))
			}
		}),
		newMetric("checkpoint_age_seconds", "Seconds since the last checkpoint was signed.", prometheus.GaugeValue, nil, func(ov *Overview, emit func(float64, ...string)) {
			if ov.CheckpointAge >= 0 {
				emit(ov.CheckpointAge)
			}
		}),
	}
}

// collector reads every metric from one overview per scrape.
type collector struct {
	s       *Server
	metrics []metric
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ov := c.s.overview()
	for _, m := range c.metrics {
		m.value(&ov, func(v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v, labels...)
		})
	}
}

// newMetrics builds the /metrics handler over a registry of its own (not
// the process-wide default), with the Go runtime's and the process's
// collectors beside leakhunt's.
func (s *Server) newMetrics() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{s: s, metrics: metricSet()},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, MaxRequestsInFlight: 4})
}
