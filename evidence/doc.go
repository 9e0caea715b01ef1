// Package evidence probes the peers of a torrent and grades what each one
// provably did, and signs and verifies the evidence log.
//
// # Levels
//
// L0 listed, L1 announced (a DHT, tracker or PEX listing: anyone can forge
// it), L2 connected (a BitTorrent handshake for the infohash completed), L3
// claims (the peer claimed a piece overlapping the document), L4 served (a
// piece overlapping the document was downloaded from this one peer and its
// SHA-1 verified), L5 full copy (every such piece, opt-in). A piece that
// fails verification is recorded and keeps the peer below L4.
//
// # Probing
//
// [Prober.Probe] speaks the peer wire protocol itself, over TCP or uTP and
// in plaintext or with MSE/PE (BEP 8, anacrolix/torrent/mse), so that it
// controls every byte sent: it never serves data, never claims a piece
// (HaveNone), never announces us anywhere, and bounds time, bytes and
// message sizes. It tries plaintext first and again encrypted when the peer
// ends or garbles the handshake, as clients requiring encryption do (see
// Config.Encryption). Each observation records the transport ("tcp",
// "tcp+mse", "utp", "utp+mse"), every transport tried, why the probe
// stopped short of what it chased ([ReasonRefused], [ReasonTimeout],
// [ReasonClosed], [ReasonEncryption], [ReasonNoPieces], ...) and when it
// ended. The SHA-256 of the redacted transcript of the BitTorrent layer
// (see [TranscriptFormat]) is recorded in each observation. [Clock] measures our
// clock's offset against NTP for the record. [Harvester] turns peer lists
// from trackers and PEX into L1 observations.
//
// # The signed log
//
// Observations are leaves of the store's Merkle tree. [SignCheckpoint]
// signs the tree's size and root with an ed25519 key kept beside the
// database ([LoadOrCreateKeys]: PATH.key, mode 0600, and PATH.pub);
// [VerifyStore] recomputes the whole tree from the leaves and checks every
// stored hash and signed checkpoint, naming the record that was changed.
package evidence
