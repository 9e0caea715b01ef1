// Package fingerprint hashes documents, reads torrents and links, and
// proves from metadata alone that a torrent or link carries a catalogued
// document. It touches neither the network nor the store.
//
// # Hashing
//
// [File] and [Reader] compute a [Fingerprint] (size, MD5, SHA-1, SHA-256,
// ed2k and its alternative convention, Tiger Tree Hash, BitTorrent v2
// pieces root) in one read: each hash runs in its own goroutine over the
// same buffers, with constant memory whatever the size. MD4 and Tiger are
// our own unrolled implementations (internal/md4, internal/tiger), tested
// against x/crypto, published vectors and rhash, because the available Go
// ones are two to three times slower than C.
//
// # Untrusted input
//
// Torrents, metadata and pages come from hostile places. [CheckBencode]
// scans bencode iteratively against [Limits] (size, nesting depth, token
// count, integer length) before anything is decoded; [ParseTorrentFile] and
// [ParseInfo] then decode into typed structures only. Names found in
// torrents and links are sanitized for display and never used as paths.
// [ParseLink] reads magnet URIs and ed2k links; [ExtractLinks] finds them in
// text and HTML.
//
// # Matching
//
// An [Index] over the catalog finds documents in a [Torrent] by v2 pieces
// root, by v1 pieces hashed from the catalogued copy at the same alignment,
// and in a [Link] by its ed2k, SHA-1 or TTH hash. Same-size files that
// cannot be verified are leads, never proof; a same-size file whose pieces
// differ is not a match at all.
package fingerprint
