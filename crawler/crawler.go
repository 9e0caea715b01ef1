// Package crawler finds infohashes, metadata and peers. Its subpackages are
// the sources: [github.com/leakhunt/leakhunt/crawler/dht] (BEP 51 sampling and
// a listening node), crawler/metadata (BEP 9), crawler/web (index pages, RSS,
// Torznab) and crawler/tracker. The crawler finds; it never decides what
// matches.
package crawler

import (
	"context"
	"time"
)

// Sighting is something a source saw: an infohash, a link, or both.
type Sighting struct {
	Time time.Time
	// InfoHash is 40 hex digits (v1) when known.
	InfoHash string
	// Link is a magnet, ed2k or .torrent URL as found.
	Link string
	// Source names the source ("dht-sample", "dht-get_peers", "dht-announce", "web", "rss", "torznab").
	Source string
	// URL is the page or feed the link was found on.
	URL string
	// Name and Size are what the page or link said, if anything (data, not proof).
	Name string
	Size int64
	// Peer is set when the sighting names a peer (a DHT announce_peer): IP:port.
	Peer string
	// Torrent holds the bytes of a downloaded .torrent file, size-capped.
	Torrent []byte
}

// A Source finds sightings. Discover calls emit from its own goroutines
// (emit must be safe for concurrent use and may block for backpressure) and
// returns once ctx is done or the source is exhausted.
type Source interface {
	Name() string
	Discover(ctx context.Context, emit func(Sighting)) error
}
