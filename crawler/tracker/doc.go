// Package tracker asks BitTorrent trackers for the peers of a torrent
// without registering us as one of them.
//
// # Protocols
//
// [Client.Announce] and [Client.Scrape] speak HTTP(S) trackers (BEP 3 and
// BEP 23 compact peer lists, BEP 7 peers6, BEP 48 scrape) and UDP trackers
// (BEP 15). Responses are size-capped, pre-checked with
// [fingerprint.CheckBencode] before decoding into typed structs, and bounded
// in peers; a hostile tracker gets a clear error, never a panic.
//
// # Not announcing ourselves
//
// leakhunt must never be listed as a usable peer of a torrent it
// investigates. A tracker learns peers only from announces. The default,
// [ModeLeecher], announces as what we are, a leecher that holds and
// serves nothing: event=started, port 0 (an address nobody can connect
// to), uploaded and downloaded 0, left the torrent's size (we have none of
// it) and numwant, with a random peer id and key; then at once the same
// peer id and key with event=stopped, which removes the entry. Real
// trackers need the first announce: opentracker and most public trackers
// answer a stopped announce with counts and no peers, and a seeder
// (left=0) gets only leechers. [ModeStopped] sends the stopped announce
// alone, for trackers that answer it with peers.
//
// Residual risk. Any request shows our IP address to the tracker operator
// and its logs. In ModeLeecher we are registered, as IP:0, for the moment
// between the two requests (longer if the stopped request is lost): the
// tracker counts one more leecher and may hand IP:0 to peers announcing
// meanwhile, which clients discard as unconnectable (opentracker keys its
// peers by address and port, and lists IP:0 as such); a tracker that
// rejects port 0 answers with a failure instead of peers. In ModeStopped a
// tracker that ignores the event could register us, with port 0. We never
// send an "ip" parameter, a real listen port, or upload/download figures
// other than 0.
//
// # Targets
//
// Tracker URLs come from torrents, which are hostile input: only http,
// https and udp URLs are used, and addresses that are not public (loopback,
// private, carrier-grade NAT, link-local, multicast, reserved, or IPv6
// embedding such an IPv4 address) are refused at connect time (after DNS
// resolution); [Config.AllowPrivate] allows loopback and private ones
// (tests). HTTP
// redirects are followed at most twice, through the same checks.
//
// A [Client] is safe for concurrent use. [Client.Source] adapts one tracker
// URL to the evidence package's PeerSource interface.
package tracker
