// Package peerwire is leakhunt's one rule for framing the BitTorrent peer
// wire protocol (BEP 3, with the reserved bits of BEP 6 and BEP 10): the
// 68-byte handshake and the length-prefixed messages that follow it, for
// the metadata fetcher, the prober and the local test swarm alike.
//
// # Handshakes
//
// [Handshake] encodes ([Handshake.Append]) and decodes ([ParseHandshake])
// the handshake; [Handshake.CheckInfoHash] checks that the peer answered
// for the torrent asked for.
//
// # Messages
//
// A [Reader] reads one unit at a time from a peer: the handshake, or one
// message. Every length prefix is checked before anything is buffered: a
// bound on every message ([Config].MaxLength), a total byte budget per
// connection ([Config].Budget) and a bound per message type
// ([Config].Bounds, e.g. [Sizes.Bounds]); a peer that breaks one gets
// [ErrProtocol] or [ErrByteLimit] and never makes the reader allocate more
// than the bound. Each [Message] comes back with its bytes as they were on
// the wire, length prefix included, also when it was cut short or refused,
// so that a caller can keep a transcript of exactly what was read.
// [AppendMessage] frames a message to write.
//
// MSE/PE encryption (internal/peerdial) sits below this package: a
// [Reader] reads the decrypted stream, and messages are encrypted after
// they are framed.
//
// A [Reader] is used by one goroutine at a time; everything else in this
// package is safe for concurrent use.
package peerwire
