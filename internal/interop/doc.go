// Package interop starts independent BitTorrent implementations on
// loopback for tests: libtorrent (through /usr/bin/python3 and
// python3-libtorrent), Transmission (transmission-daemon), aria2 (aria2c),
// qBittorrent (qbittorrent-nox) seeding or holding a torrent, and
// opentracker. Tests use them to check leakhunt against the clients people
// really run, in the ways they are configured: TCP and uTP, uTP only,
// encryption preferred or required.
//
// Every process is bound to loopback (each client to an address of its own
// in 127.0.0.0/8) with DHT, local peer discovery, PEX and port forwarding
// off; the only tracker any of them knows is the one
// the test gives. A client that is not installed makes the test skip with
// the reason (.ci/run installs them all). Processes and their directories
// are removed when the test ends.
//
// Nothing here imports leakhunt's own packages, so that every package's
// tests can use it.
package interop
