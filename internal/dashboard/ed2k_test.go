package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// TestED2KPeersApart: one address sharing two ed2k files and a torrent is
// three peers, each named with its network, each with its own timeline;
// the ed2k ones are not folded together (they have no infohash).
func TestED2KPeersApart(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h1, h2 := fingerprint.ED2KHash{0x11}, fingerprint.ED2KHash{0x22}
	var obs []evidence.Observation
	for i, h := range []fingerprint.ED2KHash{h1, h2, h1} {
		obs = append(obs, evidence.Observation{Time: t0.Add(time.Duration(i) * time.Minute), ClockOffset: "unsynchronized",
			Level: evidence.L3Claims - evidence.Level(i%2), Source: "probe", IP: "127.0.0.99", Port: 4662, Network: evidence.NetworkED2K, ED2K: h,
			Document: f.doc.SHA256, Version: "test", Client: "aMule 2.3.3", Transport: "ed2k-tcp"})
	}
	obs = append(obs, evidence.Observation{Time: t0, ClockOffset: "unsynchronized", Level: evidence.L2Connected, Source: "probe",
		IP: "127.0.0.99", Port: 4662, InfoHash: ihHostile, Document: f.doc.SHA256, Version: "test", Transport: "tcp"})
	if _, err := f.s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	sv := serve(t, f, Config{}, "")
	resp, body := sv.get(t, "/api/peers?ip=127.0.0.99&min_level=L1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s\n%s", resp.Status, body)
	}
	var page struct {
		Peers []PeerRow `json:"peers"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	got := map[string]PeerRow{}
	for _, p := range page.Peers {
		got[p.Subject()] = p
	}
	bt := got[ihHostile.String()]
	if len(page.Peers) != 3 || got["ed2k:"+h1.String()].Observations != 2 || got["ed2k:"+h2.String()].Observations != 1 ||
		bt.Net() != evidence.NetworkBitTorrent {
		t.Fatalf("peers of 127.0.0.99: %+v", page.Peers)
	}
	if p := got["ed2k:"+h1.String()]; p.Level != evidence.L3Claims || p.Net() != evidence.NetworkED2K {
		t.Errorf("ed2k peer %+v", p)
	}
	_, list := sv.get(t, "/peers?min_level=L1&ip=127.0.0.99")
	if n := strings.Count(list, "<td>"+evidence.NetworkED2K+"</td>"); n != 2 {
		t.Errorf("/peers names the ed2k network on %d rows, want 2", n)
	}
	resp, page1 := sv.get(t, "/peer?ed2k="+h2.String()+"&ip=127.0.0.99&port=4662")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page1, h2.String()) || strings.Contains(page1, h1.String()) {
		t.Errorf("/peer?ed2k=: %s\n%s", resp.Status, page1)
	}
	if resp, _ := sv.get(t, "/api/peer?ed2k=nothex&ip=127.0.0.99&port=4662"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad ed2k= answered %s", resp.Status)
	}
}
