package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// TestDemo runs the whole demo and checks its findings from its store, not
// its text: every leak proven, the honest seeders at L4, the liar at L3
// with its failed piece on record, the empty address at L1, no decoy
// matched; then the store's log and the report bundle verify offline.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the demo runs a whole swarm (about 15 s)")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := huntScenario(ctx, e, &common{quiet: true}, out, 2*time.Minute, "ja")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	if len(res.wrong) > 0 || len(res.missing) > 0 {
		t.Fatalf("demo findings: wrong %v, missing %v", res.wrong, res.missing)
	}
	s, err := store.Open(res.storePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// The liar's failed piece is on record and it never reached L4.
	liars := 0
	for _, tor := range res.scenarioTorrent {
		peers, err := s.PeersOf(tor.InfoHash)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range peers {
			if p.Client == "liar/1.0" {
				liars++
				if p.Level != evidence.L3Claims || len(p.PiecesFailed) == 0 || len(p.PiecesVerified) != 0 {
					t.Errorf("liar summary %+v", p)
				}
			}
		}
	}
	if liars != 1 {
		t.Errorf("found %d lying peers, want 1", liars)
	}

	// The store's log verifies with its public key.
	vk, err := os.ReadFile(res.storePath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	problems, n, err := evidence.VerifyStore(s, strings.TrimSpace(string(vk)))
	if err != nil || len(problems) > 0 || n == 0 {
		t.Fatalf("VerifyStore: %d records, %v, %v", n, problems, err)
	}
	// The bundle verifies offline and names only L4 peers.
	problemsB, err := report.VerifyBundle(res.reportDir, report.VerifyOptions{})
	if err != nil || len(problemsB) > 0 {
		t.Fatalf("VerifyBundle: %v %v", problemsB, err)
	}
	csv, err := os.ReadFile(filepath.Join(res.reportDir, "peers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	honest := 0
	for _, tor := range res.scenarioTorrent {
		for _, lvl := range tor.Peers {
			if lvl >= 4 {
				honest++
			}
		}
	}
	if rows := strings.Count(strings.TrimSpace(string(csv)), "\n"); rows != honest || honest < 4 {
		t.Errorf("peers.csv has %d rows; it should name the %d honest seeders:\n%s", rows, honest, csv)
	}
	for _, tor := range res.scenarioTorrent {
		for ap, lvl := range tor.Peers {
			cell := "," + ap.Addr().String() + "," + strconv.Itoa(int(ap.Port())) + ","
			if named := strings.Contains(string(csv), cell); named != (lvl >= 4) {
				t.Errorf("peers.csv naming %s is %v, but it is L%d (only L4 is named)", ap, named, lvl)
			}
			if lvl < 4 && strings.Contains(string(csv), ap.String()) {
				t.Errorf("peers.csv names %s, which is only L%d", ap, lvl)
			}
		}
	}
	if !strings.Contains(stdout.String(), "PROVEN") {
		t.Errorf("demo printed no findings:\n%s", stdout.String())
	}
	// Against the demo's copies of the documents, every piece the letters
	// rest on is computed again and every verified block compared.
	vout, verr, code := cli(t, "verify", "--documents", filepath.Join(out, "documents"), res.reportDir)
	if code != 0 || !strings.Contains(vout, "documents: ") {
		t.Fatalf("verify --documents: exit %d\n%s%s", code, vout, verr)
	}
	t.Log(strings.TrimSpace(vout))
	dc, probs, err := report.VerifyDocuments(res.reportDir, filepath.Join(out, "documents"))
	if err != nil || len(probs) > 0 || dc.Given != dc.Documents || dc.Documents == 0 || dc.Pieces == 0 || dc.Blocks == 0 {
		t.Errorf("VerifyDocuments = %+v, %v, %v", dc, probs, err)
	}
	// Without the copies, every document is named as missing.
	vout, _, code = cli(t, "verify", "--documents", t.TempDir(), res.reportDir)
	if code != 1 || !strings.Contains(vout, "is not among the copies") {
		t.Errorf("verify --documents EMPTY: exit %d\n%s", code, vout)
	}
}
