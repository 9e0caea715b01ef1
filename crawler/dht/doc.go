// Package dht is leakhunt's BitTorrent DHT source. A [Node] owns one
// anacrolix dht.Server and finds infohashes two ways:
//
//   - a BEP 51 sampler walks the keyspace with sample_infohashes queries:
//     random targets, following the nodes each reply returns, never asking
//     a node again before the interval it gave has passed, many queries in
//     flight under the Node's own packet rate limit. Nodes that do not
//     support BEP 51 (error 204 Method Unknown) are asked find_node instead,
//     so the walk goes on through them;
//   - a listener records the infohashes of get_peers and announce_peer
//     queries other nodes send us. A valid announce_peer also names a peer.
//
// Both feed [Node.Discover], which makes a Node a crawler.Source. The Node
// answers queries as a normal DHT node, with a bounded peer store that works
// (the library's InMemory store does not), but it never announces itself as
// a peer of anything: [Node.GetPeers] is a get_peers traversal only.
//
// [Node.Nodes] returns the nodes worth saving; passing them back in
// [Config.KnownNodes] lets a restart skip the bootstrap routers.
package dht
