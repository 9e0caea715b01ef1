// Package hunt is leakhunt's pipeline: sources → dedupe → metadata →
// match → watch → harvest → probe → store. It is shared by the `hunt`,
// `crawl`, `watch`, `match` and `demo` commands.
//
// # Matching and recording
//
// [Recorder] matches torrents and links against the catalog and stores the
// torrent, its matches and, for proven ones, a watchlist entry.
//
// # Leaks shared as they are
//
// [PredictSource] does not wait for BEP 51 sampling to come across a
// document shared alone under its name: it predicts the infohashes common
// clients give such a torrent and looks them up with get_peers every round.
//
// # Harvest
//
// [TrackerHarvest] asks a torrent's trackers for peers as a leecher that
// serves nothing (port 0) and withdraws at once; [Pipeline.WatchOnce]
// records every address listed (L1) and probes each peer, trying TCP then
// uTP, each in plaintext then encrypted as the peer needs.
//
// # The eMule network
//
// [KadDiscovery] joins Kad and searches it by each catalogued document's
// name and ed2k hash: keyword hits are sightings, matched like any ed2k
// link; sources ([ED2KSource]) are leads. Every [Pipeline] round of an
// ed2k file ([Pipeline.WatchED2KOnce]) records the sources from Kad and
// from ed2k links (L1) and probes each over ed2k ([ED2KProber]) at most
// once per ProbeInterval, with the store's one user hash
// ([ED2KUserHash]). A link whose hash is not catalogued is a lead: its
// sources are never contacted ([ErrED2KLead]).
package hunt
