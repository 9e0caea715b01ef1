package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

// startAMule starts an amuled on 127.0.0.1 sharing files (name → path), or
// skips the test with the reason it cannot. This binary asks it for one
// upload per test run (aMule bans a client asking more than three times
// in about ten minutes).
func startAMule(t *testing.T, files map[string]string) *emulefixture.AMule {
	t.Helper()
	if err := emulefixture.AMuleAvailable(); err != nil {
		t.Skipf("no aMule: %v", err)
	}
	dir, err := os.MkdirTemp("", "leakhunt-amule-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := emulefixture.StartAMule(ctx, emulefixture.AMuleOptions{Dir: dir, Address: netip.MustParseAddr("127.0.0.1"), Share: files, Debug: true})
	if err != nil {
		t.Skipf("amuled did not start: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("amuled log:\n%s", a.Log())
		}
		a.Stop()
	})
	return a
}

// TestWatchED2K runs `watch ed2k://...|sources,...|/` against a real aMule
// sharing a catalogued leak and an in-process liar claiming it: aMule
// reaches L4, the liar stays at L3, the records are in a report bundle
// that verifies; without --allow-local no source is contacted, and a link
// whose hash is not catalogued is a lead, never probed.
func TestWatchED2K(t *testing.T) {
	leak, data, fp, h := testLeak(t, "tuition_fees_2026.csv")
	liar, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: h, Size: int64(len(data)),
		Data: bytes.NewReader(data), Name: "tuition_fees_2026.csv", Behaviour: emulefixture.PeerLiar})
	if err != nil {
		t.Fatal(err)
	}
	defer liar.Close()
	amule := startAMule(t, map[string]string{"tuition_fees_2026.csv": leak})

	db := filepath.Join(t.TempDir(), "leakhunt.db")
	if _, stderr, code := cli(t, "catalog", "add", "--db", db, leak); code != 0 {
		t.Fatalf("catalog add: %s", stderr)
	}
	link := fmt.Sprintf("ed2k://|file|tuition_fees_2026.csv|%d|%s|/|sources,%s,%s|/", len(data), fp.ED2K, amule.ED2KAddr(), liar.Addr())

	t.Run("refused without --allow-local", func(t *testing.T) {
		stdout, stderr, code := cli(t, "watch", "--db", db, "--rounds", "1", "--ntp", "127.0.0.1:1", link)
		if code != 0 || !strings.Contains(stdout, "0 sources (2 more refused") || liar.Stats().Connections != 0 {
			t.Fatalf("exit %d, %d liar connections\n%s%s", code, liar.Stats().Connections, stdout, stderr)
		}
	})
	t.Run("lead", func(t *testing.T) {
		lead := strings.Replace(link, fp.ED2K, strings.Repeat("0f", 16), 1)
		stdout, stderr, code := cli(t, "watch", "--db", db, "--allow-local", "--rounds", "1", lead)
		if code != 1 || !strings.Contains(stderr, "lead") || liar.Stats().Connections != 0 {
			t.Fatalf("exit %d, %d liar connections\n%s%s", code, liar.Stats().Connections, stdout, stderr)
		}
	})

	args := []string{"watch", "--db", db, "--allow-local", "--rounds", "1", link}
	stdout, stderr, code := cli(t, args...)
	rounds := int64(1)
	if code == 0 && strings.Contains(stdout, "2 probed: L1 1, L2 0, L3 1, L4 0") {
		// aMule answered the hello and then nothing within the probe's
		// timeouts: on a machine loaded by a -race run of every package
		// its timer loop falls far behind. One more round, after the
		// spacing aMule needs between two connections of one client
		// (ed2k.Config.PeerSpacing); it gives no sign to wait on.
		t.Logf("aMule did not answer in time:\n%s%sone more round", stdout, stderr)
		time.Sleep(5 * time.Second)
		stdout, stderr, code = cli(t, args...)
		rounds++
	}
	if code != 0 || !strings.Contains(stdout, "2 probed: L1 0, L2 0, L3 1, L4 1") {
		peers, _, _ := cli(t, "peers", "--db", db, "--json", "--min-level", "L1")
		t.Fatalf("watch: exit %d\n%s%s\npeers:\n%s", code, stdout, stderr, peers)
	}
	stdout, _, _ = cli(t, "peers", "--db", db, "--json", "--min-level", "L1")
	levels := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r peerRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if r.Network != "ed2k" || r.ED2K.String() != fp.ED2K || !r.InfoHash.IsZero() {
			t.Errorf("row %+v", r)
		}
		levels[fmt.Sprintf("%s:%d", r.IP, r.Port)] = r.Level
	}
	if levels[amule.ED2KAddr().String()] != "L4" || levels[liar.Addr().String()] != "L3" {
		t.Fatalf("levels %v (aMule %s, liar %s)", levels, amule.ED2KAddr(), liar.Addr())
	}
	if out, _, _ := cli(t, "peers", "--db", db); !strings.Contains(out, "ed2k") || !strings.Contains(out, "bytes 0–") {
		t.Errorf("peers table:\n%s", out)
	}
	out := filepath.Join(t.TempDir(), "report")
	if _, stderr, code := cli(t, "report", "--db", db, "--out", out); code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	if stdout, stderr, code := cli(t, "verify", out); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	csv, _ := os.ReadFile(filepath.Join(out, "peers.csv"))
	if !strings.Contains(string(csv), amule.ED2KAddr().Addr().String()) || strings.Contains(string(csv), fmt.Sprint(liar.Addr().Port())) {
		t.Errorf("peers.csv at L4 should name aMule alone:\n%s", csv)
	}
	if liar.Stats().UploadRequests != rounds {
		t.Errorf("the liar was asked for %d uploads in %d rounds, want one a round", liar.Stats().UploadRequests, rounds)
	}
}

// TestNetworksFlag: --networks names known networks only, at least one;
// an ed2k link's hash must be one; both are usage errors (exit 2).
func TestNetworksFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "leakhunt.db")
	if _, stderr, code := cli(t, "catalog", "add", "--db", db, filepath.Join(leaksDir(t), "staff_roster.tsv")); code != 0 {
		t.Fatalf("catalog add: %s", stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown network", []string{"hunt", "--networks", "bittorrent,winny"}, `unknown network "winny"`},
		{"no network", []string{"hunt", "--networks", ","}, "name at least one"},
		{"bad Kad node", []string{"hunt", "--networks", "ed2k", "--allow-local", "--kad-node", "[::1]:4672"}, "want IPv4:UDP-port"},
		{"missing nodes.dat", []string{"hunt", "--networks", "ed2k", "--nodes-dat", "/nonexistent/nodes.dat"}, "--nodes-dat"},
		{"not a file link", []string{"watch", "ed2k://|server|127.0.0.1|4661|/"}, "ed2k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{tc.args[0], "--db", db}, tc.args[1:]...)
			_, stderr, code := cli(t, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// TestHuntKad runs `leakhunt hunt --networks ed2k` as a real process
// against an in-process Kad network indexing a catalogued leak, with an
// honest ed2k peer and a liar published as its sources: the hunt joins Kad
// from --kad-node, probes the honest peer to L4 and the liar to L3, stops
// on Ctrl-C (exit 130), and its records (sources from Kad, probes) verify
// in a report bundle.
func TestHuntKad(t *testing.T) {
	leak, data, _, h := testLeak(t, "member_db_export.sql")
	n, err := emulefixture.StartKad(emulefixture.KadOptions{Nodes: 16, Seed: 9, Near: []kad.ID{kad.ID(h)}})
	if err != nil {
		t.Skipf("fixture Kad network on 127.0.0.x: %v", err)
	}
	defer n.Close()
	addrs := map[emulefixture.PeerBehaviour]string{}
	for _, b := range []emulefixture.PeerBehaviour{emulefixture.PeerHonest, emulefixture.PeerLiar} {
		p, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: h, Size: int64(len(data)), Data: bytes.NewReader(data), Name: "m.sql", Behaviour: b})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		n.PublishSource(kad.ID(h), kad.Source{IP: p.Addr().Addr(), TCPPort: p.Addr().Port(), Type: kad.SourceOpen, Size: uint64(len(data))})
		addrs[b] = p.Addr().String()
	}
	db := filepath.Join(t.TempDir(), "leakhunt.db")
	if _, stderr, code := cli(t, "catalog", "add", "--db", db, leak); code != 0 {
		t.Fatalf("catalog add: %s", stderr)
	}
	c := startChild(t, "hunt", "--db", db, "-v", "--allow-local", "--networks", "ed2k", "--kad-listen", "127.0.0.1:0",
		"--kad-node", n.Contacts()[0].Addr.String(), "--kad-node", n.Contacts()[1].Addr.String())
	c.waitFor(t, "ed2k probe done", 2, 90*time.Second)
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-c.done
	if err := c.cmd.Wait(); c.cmd.ProcessState.ExitCode() != exitInterrupted {
		t.Fatalf("hunt ended with %v", err)
	}
	stdout, _, _ := cli(t, "peers", "--db", db, "--json", "--min-level", "L1")
	levels := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r peerRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		levels[fmt.Sprintf("%s:%d", r.IP, r.Port)] = r.Level
	}
	if levels[addrs[emulefixture.PeerHonest]] != "L4" || levels[addrs[emulefixture.PeerLiar]] != "L3" {
		t.Fatalf("levels %v, honest %s, liar %s", levels, addrs[emulefixture.PeerHonest], addrs[emulefixture.PeerLiar])
	}
	out := filepath.Join(t.TempDir(), "report")
	if _, stderr, code := cli(t, "report", "--db", db, "--out", out, "--min-level", "L3"); code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	if stdout, stderr, code := cli(t, "verify", out); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	annexes, _ := filepath.Glob(filepath.Join(out, "annex", "*.txt"))
	fromKad := 0
	for _, a := range annexes {
		if b, _ := os.ReadFile(a); bytes.Contains(b, []byte("  source: kad\n")) && bytes.Contains(b, []byte("P2P network: eMule (ed2k)")) {
			fromKad++
		}
	}
	if fromKad != 2 {
		t.Errorf("%d of %d annexes show the peer listed by Kad on the eMule network, want 2", fromKad, len(annexes))
	}
}

// testLeak returns the path, bytes, fingerprint and ed2k hash of one of
// testdata/leaks.
func testLeak(t *testing.T, name string) (string, []byte, fingerprint.Fingerprint, fingerprint.ED2KHash) {
	t.Helper()
	leak := filepath.Join(leaksDir(t), name)
	data, err := os.ReadFile(leak)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.File(leak, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := fingerprint.ParseED2KHash(fp.ED2K)
	if err != nil {
		t.Fatal(err)
	}
	return leak, data, fp, h
}
