// Package metadata fetches a torrent's info dictionary from peers (BEP 9
// over BEP 10) on raw connections, without anacrolix's torrent.Client,
// whose bencode decoder crashes the process on deeply nested metadata.
// Connections go through the shared peer dialer (internal/peerdial): TCP,
// then uTP ([Config.Transports]); plaintext, then MSE/PE when the peer ends
// or garbles the plaintext handshake ([Config.Encryption]); one connection
// to a host at a time, counting the prober's.
//
// A [Fetcher] connects to peers of an infohash, a few in parallel, and for
// each does the BitTorrent handshake, the extension handshake, and requests
// the metadata in 16 KiB pieces. The assembled bytes are accepted only if
// their SHA-1 equals the infohash and they pass the bencode pre-check
// (internal/bscan, the rule of fingerprint.CheckBencode) with
// fingerprint.MetadataLimits; nothing is decoded before that, and the
// bencoded header of each ut_metadata message is checked the same way
// before it is decoded. The first valid copy wins.
//
// Everything a peer controls is bounded: the advertised metadata_size
// (at most 4 MiB, and every piece must agree with it), message lengths
// (framed by internal/peerwire, as the prober's), bytes read per peer,
// silence between messages, time per peer and per infohash, connections
// overall and metadata bytes buffered overall.
//
// The fetcher never serves anything: it sends no bitfield and no HAVE,
// rejects metadata requests, and never uploads piece data.
//
// Failures are returned as a [*FetchError] holding one [*PeerError] per
// peer; each wraps one of the sentinel errors ([ErrDial], [ErrHashMismatch],
// …) so callers can count failures by kind with [Kind] or errors.Is.
package metadata
