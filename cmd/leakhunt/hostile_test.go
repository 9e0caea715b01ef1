package main

import (
	"context"
	"crypto/sha1"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/store"
)

// TestHuntSurvivesHostilePeers hunts a swarm where, besides one honest
// seeder of a leak, every kind of hostile metadata peer is announced in the
// DHT (millions of nested lists, a 4 MB integer, lying sizes, wrong bytes,
// a slow drip, huge messages...). With the real DHT node, fetcher and
// prober, the leak is still proven and its seeder reaches L4; each hostile
// fetch fails and is counted; the process stays up and its heap bounded.
func TestHuntSurvivesHostilePeers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a swarm of hostile peers (about 10 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 12})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	// Several kinds share one infohash (a valid info dictionary served
	// badly): a fetch of it tries each of them.
	hostileSet := map[[20]byte]bool{}
	for _, k := range localswarm.HostileKinds() {
		h, err := localswarm.StartHostile(k)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		sw.AddInfohash(h.InfoHash(), h.Addr())
		hostileSet[h.InfoHash()] = true
	}
	var hostile [][20]byte
	for ih := range hostileSet {
		hostile = append(hostile, ih)
	}
	doc, err := os.ReadFile(filepath.Join(leaksDir(t), "staff_roster.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	seeder, err := sw.AddSeeder(ctx, localswarm.SeederConfig{Name: "roster.tsv", PieceLength: 16 << 10,
		Files: []localswarm.File{{Data: doc}}, AnnounceDHT: sw.BootstrapAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer seeder.Close()

	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := filepath.Join(dir, "staff_roster.tsv")
	os.WriteFile(p, doc, 0o644)
	fp, err := fingerprint.File(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddDocument(store.Document{Name: "staff_roster.tsv", Fingerprint: fp}, p); err != nil {
		t.Fatal(err)
	}
	opt := localOptions(sw.BootstrapAddrs())
	opt.Probes = 4
	pl, stop := startLocalHunt(t, ctx, s, opt)

	ih := fingerprint.InfoHash(seeder.InfoHash)
	var maxHeap uint64
	l4 := false
	if !interop.Within(90*time.Second, func() bool {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		maxHeap = max(maxHeap, ms.HeapAlloc)
		peers, _ := s.PeersOf(ih)
		for _, pr := range peers {
			l4 = l4 || pr.Level == evidence.L4Served
		}
		st := pl.Stats()
		return l4 && st.MetadataOK+st.MetadataFail >= int64(len(hostile)+1)
	}) {
		t.Fatalf("after 90 s: stats %+v, honest seeder at L4: %v", pl.Stats(), l4)
	}
	stop()
	// The kinds that serve a valid dictionary badly (slow drip, lying
	// sizes...) share its infohash; only the ones whose metadata itself is
	// hostile must never be stored.
	valid := sha1.Sum(localswarm.SampleInfo("hostile.bin", 1<<20))
	for _, h := range hostile {
		if h == valid {
			continue
		}
		if _, err := s.Torrent(fingerprint.InfoHash(h)); err == nil {
			t.Errorf("hostile metadata %x was stored", h)
		}
	}
	if maxHeap > 512<<20 {
		t.Errorf("heap reached %d MiB while fetching hostile metadata", maxHeap>>20)
	}
	t.Logf("stats %+v, peak heap %d MiB", pl.Stats(), maxHeap>>20)
}
