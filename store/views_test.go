package store

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// TestPeerSummariesFoldToPeers checks the contract of PeerSummaries: the
// summaries it returns, with the log records from its through folded by
// evidence.Peer.Add, equal what Peers returns, at every point between
// flushes and after a reopen.
func TestPeerSummariesFoldToPeers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leakhunt.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for round := 0; round < 4; round++ {
		t.Run("round", func(t *testing.T) {
			var b []evidence.Observation
			for i := 0; i < 11; i++ {
				b = append(b, obs(n))
				n++
			}
			if _, err := s.AppendObservations(b); err != nil {
				t.Fatal(err)
			}
			if round == 2 {
				if err := boltOf(s).flushSummaries(); err != nil {
					t.Fatal(err)
				}
			}
			got := foldedSummaries(t, s)
			want, err := s.Peers(0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("folded summaries differ from Peers:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	peers, through, err := ro.PeerSummaries()
	if err != nil || through != int64(n) || len(peers) != 3 {
		t.Fatalf("after close: %d peers through %d, %v; want 3 through %d", len(peers), through, err, n)
	}
}

// foldedSummaries is what a reader of PeerSummaries computes, sorted as
// Peers sorts.
func foldedSummaries(t *testing.T, s *Store) []evidence.Peer {
	t.Helper()
	peers, through, err := s.PeerSummaries()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*evidence.Peer{}
	for i := range peers {
		byKey[string(peerKey(peers[i].Subject(), peers[i].IP, peers[i].Port))] = &peers[i]
	}
	err = s.ForEachLeaf(through, func(_ int64, leaf []byte) error {
		var o evidence.Observation
		if err := evidence.DecodeLeaf(leaf, &o); err != nil {
			return err
		}
		k := string(peerKey(o.Subject(), o.IP, o.Port))
		if byKey[k] == nil {
			byKey[k] = &evidence.Peer{}
		}
		byKey[k].Add(&o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]evidence.Peer, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out
}

func TestTorrentsWithFileSize(t *testing.T) { forEachBackend(t, testTorrentsWithFileSize) }

func testTorrentsWithFileSize(t *testing.T, s *Store) {
	a, b := fingerprint.InfoHash{1}, fingerprint.InfoHash{2}
	for _, tr := range []Torrent{
		{InfoHash: a, Name: "a", FileSizes: []int64{100, 200, 0}},
		{InfoHash: b, Name: "b", FileSizes: []int64{200, 300}},
		{InfoHash: b, Name: "b"}, // recorded again without sizes: the index stays
	} {
		if _, err := s.PutTorrent(tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		size int64
		want []fingerprint.InfoHash
	}{
		{100, []fingerprint.InfoHash{a}},
		{200, []fingerprint.InfoHash{a, b}},
		{300, []fingerprint.InfoHash{b}},
		{0, nil},
		{201, nil},
	} {
		got, err := s.TorrentsWithFileSize(tc.size)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("TorrentsWithFileSize(%d) = %v, %v; want %v", tc.size, got, err, tc.want)
		}
	}
}

func TestLastCheckpoint(t *testing.T) { forEachBackend(t, testLastCheckpoint) }

func testLastCheckpoint(t *testing.T, s *Store) {
	size, at, err := s.LastCheckpoint()
	if err != nil || size != -1 || !at.IsZero() {
		t.Fatalf("empty store: %d %v %v", size, at, err)
	}
	before := time.Now()
	for _, n := range []int64{3, 7} {
		if err := s.PutCheckpoint(n, []byte("note "+strings.Repeat("x", int(n)))); err != nil {
			t.Fatal(err)
		}
	}
	size, at, err = s.LastCheckpoint()
	if err != nil || size != 7 || at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Fatalf("LastCheckpoint = %d %v %v; want 7 stored just now", size, at, err)
	}
}
