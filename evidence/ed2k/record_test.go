package ed2k_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

// TestObservation: a probe's result becomes an ed2k record of the evidence
// log with what was observed, and its transcript blob hashes to the SHA-256
// the record names.
func TestObservation(t *testing.T) {
	d := leak(t, "tuition_fees_2026.csv")
	prober, err := ed2k.NewProber(fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		behaviour emulefixture.PeerBehaviour
		level     evidence.Level
		verified  bool
		detail    string
	}{
		{"honest", emulefixture.PeerHonest, evidence.L4Served, true, "file name"},
		{"liar", emulefixture.PeerLiar, evidence.L3Claims, false, "first differing byte at offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPeer(t, emulefixture.PeerOptions{Hash: d.hash, Size: int64(len(d.data)), Data: d.target().Doc,
				Name: d.name, Behaviour: tc.behaviour})
			target := d.target()
			target.Document = strings.Repeat("ab", 32)
			res, _ := prober.Probe(context.Background(), target, p.Addr())
			o, tr := res.Observation(target)
			if o.Level != tc.level || o.Net() != evidence.NetworkED2K || o.ED2K != [16]byte(d.hash) || !o.InfoHash.IsZero() ||
				o.Transport != evidence.TransportED2K || o.Document != target.Document || o.IP != "127.0.0.1" || o.Port != int(p.Addr().Port()) {
				t.Errorf("record %+v", o)
			}
			if (o.BlockVerified != nil) != tc.verified || o.BlockRequested == nil || len(o.PartsClaimed) != 1 || o.PartsClaimed[0] != 0 {
				t.Errorf("block requested %v, verified %v, parts %v", o.BlockRequested, o.BlockVerified, o.PartsClaimed)
			}
			want := min(int64(len(d.data)), ed2k.BlockSize)
			if tc.verified && (o.DocBytesVerified != want || *o.BlockVerified != (evidence.ByteRange{Start: 0, End: want})) {
				t.Errorf("verified %v, %d bytes", o.BlockVerified, o.DocBytesVerified)
			}
			if !tc.verified && o.DocBytesVerified != 0 {
				t.Errorf("a block that differs counts %d bytes verified", o.DocBytesVerified)
			}
			if !strings.Contains(o.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", o.Detail, tc.detail)
			}
			if sum := sha256.Sum256(tr); hex.EncodeToString(sum[:]) != o.TranscriptSHA256 {
				t.Error("transcript blob does not hash to the recorded SHA-256")
			}
			if o.PeerID != hex.EncodeToString(res.Client.UserHash[:]) || o.Client == "" {
				t.Errorf("peer id %q client %q", o.PeerID, o.Client)
			}
		})
	}
}
