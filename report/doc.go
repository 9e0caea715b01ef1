// Package report turns the evidence log into what a contractor hands to
// ISPs and lawyers: takedown letters per abuse contact (English or
// Japanese), a disclosure annex per peer, CSV/JSON/HTML exports with SVG
// charts, and a bundle that anyone can check offline.
//
// # Attribution
//
// [OpenASNDB] reads offline MaxMind-format databases (GeoLite2-ASN, DB-IP
// ASN Lite, IPinfo ASN) for the AS number, organisation and country of an
// address. Loopback, private and other special-purpose addresses are
// labelled as such and never looked up anywhere. Abuse contacts come from
// a contractor's override file ([ParseContacts]) first, then from RDAP
// ([RDAP], RFC 9083), cached in the store.
//
// # Generation
//
// [Generate] walks the log once to verify it (every leaf, stored hash, key
// record and earlier checkpoint) and to build per-peer aggregates (memory
// grows with the number of peers, and by 4 bytes a record, not with the
// records' contents), and refuses a store that fails. It then signs a
// fresh checkpoint, writes the inclusion proofs in a second walk in log
// order, and each selected peer's complete history and letter rows.
// Letters list one row per communication at or above [Options.MinLevel];
// peers below L2 never reach a letter: a level below
// [store.L2Connected] is refused.
//
// # Bundle
//
// The output directory carries MANIFEST (sha256 of every other file) and
// its signature, checkpoint (the signed note), key.pub, the previous
// checkpoint with a consistency proof from it, proofs/ (one JSON line per
// record: index, leaf, proof hashes), annex/, letters/ and the exports;
// from a store several sensors share, sensors/NAME/ carries another
// sensor's records up to its own latest signed checkpoint, which count in
// the letters and annexes as the reporting sensor's do (see sensors.go). It
// is written to a temporary directory and renamed into place only when
// complete. [VerifyBundle] checks all of it offline, optionally pinned to
// one signer's key fingerprint.
//
// # Hostile input
//
// Torrent names, file names and client strings come from the network.
// They are shown with control and bidirectional-override characters
// escaped, capped in length, HTML-escaped in HTML and SVG, and CSV cells
// that a spreadsheet would run as formulas are neutralized.
package report
