package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/pgtest"
	"github.com/leakhunt/leakhunt/store"
)

// TestReportCoversEverySensor reports from a store two sensors share. A
// host both sensors saw is one host, graded by the records of both; a
// host only the other sensor proved is named; every letter row and annex
// record names its sensor and its index in that sensor's log; records the
// other sensor made after its latest signed checkpoint are left out; and
// the bundle verifies (its letters name hosts proven only by the other
// sensor's section).
func TestReportCoversEverySensor(t *testing.T) {
	pg := pgtest.Database(t)
	_, mmdb := reportFixture(t)
	dir := t.TempDir()
	ih := fingerprint.InfoHash{0xab, 0xcd}
	t0 := time.Date(2026, 2, 10, 14, 30, 0, 0, time.UTC)
	record := func(sensor, addr string, obs ...evidence.Observation) {
		t.Helper()
		s, err := store.Open(pg, &store.Options{Sensor: sensor, SensorAddr: addr, KeyPath: filepath.Join(dir, sensor), CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.PutTorrent(store.Torrent{InfoHash: ih, Name: "leak", FirstSeen: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendObservations(obs); err != nil {
			t.Fatal(err)
		}
	}
	at := func(min int, lvl evidence.Level, ip string, pieces ...int) evidence.Observation {
		return evidence.Observation{Time: t0.Add(time.Duration(min) * time.Minute), ClockOffset: "1ms", Level: lvl, Source: "probe",
			IP: ip, Port: 6881, InfoHash: ih, PiecesVerified: pieces, Version: "test"}
	}
	report := func(sensor, out string, more ...string) string {
		t.Helper()
		stdout, stderr, code := cli(t, append([]string{"report", "--db", pg, "--sensor", sensor, "--sensor-key", filepath.Join(dir, sensor), "--out", out,
			"--asn-db", mmdb, "--no-rdap"}, more...)...)
		if code != 0 {
			t.Fatalf("report as %s: exit %d: %s", sensor, code, stderr)
		}
		return stdout
	}
	record("tokyo-1", "203.0.113.5", at(0, evidence.L2Connected, "85.10.1.5"), at(1, evidence.L4Served, "85.10.1.6", 1),
		at(5, evidence.L4Served, "85.10.1.5", 4))
	record("osaka-2", "198.51.100.7", at(2, evidence.L4Served, "85.10.1.5", 3), at(3, evidence.L4Served, "85.10.1.7", 2))
	report("osaka-2", filepath.Join(dir, "osaka")) // osaka-2 signs a checkpoint over its two records
	record("osaka-2", "198.51.100.7", at(4, evidence.L4Served, "85.10.1.8", 4))

	out := filepath.Join(dir, "tokyo")
	stdout := report("tokyo-1", out)
	if !strings.Contains(stdout, "osaka-2") {
		t.Errorf("the report does not say it carries osaka-2's log:\n%s", stdout)
	}
	letters, _ := filepath.Glob(filepath.Join(out, "letters", "*.txt"))
	var all strings.Builder
	for _, f := range letters {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	text := all.String()
	for _, want := range []string{
		"85.10.1.5", "85.10.1.6", "85.10.1.7", // .5 at L4 by osaka-2's record alone
		"sensor: osaka-2 (198.51.100.7)", "sensor: tokyo-1 (203.0.113.5)",
		"log record #0 of sensor osaka-2", "log record #1 of sensor osaka-2", "log record #1 of sensor tokyo-1",
		"Rows of sensor osaka-2 are records of that sensor's own log", "commits to its first 3 records", "under sensors/osaka-2/",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the letters do not say %q:\n%s", want, text)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "README.txt")); err != nil || !strings.Contains(string(b), "sensors/osaka-2/  sensor osaka-2: 3 log records") ||
		!strings.Contains(string(b), "7. sensors/NAME/ holds another sensor's records") {
		t.Errorf("README.txt does not describe osaka-2's section (%v):\n%s", err, b)
	}
	if i, j := strings.Index(text, "log record #0 of sensor osaka-2"), strings.Index(text, "log record #2 of sensor tokyo-1"); i < 0 || j < i {
		t.Errorf("85.10.1.5's rows are not in time order (osaka-2's at 14:32 first, then tokyo-1's at 14:35):\n%s", text)
	}
	if strings.Contains(text, "85.10.1.8") {
		t.Errorf("the letters name a host from a record made after osaka-2's latest checkpoint:\n%s", text)
	}

	b, _ := os.ReadFile(filepath.Join(out, "evidence.json"))
	found := false
	for _, p := range bundlePeers(t, out) {
		if p.IP != "85.10.1.5" {
			continue
		}
		found = true
		if p.Level != evidence.L4Served || p.Observed != 3 || !slices.Equal(p.Own, []int64{2}) || !slices.Equal(p.Others["osaka-2"], []int64{0}) {
			t.Errorf("85.10.1.5 in evidence.json: %+v, want L4 from tokyo-1's record 2 and osaka-2's record 0, 3 records", p)
		}
		annex, err := os.ReadFile(filepath.Join(out, p.Annex))
		if err != nil {
			t.Fatal(err)
		}
		// In time order across the two logs.
		for _, re := range []string{`(?s)Record 0 of sensor tokyo-1's log.*Record 0 of sensor osaka-2's log.*Record 2 of sensor tokyo-1's log`,
			`the line of record 0 in sensors/osaka-2/records\.jsonl`, `the line of record 0 in proofs/records\.jsonl`,
			`(?s)for a record of another\s+sensor, in that sensor's sensors/NAME/records\.jsonl`, `7\. sensors/NAME/ holds another sensor's records`} {
			if !regexp.MustCompile(re).Match(annex) {
				t.Errorf("the annex of 85.10.1.5 does not match %q:\n%s", re, annex)
			}
		}
	}
	if !found {
		t.Errorf("85.10.1.5 is not in evidence.json: %s", b)
	}
	if stdout, stderr, code := cli(t, "verify", out); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}

	// In Japanese, as a disclosure request.
	ja := filepath.Join(dir, "tokyo-ja")
	report("tokyo-1", ja, "--lang", "ja", "--kind", "disclosure")
	letters, _ = filepath.Glob(filepath.Join(ja, "letters", "*.txt"))
	annexes, _ := filepath.Glob(filepath.Join(ja, "annex", "*.txt"))
	all.Reset()
	for _, f := range append(letters, annexes...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, want := range []string{"センサーosaka-2のログ記録 #1", "センサーtokyo-1のログ記録 #1", "記録 1（センサーosaka-2のログ）",
		"sensors/osaka-2/records.jsonlの記録1の行", "センサーosaka-2の行は、そのセンサー自身のログの記録です"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("the Japanese letters and annexes do not say %q", want)
		}
	}
	if stdout, stderr, code := cli(t, "verify", ja); code != 0 {
		t.Fatalf("verify the Japanese bundle: exit %d\n%s%s", code, stdout, stderr)
	}
}

// bundlePeer is a peer of a bundle's evidence.json, as the tests read it.
type bundlePeer struct {
	IP       string               `json:"ip"`
	Port     int                  `json:"port"`
	InfoHash fingerprint.InfoHash `json:"infohash"`
	Level    evidence.Level       `json:"level"`
	Own      []int64              `json:"proving_records"`
	Others   map[string][]int64   `json:"proving_sensor_records"`
	Annex    string               `json:"annex"`
	Observed int                  `json:"observations"`
}

// bundlePeers reads the peers of the bundle at out.
func bundlePeers(t *testing.T, out string) []bundlePeer {
	t.Helper()
	var ev struct {
		Peers []bundlePeer `json:"peers"`
	}
	b, err := os.ReadFile(filepath.Join(out, "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Peers
}
