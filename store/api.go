package store

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Store is leakhunt's database: the catalogue, torrents, matches, the
// watchlist, crawl state and the evidence log of one sensor (the machine
// that probes and signs). It is backed by an embedded bbolt file (one
// sensor) or by a PostgreSQL database that several sensors share (see
// [Open]); every caller uses the same methods either way.
// A Store is safe for concurrent use.
type Store struct {
	b backend
}

// backend is what a Store is made of: the bbolt file (boltStore) or a
// PostgreSQL database (pgStore). Log methods address the backend's own
// sensor.
type backend interface {
	Path() string
	Close() error
	Check() ([]string, error)
	stateGet(key string) ([]byte, bool)
	statePut(key string, val []byte) error

	AddDocument(d Document, src string) (Document, bool, error)
	OpenDocument(sha string) (*os.File, error)
	Documents() ([]Document, error)
	Document(id uint64) (Document, error)
	DocumentsByHash(kind, val string) ([]Document, error)
	DocumentsBySize(size int64) ([]Document, error)
	RemoveDocument(id uint64) (Document, error)
	CheckCatalog() ([]string, error)

	PutTorrent(t Torrent) (bool, error)
	Torrent(infohash fingerprint.InfoHash) (Torrent, error)
	PutMatch(m Match) (bool, error)
	Matches() ([]Match, error)
	MatchesFor(infohash fingerprint.InfoHash) ([]Match, error)
	Watch(e WatchEntry) error
	Watchlist() ([]WatchEntry, error)
	MarkSeen(ihs []fingerprint.InfoHash) ([]fingerprint.InfoHash, error)
	ForEachSeen(fn func(ih fingerprint.InfoHash)) error
	AddSightings(ss []crawler.Sighting) error
	Sightings(infohash fingerprint.InfoHash) ([]crawler.Sighting, error)
	PutScrapes(ih fingerprint.InfoHash, ss []Scrape) error
	Scrapes(ih fingerprint.InfoHash) ([]Scrape, error)

	AddSigningKey(k evidence.SigningKey, note evidence.Observation) (evidence.SigningKey, error)
	SigningKeys() ([]evidence.SigningKey, error)
	HasCheckpoints() (bool, error)
	AppendEvidence(obs []evidence.Observation, blobs [][]byte) (int64, error)
	LogSize() (int64, error)
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	Leaf(n int64) ([]byte, error)
	Leaves(ns []int64) ([][]byte, error)
	ForEachLeaf(from int64, fn func(n int64, leaf []byte) error) error
	ForEachRecordBatch(from int64, fn func(batch []Record) error) error
	PutCheckpoint(size int64, signed []byte) error
	Checkpoints(fn func(size int64, signed []byte) error) error
	Blobs(sums []string) (map[string][]byte, error)
	Peers(minLevel evidence.Level) ([]evidence.Peer, error)
	PeersOfSubject(subject string) ([]evidence.Peer, error)
	SubjectObservations(subject string, ip string, port int) ([]int64, error)
	PeerSummaries() ([]evidence.Peer, int64, error)
	TorrentsWithFileSize(size int64) ([]fingerprint.InfoHash, error)
	LastCheckpoint() (int64, time.Time, error)

	sensorsBackend
	copyBackend
}

// isURL reports whether a --db value names a PostgreSQL database rather
// than a bbolt file.
func isURL(pathOrURL string) bool {
	return strings.HasPrefix(pathOrURL, "postgres://") || strings.HasPrefix(pathOrURL, "postgresql://")
}

// IsURL reports whether pathOrURL names a PostgreSQL database
// ("postgres://..." or "postgresql://...") rather than a bbolt file.
func IsURL(pathOrURL string) bool { return isURL(pathOrURL) }

// Open opens the store named by pathOrURL: a PostgreSQL database for a
// "postgres://" or "postgresql://" URL (several sensors may share it; see
// [Options.Sensor]), otherwise the bbolt file at that path, with its
// document copies in path + ".docs".
//
// A bbolt file is one sensor and one process at a time ([ErrLocked]).
// A PostgreSQL schema is created, or upgraded, by the migrations built in.
func Open(pathOrURL string, opt *Options) (*Store, error) {
	if opt == nil {
		opt = &Options{}
	}
	if isURL(pathOrURL) {
		b, err := openPG(pathOrURL, opt)
		if err != nil {
			return nil, err
		}
		return &Store{b: b}, nil
	}
	b, err := openBolt(pathOrURL, opt)
	if err != nil {
		return nil, err
	}
	return &Store{b: b}, nil
}

// Path is the bbolt file's path; for PostgreSQL, the local path the
// sensor's signing key is kept beside (PATH.key, PATH.pub).
func (s *Store) Path() string { return s.b.Path() }

// Close writes what is pending and closes the store.
func (s *Store) Close() error { return s.b.Close() }

// Check checks the database's own consistency and returns what is wrong;
// none means consistent.
func (s *Store) Check() ([]string, error) { return s.b.Check() }

// KV is one consumer's part of the store's state (crawl positions, DHT
// node tables, conditional-GET state, caches): its keys are stored under
// the consumer's own prefix, so consumers never see each other's. Get
// returns a copy; a failed read is a miss. A KV is a value, safe for
// concurrent use.
type KV struct {
	s      *Store
	prefix string
}

// KV returns the part of the state under prefix ("web:", "rdap:",
// "dht.", "predicted:").
func (s *Store) KV(prefix string) KV { return KV{s, prefix} }

// Get returns the value stored under key, if any.
func (kv KV) Get(key string) ([]byte, bool) { return kv.s.b.stateGet(kv.prefix + key) }

// Put stores val under key.
func (kv KV) Put(key string, val []byte) error { return kv.s.b.statePut(kv.prefix+key, val) }

// AddDocument catalogues d, whose bytes are read from src, and keeps a
// verified copy of them in the store (v1 piece matching and L4 probes
// compare against it). A document already catalogued (same SHA-256) is
// returned unchanged with existed set; an empty one is refused
// ([ErrEmptyDocument]).
func (s *Store) AddDocument(d Document, src string) (out Document, existed bool, err error) {
	return s.b.AddDocument(d, src)
}

// OpenDocument opens the catalogued copy of the document with this SHA-256.
func (s *Store) OpenDocument(sha string) (*os.File, error) { return s.b.OpenDocument(sha) }

// Documents lists every catalogued document in ID order.
func (s *Store) Documents() ([]Document, error) { return s.b.Documents() }

// Document returns the document with this ID, or [ErrNotFound].
func (s *Store) Document(id uint64) (Document, error) { return s.b.Document(id) }

// DocumentBySHA256 returns the document with this SHA-256, or [ErrNotFound].
func (s *Store) DocumentBySHA256(sha string) (Document, error) { return lookupBySHA256(s.b, sha) }

// DocumentsByHash returns the documents whose hash of this kind ("md5",
// "sha1", "sha256", "ed2k", "ed2k_alt", "tth", "btv2") equals val.
func (s *Store) DocumentsByHash(kind, val string) ([]Document, error) {
	return s.b.DocumentsByHash(kind, val)
}

// DocumentsBySize returns the documents of exactly this size.
func (s *Store) DocumentsBySize(size int64) ([]Document, error) { return s.b.DocumentsBySize(size) }

// RemoveDocument removes the document with this ID, its index entries and
// its copy. Matches and observations that name it stay: evidence is never
// deleted.
func (s *Store) RemoveDocument(id uint64) (Document, error) { return s.b.RemoveDocument(id) }

// CheckCatalog checks every catalogue entry against the checksum written
// with it, its index entries and its kept copy (fingerprinted again). It
// returns what is wrong; none means intact.
func (s *Store) CheckCatalog() ([]string, error) { return s.b.CheckCatalog() }

// PutTorrent records a torrent. The first sighting wins for FirstSeen and
// Source; later calls fill in what was missing (info bytes, trackers).
// It reports whether the torrent was new.
func (s *Store) PutTorrent(t Torrent) (isNew bool, err error) { return s.b.PutTorrent(t) }

// Torrent returns the torrent with this infohash, or [ErrNotFound].
func (s *Store) Torrent(infohash fingerprint.InfoHash) (Torrent, error) {
	return s.b.Torrent(infohash)
}

// PutMatch records a match; the same (torrent, document, file, method)
// again replaces the earlier record. It reports whether it was new.
func (s *Store) PutMatch(m Match) (isNew bool, err error) { return s.b.PutMatch(m) }

// Matches lists every stored match, ordered by infohash.
func (s *Store) Matches() ([]Match, error) { return s.b.Matches() }

// MatchesFor lists the matches of one torrent.
func (s *Store) MatchesFor(infohash fingerprint.InfoHash) ([]Match, error) {
	return s.b.MatchesFor(infohash)
}

// Watch adds a torrent to the watchlist; watching it again changes nothing.
func (s *Store) Watch(e WatchEntry) error { return s.b.Watch(e) }

// Watchlist lists the watched torrents.
func (s *Store) Watchlist() ([]WatchEntry, error) { return s.b.Watchlist() }

// MarkSeen adds infohashes to the seen set and returns those that were
// not in it before, in input order.
func (s *Store) MarkSeen(ihs []fingerprint.InfoHash) (fresh []fingerprint.InfoHash, err error) {
	return s.b.MarkSeen(ihs)
}

// ForEachSeen calls fn for every infohash in the seen set (used to fill an
// in-memory filter at start); fn must be quick.
func (s *Store) ForEachSeen(fn func(ih fingerprint.InfoHash)) error { return s.b.ForEachSeen(fn) }

// AddSightings appends L0 sightings.
func (s *Store) AddSightings(ss []crawler.Sighting) error { return s.b.AddSightings(ss) }

// Sightings lists sightings of one infohash (all when infohash is zero),
// oldest first.
func (s *Store) Sightings(infohash fingerprint.InfoHash) ([]crawler.Sighting, error) {
	return s.b.Sightings(infohash)
}

// PutScrapes replaces a torrent's scrape records with the latest ones.
func (s *Store) PutScrapes(ih fingerprint.InfoHash, ss []Scrape) error { return s.b.PutScrapes(ih, ss) }

// Scrapes returns a torrent's latest scrape records, by tracker URL.
func (s *Store) Scrapes(ih fingerprint.InfoHash) ([]Scrape, error) { return s.b.Scrapes(ih) }

// AddSigningKey registers k as this sensor's signing key: it appends note
// (an observation with Source [evidence.SourceKey]) to the evidence log
// and the key to the key history in one transaction, so that the change
// is part of the signed log. k.Record is set to the note's log index.
func (s *Store) AddSigningKey(k evidence.SigningKey, note evidence.Observation) (evidence.SigningKey, error) {
	notes := []evidence.Observation{note}
	s.stamp(notes)
	return s.b.AddSigningKey(k, notes[0])
}

// SigningKeys returns this sensor's key history, oldest first.
func (s *Store) SigningKeys() ([]evidence.SigningKey, error) { return s.b.SigningKeys() }

// HasCheckpoints reports whether any checkpoint of this sensor's log was
// ever signed.
func (s *Store) HasCheckpoints() (bool, error) { return s.b.HasCheckpoints() }

// AppendObservations appends observations to this sensor's evidence log
// in one transaction: each becomes a leaf of the RFC 6962 Merkle tree, its
// stored hashes written beside it; nothing is ever rewritten. It returns
// the log index of the first. An observation that names no sensor is
// recorded as made by the store's (see [Options.Sensor]).
func (s *Store) AppendObservations(obs []evidence.Observation) (first int64, err error) {
	s.stamp(obs)
	return s.b.AppendEvidence(obs, nil)
}

// AppendEvidence is [Store.AppendObservations] with the blobs the
// observations name by SHA-256 (redacted wire transcripts, match bases),
// written in the same transaction: a committed observation never names a
// missing blob.
func (s *Store) AppendEvidence(obs []evidence.Observation, blobs [][]byte) (first int64, err error) {
	s.stamp(obs)
	return s.b.AppendEvidence(obs, blobs)
}

// LogSize is the number of records in this sensor's evidence log.
func (s *Store) LogSize() (n int64, err error) { return s.b.LogSize() }

// ReadHashes implements tlog.HashReader over this sensor's log.
func (s *Store) ReadHashes(indexes []int64) ([]tlog.Hash, error) { return s.b.ReadHashes(indexes) }

var _ tlog.HashReader = (*Store)(nil)

// Leaf returns the stored leaf bytes of log record n, exactly as appended.
func (s *Store) Leaf(n int64) ([]byte, error) { return s.b.Leaf(n) }

// Leaves returns the leaves of log records ns.
func (s *Store) Leaves(ns []int64) ([][]byte, error) { return s.b.Leaves(ns) }

// Observation returns log record n decoded.
func (s *Store) Observation(n int64) (evidence.Observation, error) {
	var o evidence.Observation
	leaf, err := s.b.Leaf(n)
	if err != nil {
		return o, err
	}
	if err := evidence.DecodeLeaf(leaf, &o); err != nil {
		return o, fmt.Errorf("%w: log record %d: %v", ErrCorrupt, n, err)
	}
	return o, nil
}

// ForEachLeaf calls fn for log records from.. in order, reading in short
// transactions. The leaf slice is valid only during the call.
func (s *Store) ForEachLeaf(from int64, fn func(n int64, leaf []byte) error) error {
	return s.b.ForEachLeaf(from, fn)
}

// ForEachRecord calls fn for log records from.. in order, with their
// stored hashes (see [Record]), reading in short transactions of at most
// 4096 records. The slices are valid only during the call.
func (s *Store) ForEachRecord(from int64, fn func(n int64, leaf []byte, hashes []tlog.Hash) error) error {
	return s.b.ForEachRecordBatch(from, func(batch []Record) error {
		for _, r := range batch {
			if err := fn(r.N, r.Leaf, r.Hashes); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEachRecordBatch is [Store.ForEachRecord] a batch (one read
// transaction's records, at most 4096) at a time. The batch is reused
// after fn returns.
func (s *Store) ForEachRecordBatch(from int64, fn func(batch []Record) error) error {
	return s.b.ForEachRecordBatch(from, fn)
}

// PutCheckpoint stores a signed checkpoint (a note) of this sensor's log
// for a tree size.
func (s *Store) PutCheckpoint(size int64, signed []byte) error {
	return s.b.PutCheckpoint(size, signed)
}

// Checkpoints calls fn for every stored checkpoint of this sensor's log,
// oldest first.
func (s *Store) Checkpoints(fn func(size int64, signed []byte) error) error {
	return s.b.Checkpoints(fn)
}

// Blobs returns the blobs stored under the given SHA-256 sums (hex); a
// sum with no blob is left out of the map.
func (s *Store) Blobs(sums []string) (map[string][]byte, error) { return s.b.Blobs(sums) }

// Peers lists peer summaries at or above minLevel, ordered by torrent and
// address. With PostgreSQL they fold the observations of every sensor.
func (s *Store) Peers(minLevel evidence.Level) ([]evidence.Peer, error) { return s.b.Peers(minLevel) }

// PeersOf lists the peer summaries of one torrent.
func (s *Store) PeersOf(infohash fingerprint.InfoHash) ([]evidence.Peer, error) {
	return s.b.PeersOfSubject(infohash.String())
}

// PeersOfSubject lists the peer summaries of one subject
// ([evidence.Peer.Subject]): a torrent, or an ed2k file.
func (s *Store) PeersOfSubject(subject string) ([]evidence.Peer, error) {
	return s.b.PeersOfSubject(subject)
}

// PeerObservations lists the log indexes of one peer's observations in
// this sensor's log (another sensor's through [Store.ForSensor]).
func (s *Store) PeerObservations(infohash fingerprint.InfoHash, ip string, port int) ([]int64, error) {
	return s.b.SubjectObservations(infohash.String(), ip, port)
}

// SubjectObservations lists the log indexes of the observations of one
// peer of one subject ([evidence.Peer.Subject]): a torrent, or an ed2k
// file, in this sensor's log.
func (s *Store) SubjectObservations(subject string, ip string, port int) ([]int64, error) {
	return s.b.SubjectObservations(subject, ip, port)
}

// PeerSummaries returns every peer summary as last written, and the log
// size they cover: the summaries are exactly the fold of log records
// [0, through) by [evidence.Peer.Add]. A reader brings them up to date by
// folding the records from through on ([Store.ForEachLeaf]) the same way.
// On bbolt it does not make the store write its pending summaries, so it
// costs a running hunt nothing. In a shared store the summaries also fold
// every other sensor's records, up to when they were read, and through is
// this sensor's log size they cover.
func (s *Store) PeerSummaries() (peers []evidence.Peer, through int64, err error) {
	return s.b.PeerSummaries()
}

// TorrentsWithFileSize lists the torrents recorded with a file of exactly
// size bytes (see [Torrent.FileSizes]): the only ones a document of that
// size can be proven to be in. Torrents recorded before the index existed
// (or copied by [CopyStore]) are not listed.
func (s *Store) TorrentsWithFileSize(size int64) ([]fingerprint.InfoHash, error) {
	return s.b.TorrentsWithFileSize(size)
}

// LastCheckpoint returns the tree size of this sensor's checkpoint stored
// last and when it was stored; the time is zero for a checkpoint stored
// before times were kept, and size is -1 when there is none.
func (s *Store) LastCheckpoint() (size int64, at time.Time, err error) { return s.b.LastCheckpoint() }

// DisplayName is pathOrURL as messages show it: a database URL without
// its password.
func DisplayName(pathOrURL string) string {
	if isURL(pathOrURL) {
		return redactURL(pathOrURL)
	}
	return pathOrURL
}
