package hunt

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
	"github.com/leakhunt/leakhunt/internal/interop"
)

// TestHuntKad runs a hunt on the eMule network alone against an in-process
// Kad network that indexes a catalogued leak: an honest ed2k peer and a
// liar published as its sources, and the leak published under a keyword
// of its name. The hunt joins Kad from given nodes, records the keyword
// hit as a sighting matched to the document, records both sources as L1
// (Kad) and probes them: the honest peer reaches L4, the liar stays at L3;
// the Kad routing table and ID are kept in the store.
func TestHuntKad(t *testing.T) {
	s, data, fp, h := catalogLeak(t, "tuition_fees_2026.csv")
	peers := map[emulefixture.PeerBehaviour]*emulefixture.Peer{}
	for _, b := range []emulefixture.PeerBehaviour{emulefixture.PeerHonest, emulefixture.PeerLiar} {
		p, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: h, Size: int64(len(data)), Data: bytes.NewReader(data),
			Name: "tuition_fees_2026.csv", Behaviour: b})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		peers[b] = p
	}
	n, err := emulefixture.StartKad(emulefixture.KadOptions{Nodes: 20, Seed: 3, Near: []kad.ID{kad.ID(h), kad.KeywordID("tuition")}})
	if err != nil {
		t.Skipf("fixture Kad network on 127.0.0.x: %v", err)
	}
	defer n.Close()
	for _, p := range peers {
		n.PublishSource(kad.ID(h), kad.Source{IP: p.Addr().Addr(), TCPPort: p.Addr().Port(), Type: kad.SourceOpen, Size: uint64(len(data))})
	}
	n.PublishKeyword("tuition", kad.KeywordHit{Hash: h, Name: "tuition_fees_2026.csv", Size: uint64(len(data)), Sources: 2})
	var nodes []string
	for _, c := range n.Contacts()[:3] {
		nodes = append(nodes, c.Addr.String())
	}

	rec, err := NewRecorder(s)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Probe: true, Chase: evidence.L4Served, Watch: true, AllowLocal: true, ProbeInterval: time.Hour,
		Probes: 4, Fetches: 1, ED2K: true, Kad: true, KadListen: "127.0.0.1:0", KadNodes: nodes}
	hu, err := Assemble(s, rec, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- hu.Run(ctx) }()
	level := func(p *emulefixture.Peer) evidence.Level {
		ps, _ := s.PeersOfSubject("ed2k:" + h.String())
		for _, x := range ps {
			if x.IP == p.Addr().Addr().String() && x.Port == int(p.Addr().Port()) {
				return x.Level
			}
		}
		return -1
	}
	// Source searches and keyword searches run side by side, so the probes
	// can finish before the keyword answer is recorded: wait for both.
	var sightings []crawler.Sighting
	kadSighting := func() bool {
		sightings, _ = s.Sightings(fingerprint.InfoHash{})
		for _, sg := range sightings {
			if sg.Source == crawler.SourceKad && sg.Name == "tuition_fees_2026.csv" {
				return true
			}
		}
		return false
	}
	reached := interop.Until(ctx, func() bool {
		return level(peers[emulefixture.PeerHonest]) == evidence.L4Served && level(peers[emulefixture.PeerLiar]) == evidence.L3Claims
	})
	sighted := interop.Until(ctx, kadSighting)
	cancel()
	<-done
	hu.Close()
	if !reached {
		t.Fatalf("honest peer at %v, liar at %v", level(peers[emulefixture.PeerHonest]), level(peers[emulefixture.PeerLiar]))
	}
	if !sighted {
		t.Errorf("no Kad keyword sighting among %+v", sightings)
	}
	ms, _ := s.Matches()
	matched := false
	for _, m := range ms {
		matched = matched || (m.Method == fingerprint.MethodED2K && m.Document == fp.SHA256 && m.Source != "")
	}
	if !matched {
		t.Errorf("the keyword hit was not matched to the document: %+v", ms)
	}
	idx, _ := s.SubjectObservations("ed2k:"+h.String(), "127.0.0.1", int(peers[emulefixture.PeerHonest].Addr().Port()))
	sources := map[string]bool{}
	for _, i := range idx {
		o, _ := s.Observation(i)
		sources[o.Source] = true
	}
	if !sources[evidence.SourceKad] || !sources[evidence.SourceProbe] {
		t.Errorf("honest peer's records come from %v, want kad and probe", sources)
	}
	if !KadTableKept(s) {
		t.Error("the Kad routing table was not kept in the store")
	}
	if st := n.Stats(); st.Dropped != 0 || st.Banned != 0 {
		t.Errorf("aMule's flood accounting: %d dropped, %d banning", st.Dropped, st.Banned)
	}
	if up := peers[emulefixture.PeerHonest].Stats().UploadRequests; up != 1 {
		t.Errorf("the honest peer was asked for %d uploads in one probe interval, want 1", up)
	}
}
