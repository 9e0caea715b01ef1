// Package kad is leakhunt's client for Kad, the DHT of the eMule network:
// it finds the hosts that publish themselves as sources of a file, by the
// file's ed2k hash, and the files published under keywords.
//
// # Codec
//
// [Marshal] and [Unmarshal] encode and decode the Kad2 UDP messages
// (<protocol 0xE4><opcode><body>, or 0xE5 with a zlib body): bootstrap,
// hello, routing request and answer, keyword and source search and their
// results, publishes, ping. IDs go on the wire as four little-endian
// 32-bit words, most significant first, IPv4 addresses as little-endian
// host-order integers; [ID] and [Contact] hide both. Every count and length
// is checked against the packet and the package limits ([MaxPacket],
// [MaxInflated], [MaxContacts], [MaxResults], 32 tags of at most 1 KiB per
// list) before anything is allocated. [ParseNodesDat] reads nodes.dat files
// of versions 0 to 3 and [MarshalNodesDat] writes versions 2 and 3.
//
// # Client
//
// [New] opens a [Client] on a UDP socket. [Client.Bootstrap] asks the
// contacts of a saved routing table ([Config.RoutingTable], written by
// [Client.RoutingTable]) and of nodes.dat files ([Config.Contacts]) for more
// contacts. [Client.SearchSources] and [Client.SearchKeyword] walk towards
// the target (the ed2k hash, or the MD4 of a keyword, see [KeywordID]),
// three requests in flight, and ask every node within aMule's
// [SearchTolerance] of it, the nodes that index it, for results: sources
// ([Source]: IP, TCP and UDP port, user hash) or files ([KeywordHit]: name,
// size, ed2k hash). Both are leads, never proof: anyone can publish
// anything in Kad.
//
// The client paces its requests per destination IP under aMule's flood
// limits ([RequestLimit]: per minute, 2 bootstraps, 3 hellos, 10 routing
// requests, 3 searches of each kind), which aMule enforces by dropping and,
// at five times the limit, banning; it keeps one request of each kind in
// reserve and stays 10% under the rate ([Config.RateMargin]) to absorb
// network jitter. A walk skips a node it may not ask yet and comes back to
// it; a search request waits for its turn within [Config.SearchTimeout].
// So searching many documents indexed by the same few nodes takes minutes,
// by design. The client never answers requests and announces itself as
// firewalled and as Kad version 5 ([Version]): nodes do not put it in
// their routing tables, do not publish to it, and answer it without
// protocol obfuscation, which it does not implement. Memory is bounded:
// the routing table ([Config.MaxContacts]), requests in flight
// ([Config.MaxInflight]), results per search ([Config.MaxResults]) and the
// rate limiter ([Config.MaxTrackedIPs]).
//
// # Against real aMule, and against the fixture only
//
// The tests run two aMule 2.3.3 daemons (amuled) and the client in a
// network namespace with addresses in 100.64.0.0/10 that exist only there
// (aMule refuses loopback and LAN contacts for Kad). Against them, shown:
// aMule reads a bootstrap nodes.dat written by [MarshalNodesDat] and a Kad
// ID pinned in its preferences; the client bootstraps from a nodes.dat
// ([ParseNodesDat]), hellos (aMule answers in the clear, version 8), walks
// (aMule answers routing requests only for its exact ID, so the ID byte
// order is aMule's), and finds the source of a leak by its ed2k hash and
// the leak by a keyword, decoding aMule's own search answers; aMule accepts
// this codec's source and keyword publishes. aMule publishes its own files
// only after a self lookup three minutes after it starts, and only once
// other nodes have confirmed it is reachable, so the tests publish into the
// daemons with this codec instead, from the address of the aMule that
// shares the file; that aMule then serves the file to an ed2k probe (L4).
// aMule's answers of each kind, recorded with -update in
// testdata/amule-2.3.3, are decoded and re-encoded byte for byte in every
// test run, with or without aMule.
//
// Only the in-process fixture (internal/emulefixture) covers: networks of
// tens of nodes, packed answers of many results, hostile nodes (silent,
// garbage, zlib bombs, liars), the per-IP pacing checked against aMule's
// flood accounting (re-implemented from its description), a routing table
// saved and reloaded, and bootstraps that fail.
package kad
