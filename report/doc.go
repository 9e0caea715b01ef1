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
// [Generate] signs a fresh checkpoint, walks the log once to build
// per-peer aggregates (memory grows with the number of peers, not with
// the number of observations), then writes each selected peer's complete
// history, with inclusion proofs, incrementally. Peers below L2 never
// reach a letter: [Options.MinLevel] below [store.L2Connected] is refused.
//
// # Bundle
//
// The output directory carries MANIFEST (sha256 of every other file),
// checkpoint (the signed note), key.pub, proofs/ (one JSON line per record:
// index, leaf, proof hashes), annex/, letters/ and the exports.
// [VerifyBundle] checks all of it offline.
//
// # Hostile input
//
// Torrent names, file names and client strings come from the network.
// They are shown with control and bidirectional-override characters
// escaped, capped in length, HTML-escaped in HTML and SVG, and CSV cells
// that a spreadsheet would run as formulas are neutralized.
package report
