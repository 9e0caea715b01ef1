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
// at five times the limit, banning. It never answers requests and announces
// itself as firewalled and as Kad version 5 ([Version]): nodes do not put it
// in their routing tables, do not publish to it, and answer it without
// protocol obfuscation, which it does not implement. Memory is bounded:
// the routing table ([Config.MaxContacts]), requests in flight
// ([Config.MaxInflight]), results per search ([Config.MaxResults]) and the
// rate limiter ([Config.MaxTrackedIPs]).
//
// # Against real aMule
//
// The tests run aMule 2.3.3 daemons (amuled) in a network namespace with
// addresses in 100.64.0.0/10, since aMule refuses loopback and LAN contacts.
// Against them this package is shown to bootstrap (from a nodes.dat it
// wrote, and from aMule's answers), to hello, to walk, and to find sources
// and keyword hits that aMule indexes, in aMule's own (packed) answers.
// aMule publishes its own shared files only after a self lookup that starts
// three minutes after it starts, so the tests publish the entries into the
// daemon with this codec instead (a source with the address of the aMule
// that shares the file); that aMule then serves the file over ed2k. Only
// the in-process fixture (internal/emulefixture) covers large networks,
// hostile answers and the rate-limit accounting.
package kad
