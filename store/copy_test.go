package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// fillCase writes one of everything a case holds.
func fillCase(t *testing.T, s *Store) {
	t.Helper()
	addFile(t, s, "first leaked document")
	addFile(t, s, "second leaked document!")
	ih := fingerprint.InfoHash{0xab}
	if _, err := s.PutTorrent(Torrent{InfoHash: ih, Name: "leak", Source: "dht-sample", InfoBytes: []byte("d1:xe"), FileSizes: []int64{4096, 0, 77}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutMatch(Match{Match: fingerprint.Match{InfoHash: ih, Document: "d", File: "f", Method: "v1-pieces"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Watch(WatchEntry{InfoHash: ih, Reason: "match"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSeen([]fingerprint.InfoHash{ih, {0xcd}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSightings([]crawler.Sighting{{InfoHash: ih, Source: "dht"}, {Link: "magnet:?x", Source: "web"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.KV("web:").Put("etag", []byte("W/1")); err != nil {
		t.Fatal(err)
	}
	note := evidence.Observation{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Source: evidence.SourceKey, Version: "test"}
	if _, err := s.AddSigningKey(evidence.SigningKey{Fingerprint: "fp", VerifierKey: "vk", Reason: "first"}, note); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		batch := []evidence.Observation{obs(3 * i), obs(3*i + 1), obs(3*i + 2)}
		if _, err := s.AppendEvidence(batch, [][]byte{{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCheckpoint(int64(1+3*(i+1)), []byte{'c', byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// caseDump is everything compared after a copy.
type caseDump struct {
	Records     []Record
	Checkpoints map[int64][]byte
	Keys        []evidence.SigningKey
	Peers       []evidence.Peer
	Docs        []Document
	DocBytes    map[string][]byte
	Torrent     Torrent
	BySize      [][]fingerprint.InfoHash // TorrentsWithFileSize(4096) and (77)
	Matches     []Match
	Watch       []WatchEntry
	Sightings   []crawler.Sighting
	State       []byte
}

func dumpCase(t *testing.T, s *Store) caseDump {
	t.Helper()
	d := caseDump{Checkpoints: map[int64][]byte{}, DocBytes: map[string][]byte{}}
	err := s.ForEachRecord(0, func(n int64, leaf []byte, hs []tlog.Hash) error {
		d.Records = append(d.Records, Record{N: n, Leaf: bytes.Clone(leaf), Hashes: append([]tlog.Hash(nil), hs...)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoints(func(size int64, signed []byte) error { d.Checkpoints[size] = signed; return nil }); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	d.Keys, err = s.SigningKeys()
	must(err)
	d.Peers, err = s.Peers(0)
	must(err)
	d.Docs, err = s.Documents()
	must(err)
	for _, doc := range d.Docs {
		f, err := s.OpenDocument(doc.SHA256)
		must(err)
		d.DocBytes[doc.SHA256], err = io.ReadAll(f)
		f.Close()
		must(err)
	}
	d.Torrent, err = s.Torrent(fingerprint.InfoHash{0xab})
	must(err)
	for _, size := range []int64{4096, 77} {
		ihs, err := s.TorrentsWithFileSize(size)
		must(err)
		d.BySize = append(d.BySize, ihs)
	}
	d.Matches, err = s.Matches()
	must(err)
	d.Watch, err = s.Watchlist()
	must(err)
	d.Sightings, err = s.Sightings(fingerprint.InfoHash{})
	must(err)
	d.State, _ = s.KV("web:").Get("etag")
	return d
}

// TestCopyRoundTrip copies a case from bbolt to PostgreSQL and back: the
// log's leaves and stored hashes, the checkpoints and the key history
// arrive byte for byte, and everything else reads the same.
func TestCopyRoundTrip(t *testing.T) {
	u := newPGDatabase(t)
	src := openTemp(t)
	fillCase(t, src)
	want := dumpCase(t, src)
	if len(want.BySize) != 2 || len(want.BySize[0]) != 1 || len(want.BySize[1]) != 1 {
		t.Fatalf("the source's file-size index: %v", want.BySize)
	}
	pg, back := roundTrip(t, src, openPGTemp(t, u, "copied"))
	for name, s := range map[string]*Store{"postgres": pg, "bbolt again": back} {
		got := dumpCase(t, s)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from the source:\n got %s\nwant %s", name, g, w)
		}
	}
	if err := CopyStore(src, pg, nil); err == nil {
		t.Fatal("a second copy into a sensor with a log was accepted")
	}
}

// TestCopyMergesCases copies two cases hunted apart (two bbolt files, each
// with a document of its own under catalogue number 1, and a log) into one
// PostgreSQL database as two sensors: both catalogues, both logs and the
// torrents of both arrive; the second document gets a free number.
func TestCopyMergesCases(t *testing.T) {
	u := newPGDatabase(t)
	var want []string
	for i, sensor := range []string{"tokyo", "osaka"} {
		src := openTemp(t)
		d := addFile(t, src, "leaked document of "+sensor)
		want = append(want, d.SHA256)
		if _, err := src.PutTorrent(Torrent{InfoHash: fingerprint.InfoHash{byte(i + 1)}, Name: sensor, FileSizes: []int64{int64(100 + i)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := src.AppendObservations([]evidence.Observation{obs(i), obs(i + 1)}); err != nil {
			t.Fatal(err)
		}
		if err := CopyStore(src, openPGTemp(t, u, sensor), nil); err != nil {
			t.Fatalf("copy %s's case in: %v", sensor, err)
		}
	}
	pg := openPGTemp(t, u, "tokyo")
	docs, err := pg.Documents()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ids := map[uint64]bool{}
	for _, d := range docs {
		got = append(got, d.SHA256)
		ids[d.ID] = true
	}
	if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(want))) || len(ids) != 2 {
		t.Errorf("documents after the merge: %+v, want %v under two numbers", docs, want)
	}
	for i, sensor := range []string{"tokyo", "osaka"} {
		view, err := pg.ForSensor(sensor)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := view.LogSize(); err != nil || n != 2 {
			t.Errorf("%s's log: %d records, %v", sensor, n, err)
		}
		if ihs, err := pg.TorrentsWithFileSize(int64(100 + i)); err != nil || len(ihs) != 1 {
			t.Errorf("%s's torrent by file size: %v, %v", sensor, ihs, err)
		}
	}
}

// TestCopyPages copies a case whose tables span many pages (pages of two
// rows here) into PostgreSQL and back: every torrent, file-size index
// entry, watch entry and sighting arrives once.
func TestCopyPages(t *testing.T) {
	defer func(n int) { copyPage = n }(copyPage)
	copyPage = 2
	u := newPGDatabase(t)
	src := openTemp(t)
	const n = 9
	var ihs []fingerprint.InfoHash
	for i := range n {
		ih := fingerprint.InfoHash{0xee, byte(i)}
		ihs = append(ihs, ih)
		if _, err := src.PutTorrent(Torrent{InfoHash: ih, Name: fmt.Sprint(i), FileSizes: []int64{int64(1000 + i%3), int64(1 << (40 + i))}}); err != nil {
			t.Fatal(err)
		}
		if err := src.Watch(WatchEntry{InfoHash: ih, Reason: "user"}); err != nil {
			t.Fatal(err)
		}
		if err := src.AddSightings([]crawler.Sighting{{InfoHash: ih, Source: crawler.SourceWeb, URL: fmt.Sprint("http://index.example/", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	pg, back := roundTrip(t, src, openPGTemp(t, u, "paged"))
	for name, s := range map[string]*Store{"postgres": pg, "bbolt again": back} {
		for _, ih := range ihs {
			if _, err := s.Torrent(ih); err != nil {
				t.Errorf("%s: torrent %s: %v", name, ih, err)
			}
		}
		for size, want := range map[int64]int{1000: 3, 1001: 3, 1002: 3, 1 << 40: 1, 1 << 48: 1} {
			if got, err := s.TorrentsWithFileSize(size); err != nil || len(got) != want {
				t.Errorf("%s: %d torrents with a file of %d bytes (%v), want %d", name, len(got), size, err, want)
			}
		}
		if w, err := s.Watchlist(); err != nil || len(w) != n {
			t.Errorf("%s: %d watch entries (%v), want %d", name, len(w), err, n)
		}
		if sg, err := s.Sightings(fingerprint.InfoHash{}); err != nil || len(sg) != n {
			t.Errorf("%s: %d sightings (%v), want %d", name, len(sg), err, n)
		}
	}
}

// roundTrip copies src into pg, then pg into a new bbolt file, and returns
// both copies.
func roundTrip(t *testing.T, src, pg *Store) (*Store, *Store) {
	t.Helper()
	if err := CopyStore(src, pg, nil); err != nil {
		t.Fatal(err)
	}
	back, err := Open(filepath.Join(t.TempDir(), "back.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	if err := CopyStore(pg, back, nil); err != nil {
		t.Fatal(err)
	}
	return pg, back
}
