// Package crawler finds infohashes, metadata and peers. Its subpackages are
// the sources: [github.com/leakhunt/leakhunt/crawler/dht] (BEP 51 sampling and
// a listening node), crawler/metadata (BEP 9), crawler/web (index pages, RSS,
// Torznab), crawler/tracker and crawler/kad (the eMule Kad network). The
// crawler finds; it never decides what matches.
package crawler

import (
	"context"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Sources of sightings.
const (
	SourceDHTSample    = "dht-sample"    // a BEP 51 sample_infohashes answer
	SourceDHTGetPeers  = "dht-get_peers" // a get_peers query our node heard
	SourceDHTAnnounce  = "dht-announce"  // an announce_peer our node heard
	SourceDHTPredicted = "dht-predicted" // an infohash predicted from a catalogued document, found in the DHT
	SourceWeb          = "web"           // an index page
	SourceRSS          = "rss"           // an RSS or Atom feed
	SourceTorznab      = "torznab"       // a Torznab search result
	SourceKad          = "kad"           // a Kad keyword search hit (eMule network)
)

// Sighting is something a source saw: an infohash, a link, or both. The
// store keeps those worth keeping (L0 evidence of where a leak was
// advertised) in this form.
type Sighting struct {
	Time time.Time `json:"time"`
	// InfoHash is the v1 infohash when known (zero otherwise).
	InfoHash fingerprint.InfoHash `json:"infohash,omitzero"`
	// Link is a magnet, ed2k or .torrent URL as found.
	Link string `json:"link,omitempty"`
	// Source names the source: one of the Source constants.
	Source string `json:"source"`
	// URL is the page or feed the link was found on.
	URL string `json:"url,omitempty"`
	// Name and Size are what the page or link said, if anything (data, not proof).
	Name string `json:"name,omitempty"`
	Size int64  `json:"size,omitempty"`
	// Peer is set when the sighting names a peer (a DHT announce_peer): IP:port.
	Peer string `json:"peer,omitempty"`
	// Torrent holds the bytes of a downloaded .torrent file, size-capped
	// (never stored with the sighting).
	Torrent []byte `json:"-"`
}

// FromDHT reports whether the sighting came from the DHT (samples, heard
// queries and announces, predicted infohashes): those are many and are not
// kept as L0 evidence.
func (s Sighting) FromDHT() bool {
	switch s.Source {
	case SourceDHTSample, SourceDHTGetPeers, SourceDHTAnnounce, SourceDHTPredicted:
		return true
	}
	return false
}

// A Source finds sightings. Discover calls emit from its own goroutines (emit
// must be safe for concurrent use and may block for backpressure) and
// returns once ctx is done or the source is exhausted.
type Source interface {
	Name() string
	Discover(ctx context.Context, emit func(Sighting)) error
}
