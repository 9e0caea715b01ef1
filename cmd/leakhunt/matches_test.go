package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/store"
)

// TestMatchesListsProofsLeadsAndTrackerClaims: `leakhunt matches` lists
// the proven match before the lead, under a heading that says leads are
// not evidence, with where each was seen and what its tracker claimed
// (as a claim), and shows network names with controls escaped.
func TestMatchesListsProofsLeadsAndTrackerClaims(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	proven, lead := fingerprint.InfoHash{0xa1}, fingerprint.InfoHash{0xc3}
	hostile := "名簿\u202egpj.exe\x1b[31m"
	for _, m := range []store.Match{
		{Match: fingerprint.Match{InfoHash: lead, TorrentName: "roster.tsv", File: "roster.tsv", Document: strings.Repeat("ab", 32), DocumentName: "roster.tsv",
			Method: fingerprint.MethodNameSize, Verdict: fingerprint.VerdictLead}, Source: "dht-sample", Time: t0},
		{Match: fingerprint.Match{InfoHash: proven, TorrentName: hostile, File: hostile, Document: strings.Repeat("ab", 32), DocumentName: "roster.tsv",
			Method: fingerprint.MethodV1Pieces, PiecesChecked: 3, PiecesMatched: 3, Verdict: fingerprint.VerdictProven}, Source: "web:http://index.example/list", Time: t0},
	} {
		if _, err := s.PutMatch(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSightings([]crawler.Sighting{{Time: t0, InfoHash: proven, Source: crawler.SourceRSS, URL: "http://feed.example/rss", Name: "roster"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutScrapes(proven, []store.Scrape{{Tracker: "udp://tracker.example:80", Time: t0, Seeders: 7, Leechers: 2, Completed: 30}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, "matches", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	tests := []struct{ name, want string }{
		{"proof", "v1-pieces, 3/3 pieces equal"},
		{"page", "seen: web http://index.example/list"},
		{"feed", `seen: rss http://feed.example/rss "roster"`},
		{"tracker claim", "claimed 7 seeder(s), 2 leecher(s), 30 completed at 2026-03-01T09:00:00Z (its claim, not an observation)"},
		{"leads heading", "leads (not evidence"},
		{"escaped name", display.String(hostile, maxCell)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
	if strings.Index(out, "leads (not evidence") < strings.Index(out, "v1-pieces") || strings.Contains(out, "\x1b") {
		t.Errorf("the lead is listed before the proof, or a control character went through:\n%q", out)
	}
	if out, _, _ := cli(t, "matches", "--leads=false", "--db", db); strings.Contains(out, "name-size") {
		t.Errorf("--leads=false lists the lead:\n%s", out)
	}
}
