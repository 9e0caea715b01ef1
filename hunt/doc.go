// Package hunt is leakhunt's pipeline: sources → dedupe → metadata →
// match → watch → harvest → probe → store. It is shared by the `hunt`,
// `crawl`, `watch`, `match` and `demo` commands.
//
// # Matching and recording
//
// [Recorder] matches torrents and links against the catalog and stores the
// torrent, its matches and, for proven ones, a watchlist entry.
package hunt
