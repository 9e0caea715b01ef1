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
// leakhunt must never be listed as a peer of a torrent it investigates. A
// tracker learns peers only from announces, so the safe default
// ([ModeStopped]) sends one announce with event=stopped (UDP event 3),
// port 0, left 0 and a random peer id and key: trackers treat "stopped" as
// "remove this peer" and never add it. Many trackers (opentracker among
// them) answer a stopped announce with counts and no peers; the scrape gives
// counts anyway. [ModeBriefPortZero] is the opt-in for those trackers: a
// normal announce with port 0, left 1 and numwant, immediately followed by
// a stopped announce with the same peer id and key.
//
// Residual risk. Any request shows our IP address to the tracker operator
// and its logs. In ModeStopped a tracker that ignores the event could still
// register us, with port 0, which clients discard as unconnectable. In
// ModeBriefPortZero we are registered, as IP:0, for the moment between the
// two requests (longer if the stopped request is lost): the tracker counts
// us as a leecher and may hand IP:0 to peers announcing meanwhile, and a
// tracker that rejects port 0 answers with a failure instead of peers. We
// never send an "ip" parameter, a real listen port, or upload/download
// figures other than 0.
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
