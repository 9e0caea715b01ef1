// Package emulefixture runs eMule-network peers for tests: in-process Kad
// nodes and ed2k peers on loopback, and real aMule daemons.
//
// # In-process
//
// [StartKad] starts a set of Kad nodes on 127.0.0.2 and up (one IP each,
// as aMule allows one ID per IP) that answer bootstrap, hello, routing,
// source and keyword search requests as aMule does (answers of at most 50
// results, packed when smaller), store what [KadNetwork.PublishSource] and
// [KadNetwork.PublishKeyword] give them, and count requests with aMule's
// flood accounting ([FloodCounter]), so that a test can check a client
// never gets a request dropped or its IP banned. Some nodes can be made
// silent, garbage-sending, bomb-sending or lying ([KadBehaviour]).
//
// [StartPeer] starts an ed2k peer on 127.0.0.1 that serves one file as
// aMule does (eMule info, hello answer, file name and status, an upload
// slot, blocks in 10 KB packets or as zlib streams, 64-bit offsets past
// 4 GB), or misbehaves in one of the ways of [PeerBehaviour].
//
// # Real aMule
//
// [StartAMule] writes a private, offline configuration (no servers, no
// UPnP, no IP filter, unthrottled upload, shared files in the Incoming
// folder, pinned Kad ID and user hash) and starts amuled, on loopback or
// inside a [NetNS]: a network namespace whose only interface is its
// loopback, holding addresses in 100.64.0.0/10 that exist only there (aMule
// refuses loopback and LAN addresses for Kad). Tests skip, saying why, when
// amuled or root is missing.
//
// Nothing here listens on or sends to any address other than loopback and
// such namespace addresses. Every goroutine belongs to the value that
// started it and ends with its Close or Stop.
package emulefixture
