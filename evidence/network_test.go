package evidence

import (
	"bytes"
	"testing"
)

// TestNetwork: a BitTorrent record names no network in its leaf (so that
// leaves made before ed2k are unchanged) and is summarized by infohash; an
// ed2k record names its network and is summarized by its ed2k hash.
func TestNetwork(t *testing.T) {
	bt, ed := fullObservation(), ed2kObservation()
	for _, tc := range []struct {
		name          string
		o             Observation
		net, subject  string
		leafHas, lack []string
	}{
		{"bittorrent", bt, NetworkBitTorrent, bt.InfoHash.String(), []string{`"infohash":"abab01`},
			[]string{`"network"`, `"ed2k"`, `"parts_claimed"`, `"block_`}},
		{"ed2k", ed, NetworkED2K, "ed2k:" + ed.ED2K.String(),
			[]string{`"network":"ed2k"`, `"ed2k":"3619`, `"transport":"ed2k-tcp"`, `"block_verified":{"start":0,"end":184320}`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.Net(); got != tc.net {
				t.Errorf("Net = %q, want %q", got, tc.net)
			}
			if got := tc.o.Subject(); got != tc.subject {
				t.Errorf("Subject = %q, want %q", got, tc.subject)
			}
			leaf, err := tc.o.Leaf()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.leafHas {
				if !bytes.Contains(leaf, []byte(s)) {
					t.Errorf("leaf lacks %s: %s", s, leaf)
				}
			}
			for _, s := range tc.lack {
				if bytes.Contains(leaf, []byte(s)) {
					t.Errorf("leaf has %s: %s", s, leaf)
				}
			}
			var p Peer
			p.Add(&tc.o)
			if p.Net() != tc.net || p.Subject() != tc.subject {
				t.Errorf("peer summary network %q subject %q", p.Net(), p.Subject())
			}
			var back Observation
			if err := DecodeLeaf(leaf, &back); err != nil || back.Subject() != tc.subject {
				t.Errorf("decoded subject %q, %v", back.Subject(), err)
			}
		})
	}
}
