package store

import (
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// TestPeersPerNetwork: one address seen sharing a torrent and an ed2k file
// has one summary per subject, each with its own records, and survives a
// reopen (summaries replayed from the log).
func TestPeersPerNetwork(t *testing.T) { forEachBackend(t, testPeersPerNetwork) }

func testPeersPerNetwork(t *testing.T, s *Store) {
	ih := fingerprint.InfoHash{0xaa, 1}
	h := fingerprint.ED2KHash{0x36, 0x19}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	obs := []evidence.Observation{
		{Time: at, Level: evidence.L1Announced, Source: evidence.SourceDHT, IP: "192.0.2.9", Port: 4662, InfoHash: ih},
		{Time: at, Level: evidence.L1Announced, Source: "kad", IP: "192.0.2.9", Port: 4662, Network: evidence.NetworkED2K, ED2K: h},
		{Time: at.Add(time.Second), Level: evidence.L4Served, Source: evidence.SourceProbe, IP: "192.0.2.9", Port: 4662,
			Network: evidence.NetworkED2K, ED2K: h, Transport: evidence.TransportED2K,
			BlockVerified: &evidence.ByteRange{Start: 0, End: 184320}},
	}
	if _, err := s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		subject string
		net     string
		level   evidence.Level
		records int
	}{
		{ih.String(), evidence.NetworkBitTorrent, evidence.L1Announced, 1},
		{"ed2k:" + h.String(), evidence.NetworkED2K, evidence.L4Served, 2},
	} {
		t.Run(tc.net, func(t *testing.T) {
			ps, err := s.PeersOfSubject(tc.subject)
			if err != nil || len(ps) != 1 {
				t.Fatalf("PeersOfSubject = %+v, %v", ps, err)
			}
			p := ps[0]
			if p.Net() != tc.net || p.Level != tc.level || p.Observations != tc.records || p.Subject() != tc.subject {
				t.Errorf("summary %+v", p)
			}
			idx, err := s.SubjectObservations(tc.subject, p.IP, p.Port)
			if err != nil || len(idx) != tc.records {
				t.Errorf("SubjectObservations = %v, %v", idx, err)
			}
		})
	}
	all, err := s.Peers(0)
	if err != nil || len(all) != 2 {
		t.Fatalf("Peers = %+v, %v", all, err)
	}
}
