package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// addED2K appends, to a fixture store, an eMule-network peer listed by Kad
// (L1) then probed to L4, with its redacted transcript.
func addED2K(t *testing.T, s interface {
	AppendEvidence([]evidence.Observation, [][]byte) (int64, error)
}) fingerprint.ED2KHash {
	t.Helper()
	h := fingerprint.ED2KHash{0x36, 0x19, 0xcf}
	tr := ed2k.EncodeTranscript([]ed2k.Record{{Dir: ed2k.DirWrite, Kind: ed2k.KindPacket, Bytes: []byte{0xe3, 2, 0, 0, 0, 0x01, 0x10}}})
	sum := sha256.Sum256(tr)
	t0 := time.Date(2026, 2, 11, 9, 0, 0, 0, time.UTC)
	clock := &evidence.ClockMeasurement{Asked: []string{"ntp-a.example:123"}, Answered: 1, Agreeing: 1, Server: "ntp-a.example:123",
		Stratum: 2, RTT: evidence.Duration(10 * time.Millisecond), MeasuredAt: t0.Add(-time.Second)}
	base := evidence.Observation{Time: t0, ClockOffset: "0s", Clock: clock, IP: "85.10.7.7", Port: 4662, Document: doc,
		Version: "leakhunt test", Network: evidence.NetworkED2K, ED2K: h}
	listed := base
	listed.Level, listed.Source, listed.Detail = evidence.L1Announced, "kad", "source search"
	served := base
	served.Time = t0.Add(time.Minute)
	served.Level, served.Source, served.Transport = evidence.L4Served, evidence.SourceProbe, evidence.TransportED2K
	served.PeerID, served.Client, served.ListenAddr = strings.Repeat("0e", 16), "aMule 2.3.3", "127.0.0.1:41000"
	served.PartsClaimed, served.ClaimedCount = []int{0}, 1
	served.BlockRequested = &evidence.ByteRange{Start: 0, End: 184320}
	served.BlockVerified = &evidence.ByteRange{Start: 0, End: 184320}
	served.DocBytesVerified, served.TranscriptSHA256 = 184320, hex.EncodeToString(sum[:])
	if _, err := s.AppendEvidence([]evidence.Observation{listed, served}, [][]byte{tr}); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestED2KReport: an ed2k peer at L4 is named in letters, CSV, JSON and
// its annex with its network, ed2k hash and block verified, its annex
// states the ed2k method, and the bundle verifies.
func TestED2KReport(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			s, keys, dir := fixtureStore(t)
			h := addED2K(t, s)
			opt := fixtureOptions(t, dir, lang)
			if _, err := Generate(context.Background(), s, keys, opt); err != nil {
				t.Fatal(err)
			}
			read := func(rel string) string {
				b, err := os.ReadFile(filepath.Join(opt.OutDir, filepath.FromSlash(rel)))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			letters, _ := filepath.Glob(filepath.Join(opt.OutDir, "letters", "*.txt"))
			var letter, annex string
			for _, l := range letters {
				if b, _ := os.ReadFile(l); strings.Contains(string(b), "85.10.7.7") {
					letter = string(b)
				}
			}
			annexes, _ := filepath.Glob(filepath.Join(opt.OutDir, "annex", "*.txt"))
			for _, a := range annexes {
				if b, _ := os.ReadFile(a); strings.Contains(string(b), "85.10.7.7") {
					annex = string(b)
				}
			}
			want := map[string][]string{
				"en": {"ed2k-tcp (eMule (ed2k))", "ed2k file:       " + h.String(), "bytes 0–184319 (part #0), 184,320 bytes",
					"BitTorrent and eMule (ed2k) file-sharing networks"},
				"ja": {"ed2k-tcp（eMule (ed2k)）", "ed2kファイル：    " + h.String(), "0〜184319バイト目（パート#0）",
					"BitTorrent及びeMule（ed2k）ファイル共有ネットワーク"},
			}[lang]
			for _, w := range want {
				if !strings.Contains(letter, w) {
					t.Errorf("letter lacks %q:\n%s", w, letter)
				}
			}
			method := map[string][]string{
				"en": {"P2P network: eMule (ed2k)", "one REQUESTPARTS for one block", "all min(document size, 184,320) of them were\n     identical",
					"Clock: each measurement", "7. Records of the eMule network", "-> packet 0xE3/0x01", "1 part (#0)"},
				"ja": {"P2Pネットワーク: eMule (ed2k)", "1回のREQUESTPARTSで", "時計：測定ごとに", "7. eMuleネットワークの記録"},
			}[lang]
			for _, w := range method {
				if !strings.Contains(annex, w) {
					t.Errorf("annex lacks %q", w)
				}
			}
			if strings.Contains(annex, "Torrent infohash") || strings.Contains(annex, "bitfield") {
				t.Error("the ed2k annex speaks of torrents")
			}
			readme := read("README.txt")
			for _, w := range map[string][]string{"en": {"one REQUESTPARTS for one block", "7. Records of the eMule network", "L1 announced: a DHT node"},
				"ja": {"1回のREQUESTPARTSで", "7. eMuleネットワークの記録", "L1 告知：DHTノード"}}[lang] {
				if !strings.Contains(readme, w) {
					t.Errorf("the bundle's README lacks %q", w)
				}
			}
			if csv := read("peers.csv"); !strings.Contains(csv, ",ed2k,"+h.String()+",") || !strings.Contains(csv, ",bittorrent,,") {
				t.Errorf("peers.csv does not name the networks:\n%s", csv)
			}
			if js := read("evidence.json"); !strings.Contains(js, `"network":"ed2k","infohash":"","ed2k":"`+h.String()) {
				t.Error("evidence.json does not name the ed2k peer's network")
			}
			probs, err := VerifyBundle(opt.OutDir, VerifyOptions{})
			if err != nil || len(probs) != 0 {
				t.Fatalf("verify: %v %v", probs, err)
			}
		})
	}
}

// TestCheckED2KRecord: what a bundle can check of an ed2k record alone.
func TestCheckED2KRecord(t *testing.T) {
	h := fingerprint.ED2KHash{1}
	block := &evidence.ByteRange{Start: 0, End: 184320}
	for _, tc := range []struct {
		name string
		k    leafKey
		ok   bool
	}{
		{"L4 with its block", leafKey{Level: 4, ED2K: h, BlockVerified: block, DocBytesVerified: 184320}, true},
		{"L3 with nothing verified", leafKey{Level: 3, ED2K: h}, true},
		{"no hash", leafKey{Level: 3}, false},
		{"L5", leafKey{Level: 5, ED2K: h, BlockVerified: block, DocBytesVerified: 184320}, false},
		{"L4 without a block", leafKey{Level: 4, ED2K: h, DocBytesVerified: 184320}, false},
		{"L4 counting more bytes", leafKey{Level: 4, ED2K: h, BlockVerified: block, DocBytesVerified: 200000}, false},
		{"block over a part boundary", leafKey{Level: 4, ED2K: h, BlockVerified: &evidence.ByteRange{Start: 9_728_000 - 10, End: 9_728_000 + 10}, DocBytesVerified: 20}, false},
		{"block too long", leafKey{Level: 4, ED2K: h, BlockVerified: &evidence.ByteRange{Start: 0, End: 184321}, DocBytesVerified: 184321}, false},
		{"L3 naming verified bytes", leafKey{Level: 3, ED2K: h, BlockVerified: block}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkED2KRecord(7, &tc.k); (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
