// Package store is leakhunt's database: by default one bbolt file, plus a
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
// # Backends: bbolt and PostgreSQL
//
// [Open] takes a path (the bbolt file above: one sensor, one process) or
// a PostgreSQL URL ("postgres://..."), a database several hunters
// ("sensors") share. Every caller uses the same [Store] methods either
// way; the two backends sit behind an unexported interface and pass the
// same conformance tests. In PostgreSQL:
//
//   - the schema is created and upgraded by versioned migrations built
//     into the binary (migrations/NNNN_name.sql, each in a transaction,
//     recorded in schema_version);
//   - the catalogue (with the documents' bytes, so that every sensor can
//     byte-compare pieces), torrents, matches, the watchlist, the seen set
//     and sightings are shared;
//   - each sensor ([Options.Sensor]) has its own evidence log, key history
//     and checkpoints: indexes from 0, contiguous, signed by its own key;
//     each observation it appends names it and its public address. Other
//     sensors' logs are read through [Store.ForSensor];
//   - peer summaries fold every sensor's observations by the one rule
//     ([evidence.Peer.Add]), behind the appends, in larger transactions;
//     readers fold what is behind first, so they see every committed
//     observation;
//   - [Store.ClaimFetch] gives an infohash's metadata fetch to one sensor
//     and [Store.LeaseWatch] a watched torrent's round to one sensor; both
//     run out, so the work of a sensor that died is taken over (on bbolt
//     they are always granted);
//   - an operation cut by a server restart or a network failure is tried
//     again with backoff ([Options.RetryFor]); an append is recorded with
//     a token, so one whose commit answer was lost is not appended twice.
//
// [CopyStore] moves a case between backends with every log leaf, stored
// hash and signed checkpoint byte for byte.
//
// A Store is safe for concurrent use.
package store
