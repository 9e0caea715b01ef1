package store

import (
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Document is a catalogued leaked document.
type Document struct {
	// ID is assigned by [Store.AddDocument]; it is stable and never reused.
	ID uint64 `json:"id"`
	// Case groups documents of one client engagement.
	Case string `json:"case"`
	// Name is the file's base name when it was catalogued.
	Name string `json:"name"`
	fingerprint.Fingerprint
	// Added is when the document was catalogued (UTC).
	Added time.Time `json:"added"`
}

// Torrent is what leakhunt knows of one infohash.
type Torrent struct {
	// InfoHash is the v1 infohash, or the truncated v2 one for a v2-only
	// torrent.
	InfoHash fingerprint.InfoHash `json:"infohash"`
	// InfoHashV2 is the full v2 infohash of v2 and hybrid torrents.
	InfoHashV2 fingerprint.InfoHashV2 `json:"infohash_v2,omitzero"`
	Name       string                 `json:"name"`
	Size       int64                  `json:"size"`
	Files      int                    `json:"files"`
	FirstSeen  time.Time              `json:"first_seen"`
	// Source names where it was first seen ("dht-sample", "web:URL", "file:PATH", ...).
	Source string `json:"source"`
	// InfoBytes is the raw bencoded info dictionary; kept only for torrents
	// that matched, so that the match can be re-checked and peers probed.
	InfoBytes []byte `json:"-"`
	// Trackers are the announce URLs the torrent named (if known).
	Trackers []string `json:"trackers,omitempty"`
	// FileSizes are the lengths of the torrent's files, indexed by
	// [Store.PutTorrent] so that a document catalogued later finds the
	// torrents it could be in ([Store.TorrentsWithFileSize]); not kept
	// with the record.
	FileSizes []int64 `json:"-"`
}

// Match is a [fingerprint.Match] as stored: where it was found and when.
// Its JSON is the match's fields plus source and time.
type Match struct {
	fingerprint.Match
	Source string    `json:"source,omitempty"`
	Time   time.Time `json:"time"`
}
