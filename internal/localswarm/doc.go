// Package localswarm runs an in-process BitTorrent swarm on loopback
// (127.0.0.1 only) for tests, benchmarks and the offline demo.
//
// # DHT
//
// [Start] launches N anacrolix DHT nodes bootstrapped to each other. Unlike
// stock anacrolix nodes they answer BEP 51 sample_infohashes (with a
// hand-marshalled reply, since krpc.CompactInfohashes cannot be marshalled)
// and keep announced peers in a peer store that works (the library's
// InMemory store returns garbage). Infohashes are placed in the stores of
// the nodes closest to them, as in a real DHT: [Swarm.AddInfohash],
// [Swarm.AnnounceFake]. Each node advertises [Config.Interval] and counts
// queries that arrive before it ([Stats.EarlySampleQueries]), so a test can
// check that a crawler honours intervals.
//
// # Seeders
//
// [Swarm.AddSeeder] starts an anacrolix torrent.Client that seeds real files
// over TCP (and uTP, and only with MSE/PE encryption, when asked) on
// 127.0.0.1 and registers itself as a peer of the torrent in the swarm's
// DHT. [MetadataServer] is a lightweight peer that serves only BEP 9
// metadata for many torrents; it is what benchmarks use.
//
// # Hostile peers
//
// [StartHostile] starts a peer that speaks the BitTorrent and extension
// handshakes and then misbehaves in one of the ways listed in [HostileKind]
// (deep nesting, huge integers, lying sizes, wrong bytes, slow drip).
// These peers, the metadata server and [StartLiar]'s crafted seeders frame
// the peer wire protocol with internal/peerwire, the rule the fetcher and
// the prober read it by, and check bencode with internal/bscan.
//
// Nothing here listens on or sends to any address other than loopback.
// Anacrolix logging is silenced for every client and server created here.
package localswarm
