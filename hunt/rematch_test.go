package hunt

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// blockingSource emits its sightings, then waits for the end of the run,
// as the DHT does.
type blockingSource struct{ listSource }

func (b blockingSource) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	b.listSource.Discover(ctx, emit)
	<-ctx.Done()
	return nil
}

// start runs p until the returned function stops it (which checks that
// the run ended as asked).
func start(t *testing.T, ctx context.Context, p *Pipeline) (stop func()) {
	t.Helper()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	return func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}
}

// writeDoc writes n bytes of a pattern seeded by seed into dir/name.
func writeDoc(t *testing.T, dir, name string, n int, seed byte) string {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)*seed + seed
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// torrentOf builds the info dictionary of a file or directory.
func torrentOf(t *testing.T, path string) (fingerprint.InfoHash, []byte) {
	t.Helper()
	info := metainfo.Info{PieceLength: 16 << 10}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	b := bencode.MustMarshal(info)
	return fingerprint.InfoHash(metainfo.HashBytes(b)), b
}

func catalogue(t *testing.T, s *store.Store, path string) store.Document {
	t.Helper()
	fp, err := fingerprint.File(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := s.AddDocument(store.Document{Name: filepath.Base(path), Fingerprint: fp}, path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// waitUntil polls cond until it holds or the test's limit passes.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}

func provenFor(s *store.Store, ih fingerprint.InfoHash, doc string) bool {
	ms, _ := s.MatchesFor(ih)
	for _, m := range ms {
		if m.Document == doc && m.ProvesTorrent() {
			return true
		}
	}
	return false
}

// TestCatalogChangedRematches adds documents to the catalogue of a running
// pipeline: a torrent recorded earlier that carries a new document is
// proven at once when its info dictionary was kept (it matched another
// document), and fetched again when it was not (nothing matched it then).
// Removing a document takes it out of the index.
func TestCatalogChangedRematches(t *testing.T) {
	dir := t.TempDir()
	known := writeDoc(t, dir, "known/a.bin", 70_000, 3)
	keptNew := writeDoc(t, dir, "known/b.bin", 50_000, 5)  // beside a known document: info kept
	aloneNew := writeDoc(t, dir, "alone/c.bin", 60_000, 7) // alone: nothing matched, info not kept
	s, err := store.Open(filepath.Join(dir, "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	catalogue(t, s, known)
	ihKept, infoKept := torrentOf(t, filepath.Join(dir, "known"))
	ihAlone, infoAlone := torrentOf(t, filepath.Join(dir, "alone"))
	rec, err := NewRecorder(s)
	if err != nil {
		t.Fatal(err)
	}
	f := &mapFetcher{infos: map[fingerprint.InfoHash][]byte{ihKept: infoKept, ihAlone: infoAlone}}
	src := blockingSource{listSource{[]crawler.Sighting{{InfoHash: ihKept, Source: crawler.SourceDHTSample}, {InfoHash: ihAlone, Source: crawler.SourceDHTSample}}}}
	p, err := New(s, rec, Config{Sources: []crawler.Source{src}, Fetcher: f, Peers: fixedPeers{netip.MustParseAddrPort("127.0.0.1:9")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer start(t, ctx, p)()
	// The catalogued document is marked at the start of the run.
	waitUntil(t, ctx, "both torrents fetched", func() bool { st := p.Stats(); return st.MetadataOK == 2 && st.Rematched == 1 })

	tests := []struct {
		name      string
		doc       string
		ih        fingerprint.InfoHash
		moreFetch int64
	}{
		{"info kept: matched without a fetch", keptNew, ihKept, 0},
		{"info not kept: fetched again", aloneNew, ihAlone, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls, marked := f.calls.Load(), p.Stats().Rematched
			d := catalogue(t, s, tc.doc)
			if provenFor(s, tc.ih, d.SHA256) {
				t.Fatal("proven before the pipeline was told")
			}
			p.CatalogChanged()
			waitUntil(t, ctx, "the new document proven in the recorded torrent", func() bool { return provenFor(s, tc.ih, d.SHA256) })
			waitUntil(t, ctx, "the document marked", func() bool { return p.Stats().Rematched == marked+1 })
			if got := f.calls.Load() - calls; got != tc.moreFetch {
				t.Errorf("%d more fetches, want %d", got, tc.moreFetch)
			}
		})
	}
	docs, _ := s.Documents()
	if _, err := s.RemoveDocument(docs[0].ID); err != nil {
		t.Fatal(err)
	}
	p.CatalogChanged()
	waitUntil(t, ctx, "the index without the removed document", func() bool { return rec.index().Len() == len(docs)-1 })
}
