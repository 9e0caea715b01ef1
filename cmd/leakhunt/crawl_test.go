package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// TestCrawlWeb crawls an index page on a local HTTP server that links a
// .torrent carrying a leak, an ed2k link of another leak and a decoy: the
// torrent and the ed2k link are proven, the decoy is not, and where each
// was advertised is stored as an L0 sighting.
func TestCrawlWeb(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "web.db")
	if _, errOut, code := cli(t, "catalog", "add", "--db", db, leaksDir(t)); code != 0 {
		t.Fatalf("catalog: %s", errOut)
	}
	// A torrent of the tuition export, made with anacrolix's metainfo.
	info := metainfo.Info{PieceLength: 32 << 10}
	if err := info.BuildFromFilePath(filepath.Join(leaksDir(t), "tuition_fees_2026.csv")); err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{InfoBytes: bencode.MustMarshal(info)}
	torrentBytes := bencode.MustMarshal(mi)
	memo, err := fingerprint.File(filepath.Join(leaksDir(t), "incident_memo.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf(`<html><body><table>
<tr><td><a href="/dl/leak.torrent">授業料 2026.csv</a></td><td>338 KB</td></tr>
<tr><td><a href="ed2k://|file|memo.txt|%d|%s|/">memo.txt</a></td><td>8.6 KB</td></tr>
<tr><td><a href="ed2k://|file|staff_roster.tsv|68662|00112233445566778899aabbccddeeff|/">staff_roster.tsv</a></td><td>67 KB</td></tr>
</table></body></html>`, memo.Size, memo.ED2K)
	mux := http.NewServeMux()
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("/dl/leak.torrent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-bittorrent")
		w.Write(torrentBytes)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	out, errOut, code := cli(t, "crawl", "web", "--db", db, "--allow-local", "-q", "--duration", "60s", srv.URL+"/list")
	if code != 0 {
		t.Fatalf("crawl web: exit %d: %s", code, errOut)
	}
	// crawl web says what it found on stdout: the proven torrent and link,
	// each with the page it was listed on.
	for _, want := range []string{"matches recorded: 2 (2 proven", "proven\t", "v1-pieces", "ed2k", "seen: web " + srv.URL + "/list"} {
		if !strings.Contains(out, want) {
			t.Errorf("crawl web stdout lacks %q:\n%s", want, out)
		}
	}
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := s.Matches()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.DocumentName] = m.Method + "/" + m.Verdict
		if !strings.HasPrefix(m.Source, "web:") {
			t.Errorf("match source %q, want the page", m.Source)
		}
	}
	want := map[string]string{"tuition_fees_2026.csv": "v1-pieces/proven", "incident_memo.txt": "ed2k/proven"}
	if b, _ := json.Marshal(got); len(got) != len(want) || got["tuition_fees_2026.csv"] != want["tuition_fees_2026.csv"] || got["incident_memo.txt"] != want["incident_memo.txt"] {
		t.Fatalf("matches %s, want %v", b, want)
	}
	s.Close()
	checkMatchesCommand(t, db, srv.URL+"/list")
	if s, err = store.Open(db, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sightings, err := s.Sightings(fingerprint.InfoHash{})
	if err != nil || len(sightings) < 3 {
		t.Fatalf("sightings %v %v", sightings, err)
	}
	for _, sg := range sightings {
		if sg.URL != srv.URL+"/list" {
			t.Errorf("sighting %+v does not name the page", sg)
		}
	}
}

// checkMatchesCommand: `leakhunt matches` lists the crawl's two proven
// matches with the page they were seen on, as text and as JSON.
func checkMatchesCommand(t *testing.T, db, page string) {
	t.Helper()
	out, errOut, code := cli(t, "matches", "--db", db)
	if code != 0 || strings.Count(out, "proven\t") != 2 || !strings.Contains(out, "seen: web "+page) {
		t.Fatalf("matches: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = cli(t, "matches", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("matches --json: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("matches --json printed %d lines, want 2:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var m struct {
			Verdict string `json:"verdict"`
			Seen    []struct {
				Source, URL string
			} `json:"seen"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m.Verdict != "proven" || len(m.Seen) == 0 || m.Seen[0].URL != page {
			t.Errorf("matches --json: %s", l)
		}
	}
}
