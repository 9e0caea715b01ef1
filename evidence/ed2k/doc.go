// Package ed2k probes hosts of the eMule network over ed2k TCP and grades
// what each one provably did with a catalogued document, on the same
// evidence levels as BitTorrent probes.
//
// # Levels
//
// A probe targets one document, which is the whole ed2k file named by the
// document's ed2k hash ([Target]). Each level includes the ones below.
//
//   - L1 announced: the address was given to the probe (a Kad source, an
//     ed2k link's source list). Nothing was proved about it: a refused
//     connection, a hello that never came, a peer that says it lacks the
//     file ([ErrNoFile]) all stay here. The peer's hello, if one came, is
//     still recorded ([Result.Client]).
//   - L2 connected: the peer at IP:port answered our HELLO with a
//     HELLOANSWER (its user hash and client recorded) and then acknowledged
//     the file by its ed2k hash, with a file name answer or a file status
//     for exactly that hash. This proves that the host at that address
//     speaks ed2k and declares that it shares a file with the document's
//     hash; it proves nothing about the bytes.
//   - L3 claims: the peer's FILESTATUS for the hash claims at least one part
//     (9,728,000 bytes) of the file, or the whole file (a status with no
//     bitmap). Every part of the file is part of the document, so any claim
//     overlaps it. [Result.PartsClaimed] lists them.
//   - L4 served: one block (184,320 bytes, or the whole document when it is
//     shorter; never across a part boundary) inside a claimed part, asked
//     for in one REQUESTPARTS and received from this one peer on this one
//     connection, plain (SENDINGPART) or as a zlib stream (COMPRESSEDPART),
//     32- or 64-bit, equals the catalogued copy byte for byte at that
//     offset. A block shorter than min(document size, 184,320) bytes (the
//     tail of a short last part) is compared and recorded but stays at L3
//     ([ErrShort]); a block that differs stays at L3 with the offset of the
//     first differing byte ([ErrMismatch]).
//
// L0 (listed) belongs to the sources; L5 (full copy) is not offered.
//
// # What the probe does and never does
//
// [Prober.Probe] opens one TCP connection and sends, in order: HELLO with
// the configured user hash, client ID 0 and the configured port (0 by
// default: we never listen), an answer to the peer's eMule info packet,
// REQUESTFILENAME and SETREQFILEID, STARTUPLOADREQ, one REQUESTPARTS for
// one block, and CANCELTRANSFER. It offers no files, shares nothing and
// never sends file data: a peer asking about any file is told "no such
// file", one asking for our shared files is denied. It never waits in an
// upload queue: a queue rank ends the probe ([ErrQueued],
// [Result.Queued]). Config.MaxLevel L3Claims stops before the upload
// request, so that nothing is downloaded.
//
// aMule bans for two hours a client that comes back from the same IP and
// port with another user hash, and bans one that asks for an upload more
// than three times in about ten minutes: keep one user hash
// ([NewUserHash], [Config.UserHash]) and one advertised port, and probe a
// peer once per round. aMule also opens at most one upload slot per second
// (a second client within the second is queued), and mishandles a client
// that reconnects within about two seconds of its last connection (it
// answers the hello, then sends its other answers nowhere): a [Prober]
// never runs two probes of one address at once and keeps
// [Config.PeerSpacing] (3 s) between them.
//
// # Limits
//
// Every length is checked before anything is allocated: packet bodies
// ([Config.MaxPacket], or a block and its header for data packets), packets
// and bytes per probe ([Config.MaxPackets], [Config.MaxBytes]), hello and
// eMule info tags (64 tags, 1 KiB strings and names of 64 bytes), file
// names (1 KiB), file status bitmaps (exactly the file's part count), the
// compressed stream (at most the block and 1 KiB, inflated to exactly the
// block). Each phase has its own timeout (hello, file status, upload slot,
// block) inside an overall one. Errors say what was being waited for;
// [ErrProtocol] and [ErrLimit] mark a misbehaving peer.
//
// # Record
//
// [Result] holds the level, the peer's user hash, name, software and
// version, the parts claimed, the block requested and verified, the bytes
// compared, where and why the probe stopped, our local address, and a
// redacted transcript: every packet sent and received, verbatim except that
// file data is replaced by its SHA-256 ([TranscriptFormat]), with the
// SHA-256 of the whole transcript.
//
// # Against real aMule
//
// The tests start aMule 2.3.3 (amuled) on 127.0.0.1 sharing synthetic
// leaks: the probe answers aMule's eMule info, reaches L4 on a file aMule
// sends compressed and on one it sends plain (an archive name), stops at
// L3 on request, and stays at L1 on a file aMule does not share (aMule's
// "no such file" answer). The packets of a served session, recorded with
// -update in testdata/amule-2.3.3, are decoded in every test run, with or
// without aMule. Through Kad (see crawler/kad) the
// probe also reaches L4 against an aMule found as a source in a network
// namespace. Only the in-process fixture (internal/emulefixture) covers
// lying peers, hostile packet streams (huge lengths, bad zlib, zip bombs,
// endless queue ranks, slow drips, tag floods, data outside the block,
// packet floods), partial part claims and 64-bit offsets.
package ed2k
