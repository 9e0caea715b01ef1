package hunt

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/tracker"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// TestTrackerHarvest asks a tracker on loopback for peers: each listed
// address is an L1 observation naming the tracker, our announces never
// offer a usable peer (a started announce with port 0, withdrawn at once
// by a stopped one), and the scrape counts are stored.
func TestTrackerHarvest(t *testing.T) {
	var mu sync.Mutex
	var announces []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/announce":
			mu.Lock()
			announces = append(announces, q.Get("event")+"/"+q.Get("port"))
			mu.Unlock()
			// One compact peer: 192.0.2.9:6881.
			w.Write([]byte("d8:intervali1800e5:peers6:\xc0\x00\x02\x09\x1a\xe1e"))
		case "/scrape":
			w.Write([]byte("d5:filesd20:" + q.Get("info_hash") + "d8:completei7e10:downloadedi70e10:incompletei9eeee"))
		}
	}))
	defer srv.Close()
	s, err := store.Open(filepath.Join(t.TempDir(), "t.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tcfg := tracker.DefaultConfig()
	tcfg.AllowPrivate, tcfg.Timeout = true, 5*time.Second
	th := TrackerHarvest{Harvester: evidence.NewHarvester(evidence.DefaultHarvestConfig()), Client: tracker.New(tcfg), Store: s}
	ih := fingerprint.InfoHash{9, 9, 9}
	url := srv.URL + "/announce"
	obs, err := th.Harvest(context.Background(), ih, []string{url})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].IP != "192.0.2.9" || obs[0].Port != 6881 || obs[0].Level != evidence.L1Announced ||
		obs[0].Source != "tracker" || obs[0].Detail != url {
		t.Fatalf("observations %+v", obs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(announces) == 0 {
		t.Fatal("the tracker was not asked")
	}
	if len(announces) != 2 || announces[0] != "started/0" || announces[1] != "stopped/0" {
		t.Errorf("announces %q, want started then stopped, both with port 0", announces)
	}
	recs, err := s.Scrapes(ih)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Tracker != url || recs[0].Seeders != 7 || recs[0].Leechers != 9 || recs[0].Completed != 70 || recs[0].Error != "" {
		t.Fatalf("scrape records %+v", recs)
	}
}
