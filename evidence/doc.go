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
// message sizes (the framing rules of internal/peerwire, which the
// metadata fetcher shares). It tries plaintext first and again encrypted when the peer
// ends or garbles the handshake, as clients requiring encryption do (see
// Config.Encryption). Each observation records the transport ("tcp",
// "tcp+mse", "utp", "utp+mse"), every transport tried, why the probe
// stopped short of what it chased ([ReasonRefused], [ReasonTimeout],
// [ReasonClosed], [ReasonEncryption], [ReasonNoPieces], ...) and when it
// ended. L4 needs verified pieces holding min(document size, piece length)
// bytes of the document, compared byte for byte with the catalogued copy
// ([Target]). Each probe keeps a redacted transcript of the BitTorrent
// layer (piece data replaced by its SHA-256; see [TranscriptFormat] and
// [RenderTranscript]) and the match basis it relied on ([MatchBasis]);
// observations name both by SHA-256. [Clock] measures our clock against
// several NTP servers at once and uses their agreement; each observation
// keeps the measurement it relied on. [Harvester] turns peer lists from
// trackers and PEX into L1 observations.
//
// # The signed log
//
// Observations are leaves of the store's Merkle tree. [SignCheckpoint]
// signs the tree's size and root with an ed25519 key kept beside the
// database ([OpenKeys]: PATH.key, mode 0600, and PATH.pub), identified by
// its [KeyFingerprint]. The key is registered in the log itself, and a
// lost or swapped key file is refused unless a new key is asked for (the
// change is a log record too). [VerifyStore] ([LogVerifier]) recomputes
// the tree from the leaves in one pass and constant memory and checks
// every stored hash, key record and signed checkpoint, naming the record
// that was changed.
//
// # Networks
//
// An [Observation] names its network ([Observation.Net]): BitTorrent
// records name none, so their leaves are as they always were; records of
// the eMule network, made by package evidence/ed2k, carry
// [NetworkED2K], the file's ed2k hash instead of an infohash, the parts
// claimed and the block requested and verified. Peers are summarized per
// [Observation.Subject]: a torrent, or an ed2k file.
package evidence
