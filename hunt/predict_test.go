package hunt

import (
	"bytes"
	"context"
	mrand "math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// peersFor is a PeerFinder that knows the peers of some infohashes and
// counts the lookups.
type peersFor struct {
	mu      sync.Mutex
	m       map[fingerprint.InfoHash][]netip.AddrPort
	lookups int
}

func (p *peersFor) GetPeers(_ context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lookups++
	return p.m[ih], nil
}

// TestPredictSource: a document shared as it is, by a client that makes
// the torrent with anacrolix's v1 keys at 32 KiB pieces, is found by its
// predicted infohash; the sighting carries the info dictionary, which
// hashes to it and proves the document.
func TestPredictSource(t *testing.T) {
	dir := t.TempDir()
	doc := make([]byte, 150_000)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range doc {
		doc[i] = byte(rng.Uint32())
	}
	path := filepath.Join(dir, "board_minutes.pdf")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(filepath.Join(dir, "t.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fp, err := fingerprint.File(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddDocument(store.Document{Name: "board_minutes.pdf", Fingerprint: fp}, path); err != nil {
		t.Fatal(err)
	}
	// The "client": anacrolix builds the torrent of the file alone.
	info := metainfo.Info{PieceLength: 32 << 10}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	ih := fingerprint.InfoHash(metainfo.HashBytes(bencode.MustMarshal(info)))
	finder := &peersFor{m: map[fingerprint.InfoHash][]netip.AddrPort{ih: {netip.MustParseAddrPort("192.0.2.1:6881")}}}
	ps := NewPredictSource(s, finder, PredictConfig{})
	var got []crawler.Sighting
	var mu sync.Mutex
	emit := func(sg crawler.Sighting) { mu.Lock(); got = append(got, sg); mu.Unlock() }
	if err := ps.round(context.Background(), emit); err != nil {
		t.Fatal(err)
	}
	if finder.lookups != 44 || len(got) != 1 {
		t.Fatalf("%d lookups, %d sightings; want 44 and 1", finder.lookups, len(got))
	}
	sg := got[0]
	tor, err := fingerprint.ParseTorrentFile(sg.Torrent)
	if err != nil {
		t.Fatal(err)
	}
	if sg.Source != SourcePredicted || sg.InfoHash != fingerprint.InfoHash(ih) || tor.InfoHash != sg.InfoHash {
		t.Fatalf("sighting %s/%s, torrent %s; want %x", sg.Source, sg.InfoHash, tor.InfoHash, ih)
	}
	ix := fingerprint.NewIndex([]fingerprint.Entry{{Name: "board_minutes.pdf", Fingerprint: fp}}, func(string) (fingerprint.ReadAtCloser, error) {
		return os.Open(path)
	})
	if ms, err := ix.MatchTorrent(tor); err != nil || len(ms) != 1 || !ms[0].Probeable() {
		t.Fatalf("matches %+v %v", ms, err)
	}
	// The next round looks up the other predictions only, from the stored
	// list (no hashing), and emits nothing new.
	if b, ok := s.KV("predicted:").Get(predictionsState(fp.SHA256)); !ok || !bytes.Contains(b, []byte(sg.InfoHash.String())) {
		t.Fatalf("predictions not kept in the store: %v", err)
	}
	if err := ps.round(context.Background(), emit); err != nil {
		t.Fatal(err)
	}
	if finder.lookups != 44+43 || len(got) != 1 {
		t.Errorf("second round: %d lookups, %d sightings", finder.lookups-44, len(got))
	}
}
