// Package interop is leakhunt's one harness for independent BitTorrent
// implementations and tools on loopback: libtorrent (through
// /usr/bin/python3 and python3-libtorrent), Transmission
// (transmission-daemon), aria2 (aria2c), qBittorrent (qbittorrent-nox)
// seeding or holding a torrent, opentracker, and the command-line tools
// tests compare against (mktorrent, transmission-create, rhash). Tests use
// it to check leakhunt against the clients people really run, in the ways
// they are configured: TCP and uTP, uTP only, encryption preferred or
// required.
//
// # Clients
//
// Every process is bound to loopback (each client to an address of its own
// in 127.0.0.0/8) with DHT, local peer discovery, PEX and port forwarding
// off; the only tracker any of them knows is the one the test gives.
// Processes run in their own process group and are stopped (SIGTERM, then
// SIGKILL) and their directories removed when the test ends.
//
// # libtorrent
//
// The Python scripts sit beside this file and are embedded: lt_peer.py (a
// seed or an empty peer, optionally creating its torrent first),
// lt_swarm.py (a DHT swarm), lt_create.py (torrents and the infohashes
// libtorrent computes), v2roots.py (BEP 52 pieces roots) and lt_info.py
// (how libtorrent reads a .torrent). [StartLibtorrentSeeder] and
// [LibtorrentMissing] need no test: 'leakhunt validate' runs them.
//
// # Missing tools
//
// A client or tool that is not installed makes the test skip with the
// reason and the Debian package to install ([Need], [NeedLibtorrent]);
// .ci/run installs them all.
//
// # Waiting
//
// [Until] and [Within] poll a condition with a deadline, for tests that
// can ask but not await.
//
// Nothing here imports leakhunt's own packages, so that every package's
// tests can use it.
package interop
