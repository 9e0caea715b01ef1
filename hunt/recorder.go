package hunt

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// Recorder matches torrents and links against the catalog and stores what
// it finds: the torrent summary, its raw info bytes when a document was
// proven to be in it, every match, and a watchlist entry for proven ones.
// It is what `leakhunt match`, the crawlers and the hunt share.
// A Recorder is safe for concurrent use.
type Recorder struct {
	s  *store.Store
	ix atomic.Pointer[fingerprint.Index] // replaced whole by Reload
	mu sync.Mutex                        // serializes watchlist updates with AddProven
}

// ErrEmptyCatalog is returned when there is nothing to hunt for.
var ErrEmptyCatalog = errors.New("no documents in catalog: add some with 'leakhunt catalog add FILE'")

// NewRecorder builds the catalog index from the store: every document (its
// catalogued copy opened on demand for v1 verification) and every proven
// match already stored, so magnets of known torrents match by infohash.
func NewRecorder(s *store.Store) (*Recorder, error) {
	r := &Recorder{s: s}
	n, err := r.Reload()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrEmptyCatalog
	}
	return r, nil
}

// Reload builds the catalog index again from the store, after documents
// were added or removed, and returns how many documents it holds. Matches
// already stored are remembered only for documents still catalogued.
// Safe for concurrent use with matching: a match in progress finishes
// with the index it started with.
func (r *Recorder) Reload() (int, error) {
	docs, err := r.s.Documents()
	if err != nil {
		return 0, fmt.Errorf("load catalog: %w", err)
	}
	entries := make([]fingerprint.Entry, len(docs))
	current := make(map[string]bool, len(docs))
	for i, d := range docs {
		entries[i] = fingerprint.Entry{Fingerprint: d.Fingerprint, Name: d.Name}
		current[d.SHA256] = true
	}
	ix := fingerprint.NewIndex(entries, func(sha string) (fingerprint.ReadAtCloser, error) {
		return r.s.OpenDocument(sha)
	})
	ms, err := r.s.Matches()
	if err != nil {
		return 0, fmt.Errorf("load matches: %w", err)
	}
	for _, m := range ms {
		if current[m.Document] {
			ix.AddProven(m.Match) // only torrent proofs are kept
		}
	}
	r.mu.Lock()
	r.ix.Store(ix)
	r.mu.Unlock()
	return len(docs), nil
}

// index is the catalog index in use.
func (r *Recorder) index() *fingerprint.Index { return r.ix.Load() }

// Torrent matches a parsed torrent, records it, and returns its matches.
// source says where it came from ("file:PATH", "dht", "web:URL"). The info
// dictionary is kept only when something matched.
func (r *Recorder) Torrent(t *fingerprint.Torrent, source string) ([]fingerprint.Match, error) {
	return r.torrent(t, source, false)
}

// Watched is [Recorder.Torrent] for a torrent the user asked to watch: its
// info dictionary is kept even when nothing matched.
func (r *Recorder) Watched(t *fingerprint.Torrent, source string) ([]fingerprint.Match, error) {
	return r.torrent(t, source, true)
}

func (r *Recorder) torrent(t *fingerprint.Torrent, source string, keepInfo bool) ([]fingerprint.Match, error) {
	ms, matchErr := r.index().MatchTorrent(t)
	rec := store.Torrent{InfoHash: t.InfoHash, InfoHashV2: t.InfoHashV2, Name: t.Name, Size: t.TotalLength,
		Files: len(t.Files), Source: source, Trackers: t.Trackers, FileSizes: fileSizes(t)}
	if keepInfo || len(ms) > 0 {
		// Keep the info dictionary of anything that matched, so that the
		// match can be re-checked and the peers probed later.
		rec.InfoBytes = t.InfoBytes
	}
	if _, err := r.s.PutTorrent(rec); err != nil {
		return ms, fmt.Errorf("store torrent %s: %w", t.InfoHash, err)
	}
	if err := r.record(ms, source); err != nil {
		return ms, err
	}
	return ms, matchErr
}

// Link matches a magnet or ed2k link and records its matches.
func (r *Recorder) Link(l fingerprint.Link, source string) ([]fingerprint.Match, error) {
	ms := r.index().MatchLink(l)
	return ms, r.record(ms, source)
}

func (r *Recorder) record(ms []fingerprint.Match, source string) error {
	now := time.Now().UTC()
	for _, m := range ms {
		if _, err := r.s.PutMatch(store.Match{Match: m, Source: source, Time: now}); err != nil {
			return fmt.Errorf("store match: %w", err)
		}
		// Only a torrent's own info dictionary puts it on the watchlist:
		// a link's content hash proves nothing about an infohash beside it.
		if !m.ProvesTorrent() {
			continue
		}
		r.mu.Lock()
		err := r.s.Watch(store.WatchEntry{InfoHash: m.InfoHash, Reason: "match:" + m.Method})
		r.index().AddProven(m)
		r.mu.Unlock()
		if err != nil {
			return fmt.Errorf("watch %s: %w", m.InfoHash, err)
		}
	}
	return nil
}

// fileSizes are the lengths of a torrent's files that a document could
// be (pad files and links are not), each once.
func fileSizes(t *fingerprint.Torrent) []int64 {
	var out []int64
	for _, f := range t.Files {
		if !f.Pad && !f.Symlink && f.Length > 0 {
			out = append(out, f.Length)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
