package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of the buckets below. Open refuses a database
// written by a newer leakhunt.
const SchemaVersion = 1

// valueVersion is the first byte of every JSON value, so that the encoding
// can change later without guessing.
const valueVersion = 1

var (
	bucketMeta        = []byte("meta")
	bucketDocs        = []byte("documents")       // id(8) → Document
	bucketDocBySize   = []byte("doc_by_size")     // size(8) id(8) → nil
	bucketDocByHash   = []byte("doc_by_hash")     // kind ":" value 0x00 id(8) → nil
	bucketTorrents    = []byte("torrents")        // infohash hex → Torrent
	bucketMatches     = []byte("matches")         // infohash 0x00 document 0x00 file → Match
	bucketWatch       = []byte("watchlist")       // infohash hex → WatchEntry
	bucketSeen        = []byte("seen")            // infohash(20) → unix seconds(8)
	bucketSightings   = []byte("sightings")       // seq(8) → Sighting
	bucketState       = []byte("state")           // key → bytes (crawl positions, DHT nodes, caches)
	bucketObs         = []byte("observations")    // log index(8) → leaf (the observation's canonical JSON)
	bucketLogHashes   = []byte("log_hashes")      // tlog stored-hash index(8) → hash(32)
	bucketPeers       = []byte("peers")           // peer key → Peer
	bucketPeerObs     = []byte("peer_obs")        // peer key 0x00 log index(8) → nil
	bucketCheckpoints = []byte("checkpoints")     // tree size(8) → signed checkpoint note
	bucketDocSums     = []byte("doc_sums")        // id(8) → sha256 of the documents value
	bucketKeys        = []byte("keys")            // seq(8) → SigningKey
	bucketBlobs       = []byte("blobs")           // sha256(32) → bytes named by observations (transcripts, match bases)
	bucketTorBySize   = []byte("torrent_by_size") // file size(8) infohash(20) → nil
	allBuckets        = [][]byte{bucketMeta, bucketDocs, bucketDocBySize, bucketDocByHash, bucketTorrents,
		bucketMatches, bucketWatch, bucketSeen, bucketSightings, bucketState, bucketObs, bucketLogHashes,
		bucketPeers, bucketPeerObs, bucketCheckpoints, bucketDocSums, bucketKeys, bucketBlobs, bucketTorBySize}

	keySchema  = []byte("schema")
	keyLogSize = []byte("log_size")
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrLocked is wrapped when another process has the database open.
var ErrLocked = errors.New("database is in use by another process")

// ErrCorrupt is wrapped when the database file is damaged or not a database.
var ErrCorrupt = errors.New("store damaged")

// ErrNoStore is wrapped by [Open] with [Options.MustExist] when there is no
// store at the path.
var ErrNoStore = errors.New("no store")

// boltStore is the embedded backend: a bbolt file plus, beside it, a
// directory of content-addressed copies of the catalogued documents. It is
// one sensor. Safe for concurrent use.
type boltStore struct {
	db      *bolt.DB
	path    string
	docsDir string

	sensorName, sensorAddr string // as given in Options

	appendMu sync.Mutex // one AppendObservations at a time

	sumMu          sync.Mutex
	pending        map[string]*pendingPeer // folded, not yet flushed
	pendingCount   int
	pendingThrough int64                     // log size that flushed + pending summaries cover
	peerCache      map[string]*evidence.Peer // flushed summaries, decoded
}

// Options tune [Open]. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// file; 0 means one second. For PostgreSQL it is how long Open tries
	// to reach the server; 0 means five seconds.
	Timeout time.Duration
	// ReadOnly opens the database without writing (shared lock).
	ReadOnly bool
	// MustExist refuses to create a store: a missing file is [ErrNoStore].
	// Only commands that gather evidence create stores; the others would
	// otherwise answer from an empty one made by a mistyped path.
	MustExist bool

	// Sensor names this hunter in a shared (PostgreSQL) store, where each
	// sensor has its own log and signing key; every observation it
	// appends there names it. Required for PostgreSQL (see
	// [CheckSensorName]), except with ReadOnly: a reader of the whole
	// store with no log of its own, that reads each sensor's through
	// [Store.ForSensor]. A bbolt store is one sensor; given a name, it
	// records it in the observations it appends.
	Sensor string
	// SensorAddr is the sensor's public address as the operator knows it
	// (the address peers see), recorded with each observation it appends
	// to a shared store.
	SensorAddr string
	// KeyPath is, for PostgreSQL, the local path beside which the
	// sensor's signing key is kept (KeyPath.key, KeyPath.pub); default
	// "leakhunt-SENSOR" in the working directory. (A bbolt store keeps
	// its key beside its file.)
	KeyPath string
	// CacheDir is, for PostgreSQL, the local directory holding verified
	// copies of catalogued documents fetched from the database (default:
	// the user's cache directory, leakhunt/docs).
	CacheDir string
	// RetryFor is, for PostgreSQL, how long an operation is retried while
	// the server cannot be reached or restarts (default two minutes).
	RetryFor time.Duration
}

// openBolt opens or creates the bbolt store at path. Its document copies
// live in path + ".docs". Committed data survives a crash at any moment:
// bbolt syncs every commit, and NoSync is never set. Opening for writing
// also removes the temporary copies a catalogue addition killed midway
// left behind.
func openBolt(path string, opt *Options) (*boltStore, error) {
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	if opt.MustExist || opt.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open store %q: %w there: check --db (or LEAKHUNT_DB); a store is created by 'leakhunt catalog add', hunt, crawl or watch", path, ErrNoStore)
		}
	}
	if dir := filepath.Dir(path); !opt.ReadOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open store %q: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opt.ReadOnly})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("open store %q: %w: stop the other leakhunt using it, or choose another file with --db", path, ErrLocked)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch),
			errors.Is(err, berrors.ErrInvalidMapping):
			return nil, fmt.Errorf("open store %q: %w (%v): restore it from a backup, or move it aside to start a new one", path, ErrCorrupt, err)
		case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, os.ErrPermission):
			return nil, fmt.Errorf("open store %q: %w", path, err)
		}
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s := &boltStore{db: db, path: path, docsDir: path + ".docs", sensorName: opt.Sensor, sensorAddr: opt.SensorAddr}
	if opt.ReadOnly {
		if err := s.checkSchema(); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}
	err = s.update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v == nil {
			return meta.Put(keySchema, u64(SchemaVersion))
		}
		return nil
	})
	if err == nil {
		err = s.checkSchema()
	}
	if err == nil {
		err = s.replaySummaries()
	}
	if err == nil {
		err = s.sumUnsummedDocuments()
	}
	if err == nil {
		err = s.removeTempCopies()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	return s, nil
}

// view runs a read transaction. A damaged page makes bbolt panic (or
// fault, outside its map); both come back as [ErrCorrupt] instead of
// ending the process.
func (s *boltStore) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamage(&err)
	return s.db.View(fn)
}

// update runs a write transaction; damage is [ErrCorrupt] as in view.
func (s *boltStore) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamage(&err)
	return s.db.Update(fn)
}

// recoverDamage turns a panic or memory fault while reading pages into
// an [ErrCorrupt] error. It must be deferred directly by the function
// that reads.
func recoverDamage(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v: run 'leakhunt verify' for details, and restore the store from a backup", ErrCorrupt, r)
	}
}

func (s *boltStore) checkSchema() error {
	return s.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("%w: %q is a bbolt file but not a leakhunt store", ErrCorrupt, s.path)
		}
		v := meta.Get(keySchema)
		if len(v) != 8 {
			return fmt.Errorf("%w: %q has no schema version", ErrCorrupt, s.path)
		}
		if n := binary.BigEndian.Uint64(v); n > SchemaVersion {
			return fmt.Errorf("store %q has schema %d, newer than this leakhunt (%d): upgrade leakhunt", s.path, n, SchemaVersion)
		}
		return nil
	})
}

// Path is the database file's path.
func (s *boltStore) Path() string { return s.path }

// Close writes pending peer summaries and closes the database. It waits
// for running transactions.
func (s *boltStore) Close() error {
	var ferr error
	if !s.db.IsReadOnly() {
		ferr = s.flushSummaries()
	}
	return errors.Join(ferr, s.db.Close())
}

// stateGet returns the value stored under key in the state bucket, if
// any; a failed read is a miss.
func (s *boltStore) stateGet(key string) ([]byte, bool) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketState).Get([]byte(key)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	return out, err == nil && out != nil
}

// statePut stores val under key in the state bucket.
func (s *boltStore) statePut(key string, val []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketState).Put([]byte(key), val)
	})
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// encode is the value encoding: a version byte, then JSON.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{valueVersion}, b...), nil
}

// decode reverses encode; the bytes may be bbolt's, which json copies.
func decode(b []byte, v any) error {
	if len(b) == 0 || b[0] != valueVersion {
		return fmt.Errorf("%w: value with unknown encoding version", ErrCorrupt)
	}
	return json.Unmarshal(b[1:], v)
}

// Check checks the database file's own consistency (bbolt's page
// structure: every page reachable once, free pages not in use, keys in
// order) and returns what is wrong; none means consistent. It reads every
// page, so it takes as long as reading the file.
func (s *boltStore) Check() ([]string, error) {
	var problems []string
	err := s.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if len(problems) < 100 {
				problems = append(problems, err.Error())
			}
		}
		return nil
	})
	return problems, err
}

// removeTempCopies deletes the temporary files a catalogue addition that
// was killed midway left in the documents directory (.tmp-*). Only the
// process holding the database lock writes there, so any found is stale.
func (s *boltStore) removeTempCopies() error {
	subs, err := os.ReadDir(s.docsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("documents directory: %w", err)
	}
	for _, sub := range subs {
		if !sub.IsDir() {
			continue
		}
		dir := filepath.Join(s.docsDir, sub.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("documents directory: %w", err)
		}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), tempCopyPrefix) {
				if err := os.Remove(filepath.Join(dir, f.Name())); err != nil {
					return fmt.Errorf("remove unfinished copy: %w", err)
				}
			}
		}
	}
	return nil
}
