package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/pgtest"
	"github.com/leakhunt/leakhunt/store"
)

// TestTimelineEverySensor: in a store two sensors share, a peer's level is
// what either sensor's records prove, and its timeline lists every
// sensor's records in time order, each naming its sensor (whose log its
// index is in).
func TestTimelineEverySensor(t *testing.T) {
	u := pgtest.Database(t)
	dir := shortTempDir(t)
	ih := fingerprint.InfoHash{0xd4}
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	at := func(min int, lvl evidence.Level) evidence.Observation {
		return evidence.Observation{Time: t0.Add(time.Duration(min) * time.Minute), ClockOffset: "unsynchronized", Level: lvl,
			Source: "probe", IP: "85.10.1.5", Port: 6881, InfoHash: ih, Version: "test", Transport: "tcp"}
	}
	sensors := map[string]*store.Store{}
	for _, name := range []string{"tokyo-1", "osaka-2"} {
		s, err := store.Open(u, &store.Options{Sensor: name, KeyPath: filepath.Join(dir, name), CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sensors[name] = s
	}
	if _, err := sensors["tokyo-1"].AppendObservations([]evidence.Observation{at(0, evidence.L2Connected), at(2, evidence.L2Connected)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sensors["osaka-2"].AppendObservations([]evidence.Observation{at(1, evidence.L4Served)}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: filepath.Join(dir, "shared"), s: sensors["tokyo-1"]}
	var err error
	if f.keys, err = evidence.OpenKeys(f.s, evidence.KeyOptions{Name: evidence.KeyName("test"), Version: "test"}); err != nil {
		t.Fatal(err)
	}
	sv := serve(t, f, Config{}, "")
	resp, body := sv.get(t, "/api/peer?infohash="+ih.String()+"&ip=85.10.1.5&port=6881")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s\n%s", resp.Status, body)
	}
	var tl Timeline
	if err := json.Unmarshal([]byte(body), &tl); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tl.Observations {
		got = append(got, fmt.Sprintf("%s #%d %s", e.Sensor, e.Index, e.Level))
	}
	want := []string{"tokyo-1 #0 L2", "osaka-2 #0 L4", "tokyo-1 #1 L2"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") || tl.Peer.Level != evidence.L4Served {
		t.Errorf("timeline %v at %v, want %v at L4", got, tl.Peer.Level, want)
	}
	if _, page := sv.get(t, "/peer?infohash="+ih.String()+"&ip=85.10.1.5&port=6881"); !strings.Contains(page, "of osaka-2") {
		t.Errorf("the peer page does not name osaka-2's record:\n%s", page)
	}
}
