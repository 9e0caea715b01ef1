package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/store"
)

// TestPeersShowsClientsSafely: client strings from the network (stored by
// an older version as they came) are shown with C0 and C1 controls, line
// separators and bidi overrides escaped, and cut on a character boundary.
func TestPeersShowsClientsSafely(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ih fingerprint.InfoHash
	for i := range ih {
		ih[i] = 0xcd
	}
	long := strings.Repeat("給", 70)
	clients := []string{"evil\u0085next\u2028line\u202egpj.exe\x1b[31m", long}
	var obs []evidence.Observation
	for i, c := range clients {
		obs = append(obs, evidence.Observation{Time: time.Date(2026, 2, 10, 14, 30, i, 0, time.UTC), Level: 2, Source: "probe",
			IP: "192.0.2.1", Port: 6881 + i, InfoHash: ih, Client: c, Version: "test"})
	}
	if _, err := s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := cli(t, "peers", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !utf8.ValidString(stdout) {
		t.Errorf("output is not valid UTF-8:\n%q", stdout)
	}
	for _, r := range stdout {
		if r != '\n' && display.Unsafe(r) {
			t.Errorf("output holds %U:\n%q", r, stdout)
		}
	}
	for _, want := range []string{`evil\u0085next\u2028line\u202egpj.exe\u001b[31m`, strings.Repeat("給", maxCell) + "…[18 more bytes]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output does not show %q:\n%s", want, stdout)
		}
	}
	// JSON keeps the values, with the same characters escaped.
	stdout, _, _ = cli(t, "peers", "--db", db, "--json")
	for _, r := range stdout {
		if r != '\n' && display.Unsafe(r) {
			t.Errorf("JSON output holds %U", r)
		}
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var row peerRow
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		got = append(got, row.Client)
	}
	if strings.Join(got, "|") != strings.Join(clients, "|") {
		t.Errorf("JSON clients %q, want %q", got, clients)
	}
}
