package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

func TestTorrentsAndMatches(t *testing.T) { forEachBackend(t, testTorrentsAndMatches) }

func testTorrentsAndMatches(t *testing.T, s *Store) {
	ih := fingerprint.InfoHash{1, 2, 3}
	first := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	isNew, err := s.PutTorrent(Torrent{InfoHash: ih, Source: "dht-sample", FirstSeen: first})
	if err != nil || !isNew {
		t.Fatalf("PutTorrent new = %v, %v", isNew, err)
	}
	isNew, err = s.PutTorrent(Torrent{InfoHash: ih, Source: "web:x", Name: "leak.zip", Size: 10, Files: 1, InfoBytes: []byte("d4:infoe")})
	if err != nil || isNew {
		t.Fatalf("PutTorrent again = %v, %v", isNew, err)
	}
	got, err := s.Torrent(ih)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != "dht-sample" || !got.FirstSeen.Equal(first) || got.Name != "leak.zip" || string(got.InfoBytes) != "d4:infoe" {
		t.Fatalf("merged torrent = %+v", got)
	}
	if _, err := s.Torrent(fingerprint.InfoHash{9}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing torrent: %v", err)
	}
	m := Match{Match: fingerprint.Match{InfoHash: ih, Document: "doc", File: "a", FileIndex: 0, Method: "v1-pieces", Verdict: "proven"}}
	if n, err := s.PutMatch(m); err != nil || !n {
		t.Fatalf("PutMatch = %v, %v", n, err)
	}
	if n, err := s.PutMatch(m); err != nil || n {
		t.Fatalf("PutMatch again = %v, %v", n, err)
	}
	other := m
	other.InfoHash = fingerprint.InfoHash{0}
	other.InfoHash[19] = 1
	if _, err := s.PutMatch(other); err != nil {
		t.Fatal(err)
	}
	all, err := s.Matches()
	if err != nil || len(all) != 2 || all[0].InfoHash != other.InfoHash {
		t.Fatalf("Matches = %+v, %v", all, err)
	}
	mine, err := s.MatchesFor(ih)
	if err != nil || len(mine) != 1 || mine[0].Method != "v1-pieces" {
		t.Fatalf("MatchesFor = %+v, %v", mine, err)
	}
}

func TestWatchSeenSightings(t *testing.T) { forEachBackend(t, testWatchSeenSightings) }

func testWatchSeenSightings(t *testing.T, s *Store) {
	a, b := fingerprint.InfoHash{0xa}, fingerprint.InfoHash{0xb}
	for _, e := range []WatchEntry{{InfoHash: b, Reason: "match"}, {InfoHash: a, Reason: "user"}, {InfoHash: b, Reason: "again"}} {
		if err := s.Watch(e); err != nil {
			t.Fatal(err)
		}
	}
	wl, err := s.Watchlist()
	if err != nil || len(wl) != 2 || wl[0].InfoHash != a || wl[1].Reason != "match" {
		t.Fatalf("Watchlist = %+v, %v", wl, err)
	}
	fresh, err := s.MarkSeen([]fingerprint.InfoHash{a, b, a})
	if err != nil || !reflect.DeepEqual(fresh, []fingerprint.InfoHash{a, b}) {
		t.Fatalf("MarkSeen = %v, %v", fresh, err)
	}
	fresh, err = s.MarkSeen([]fingerprint.InfoHash{b, {0xc}})
	if err != nil || !reflect.DeepEqual(fresh, []fingerprint.InfoHash{{0xc}}) {
		t.Fatalf("MarkSeen again = %v, %v", fresh, err)
	}
	n := 0
	if err := s.ForEachSeen(func(fingerprint.InfoHash) { n++ }); err != nil || n != 3 {
		t.Fatalf("ForEachSeen: %d, %v", n, err)
	}
	ss := []crawler.Sighting{{InfoHash: a, Source: "dht"}, {InfoHash: b, Source: "web"}, {InfoHash: a, Source: "rss"}}
	if err := s.AddSightings(ss); err != nil {
		t.Fatal(err)
	}
	got, err := s.Sightings(a)
	if err != nil || len(got) != 2 || got[0].Source != "dht" || got[1].Source != "rss" {
		t.Fatalf("Sightings(a) = %+v, %v", got, err)
	}
	if all, _ := s.Sightings(fingerprint.InfoHash{}); len(all) != 3 {
		t.Fatalf("Sightings(all) = %+v", all)
	}
}

func TestStateScrapesBlobs(t *testing.T) { forEachBackend(t, testStateScrapesBlobs) }

func testStateScrapesBlobs(t *testing.T, s *Store) {
	kv, other := s.KV("web:"), s.KV("rdap:")
	if _, ok := kv.Get("k"); ok {
		t.Fatal("empty KV has k")
	}
	if err := kv.Put("k", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Put("k", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if v, ok := kv.Get("k"); !ok || string(v) != "v2" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	if _, ok := other.Get("k"); ok {
		t.Fatal("a prefix sees another's key")
	}
	ih := fingerprint.InfoHash{7}
	sc := []Scrape{{Tracker: "udp://b", Seeders: 2}, {Tracker: "udp://a", Leechers: 1}}
	if err := s.PutScrapes(ih, sc); err != nil {
		t.Fatal(err)
	}
	got, err := s.Scrapes(ih)
	if err != nil || len(got) != 2 || got[0].Tracker != "udp://a" || got[1].Seeders != 2 {
		t.Fatalf("Scrapes = %+v, %v", got, err)
	}
	if none, err := s.Scrapes(fingerprint.InfoHash{8}); err != nil || len(none) != 0 {
		t.Fatalf("Scrapes(none) = %+v, %v", none, err)
	}
	blob := []byte("redacted transcript")
	o := obs(1)
	if _, err := s.AppendEvidence([]evidence.Observation{o}, [][]byte{blob, blob}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(blob)
	key := hex.EncodeToString(sum[:])
	bl, err := s.Blobs([]string{key, "nothex", hex.EncodeToString(make([]byte, 32))})
	if err != nil || len(bl) != 1 || !bytes.Equal(bl[key], blob) {
		t.Fatalf("Blobs = %v, %v", bl, err)
	}
}

func TestKeysAndCheckpoints(t *testing.T) { forEachBackend(t, testKeysAndCheckpoints) }

func testKeysAndCheckpoints(t *testing.T, s *Store) {
	if _, err := s.AppendObservations([]evidence.Observation{obs(0), obs(1)}); err != nil {
		t.Fatal(err)
	}
	note := evidence.Observation{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Source: evidence.SourceKey, Version: "test"}
	k, err := s.AddSigningKey(evidence.SigningKey{Fingerprint: "fp1", VerifierKey: "vk1", Reason: "first"}, note)
	if err != nil || k.Record != 2 {
		t.Fatalf("AddSigningKey = %+v, %v", k, err)
	}
	if _, err := s.AddSigningKey(evidence.SigningKey{}, obs(3)); err == nil {
		t.Fatal("a key note that is no key record was accepted")
	}
	keys, err := s.SigningKeys()
	if err != nil || len(keys) != 1 || keys[0].Record != 2 || keys[0].Fingerprint != "fp1" {
		t.Fatalf("SigningKeys = %+v, %v", keys, err)
	}
	if has, err := s.HasCheckpoints(); err != nil || has {
		t.Fatalf("HasCheckpoints = %v, %v", has, err)
	}
	for _, size := range []int64{3, 1} {
		if err := s.PutCheckpoint(size, []byte{byte(size)}); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int64
	if err := s.Checkpoints(func(size int64, signed []byte) error {
		if signed[0] != byte(size) {
			t.Errorf("checkpoint %d holds %v", size, signed)
		}
		sizes = append(sizes, size)
		return nil
	}); err != nil || !reflect.DeepEqual(sizes, []int64{1, 3}) {
		t.Fatalf("Checkpoints = %v, %v", sizes, err)
	}
	// Walking the records gives every stored hash: the tree rebuilt from
	// them equals the one read through ReadHashes.
	hashes := map[int64]tlog.Hash{}
	if err := s.ForEachRecord(0, func(n int64, leaf []byte, hs []tlog.Hash) error {
		for i, h := range hs {
			hashes[tlog.StoredHashIndex(0, n)+int64(i)] = h
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want, err := tlog.TreeHash(3, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tlog.TreeHash(3, mapHashReader(hashes)); err != nil || got != want {
		t.Fatalf("tree from walked records = %v, %v; want %v", got, err, want)
	}
	leaves, err := s.Leaves([]int64{2, 0})
	if err != nil || !bytes.Contains(leaves[0], []byte(evidence.SourceKey)) {
		t.Fatalf("Leaves = %q, %v", leaves, err)
	}
	if _, err := s.Leaf(3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Leaf past the end: %v", err)
	}
}

// TestOneSensorClaims checks that a store's own sensor is granted its
// claims and leases (the only one on bbolt; the first on PostgreSQL).
func TestOneSensorClaims(t *testing.T) { forEachBackend(t, testOneSensorClaims) }

func testOneSensorClaims(t *testing.T, s *Store) {
	ih := fingerprint.InfoHash{0x42}
	if ok, err := s.ClaimFetch(ih, time.Minute); err != nil || !ok {
		t.Fatalf("ClaimFetch = %v, %v", ok, err)
	}
	if err := s.ReleaseFetch(ih); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.LeaseWatch(ih, time.Minute); err != nil || !ok {
		t.Fatalf("LeaseWatch of an unwatched torrent = %v, %v", ok, err)
	}
	sensors, err := s.Sensors()
	if err != nil || len(sensors) != 1 || sensors[0].Name != s.Sensor().Name {
		t.Fatalf("Sensors = %+v, %v", sensors, err)
	}
}
