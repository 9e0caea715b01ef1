// Package store is leakhunt's embedded database: one bbolt file, plus a
// directory of content-addressed copies of the catalogued documents beside
// it (PATH.docs/ab/abcdef…), which v1 piece matching reads later.
//
// Everything goes through typed methods; no bbolt slice or transaction
// leaves the package, and every value starts with a version byte. The
// database is opened with a timeout ([ErrLocked] when another process has
// it) and refused when damaged ([ErrCorrupt]); every commit is synced, so
// committed data survives a kill at any moment.
//
// # Buckets
//
//   - documents, with indexes by size and by every hash ([Store.AddDocument],
//     [Store.DocumentsBySize], [Store.DocumentsByHash]) and a checksum per
//     entry ([Store.CheckCatalog]);
//   - torrents, matches and the watchlist ([Store.PutTorrent],
//     [Store.PutMatch], [Store.Watch]);
//   - the seen set of infohashes and L0 sightings ([Store.MarkSeen],
//     [Store.AddSightings]);
//   - opaque state for other packages: DHT node table, web caches, RDAP
//     answers ([Store.PutState]);
//   - the evidence log.
//
// # The evidence log
//
// [Store.AppendObservations] appends each [Observation] as a leaf of an
// RFC 6962 Merkle tree (golang.org/x/mod/sumdb/tlog): the leaf bytes under
// an append-ordered key and the tree's stored hashes beside them, in one
// transaction. Nothing is ever rewritten. The per-peer summaries ([Peer],
// [Store.PeerObservations]) are derived from the log: folded in memory and
// written in large batches with the log size they cover, flushed before
// any read of them, and replayed from the log by Open after a crash. The
// Store implements tlog.HashReader, so proofs come
// straight from it; signed checkpoints are kept with [Store.PutCheckpoint]
// (package evidence signs and verifies them), and the signing keys are
// registered in the log with [Store.AddSigningKey].
//
// A Store is safe for concurrent use.
package store
