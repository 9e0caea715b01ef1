package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/store"
)

// cli runs leakhunt in-process (for at most a minute) and returns stdout,
// stderr and the exit code main would use.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	return out.String(), errb.String(), exitCode(err)
}

func leaksDir(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../testdata/leaks")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFingerprintJSON(t *testing.T) {
	out, errOut, code := cli(t, "fingerprint", "--json", leaksDir(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want one JSON line per testdata document, got %d:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		for _, k := range []string{"path", "size", "md5", "sha1", "sha256", "ed2k", "tth", "btv2_root"} {
			if _, ok := m[k]; !ok {
				t.Errorf("field %q missing in %s", k, l)
			}
		}
	}
}

func TestUsageAndInputErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "x.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, 2, "usage"},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"fingerprint"}, 2, "at least one"},
		{[]string{"fingerprint", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"fingerprint", filepath.Join(dir, "missing")}, 2, "no such file"},
		{[]string{"catalog", "rm", "--db", filepath.Join(dir, "x.db"), "abc"}, 2, "not a document ID"},
		{[]string{"catalog", "rm", "--db", filepath.Join(dir, "x.db"), "99"}, 2, "not found"},
		{[]string{"match", "--db", filepath.Join(dir, "empty.db"), "magnet:?xt=urn:btih:0000000000000000000000000000000000000000"}, 2, "catalog add"},
		{[]string{"peers", "--db", filepath.Join(dir, "x.db"), "--min-level", "L9"}, 2, "L0 to L5"},
		{[]string{"fingerprint", "-h"}, 0, "usage: leakhunt fingerprint"},
		// Only gathering commands create a store: a mistyped --db is refused.
		{[]string{"peers", "--db", filepath.Join(dir, "typo.db")}, 2, "no store there"},
		{[]string{"catalog", "list", "--db", filepath.Join(dir, "typo.db")}, 2, "no store there"},
		{[]string{"report", "--db", filepath.Join(dir, "typo.db"), "--out", filepath.Join(dir, "r"), "--no-rdap"}, 2, "no store there"},
		{[]string{"key", "--db", filepath.Join(dir, "typo.db")}, 2, "no store there"},
		{[]string{"verify", "--db", filepath.Join(dir, "typo.db")}, 2, "no such file"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("leakhunt %q: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, tt.code, tt.want)
			}
		})
	}
	for _, p := range []string{"typo.db", "typo.db.key", "typo.db.pub"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("a command that does not gather created %s", p)
		}
	}
}

func TestCatalogAndMatch(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "lh.db")
	out, errOut, code := cli(t, "catalog", "add", "--db", db, "--case", "acme", leaksDir(t))
	if code != 0 || strings.Count(out, "\n") != 4 {
		t.Fatalf("catalog add: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = cli(t, "catalog", "list", "--db", db, "--json")
	var doc struct {
		ID     uint64 `json:"id"`
		Case   string `json:"case"`
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &doc); err != nil || code != 0 || doc.Case != "acme" || len(doc.SHA256) != 64 {
		t.Fatalf("catalog list: %v exit %d %q", err, code, out)
	}

	// A torrent made by an independent tool carrying a leak is proven.
	interop.Need(t, "mktorrent") // the match half
	tor := filepath.Join(dir, "leak.torrent")
	if b, err := exec.Command("mktorrent", "-l", "15", "-o", tor, filepath.Join(leaksDir(t), "tuition_fees_2026.csv")).CombinedOutput(); err != nil {
		t.Fatalf("mktorrent: %v %s", err, b)
	}
	out, errOut, code = cli(t, "match", "--db", db, "--json", tor)
	if code != 0 {
		t.Fatalf("match: exit %d %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &m); err != nil {
		t.Fatalf("match output %q: %v", out, err)
	}
	if m["verdict"] != "proven" || m["method"] != "v1-pieces" || m["document_name"] != "tuition_fees_2026.csv" {
		t.Fatalf("match = %v", m)
	}
	// A same-size decoy with other bytes is not a match: exit 1.
	decoy := filepath.Join(dir, "decoy", "tuition_fees_2026.csv")
	os.MkdirAll(filepath.Dir(decoy), 0o755)
	orig, _ := os.ReadFile(filepath.Join(leaksDir(t), "tuition_fees_2026.csv"))
	fake := bytes.ToUpper(orig)
	os.WriteFile(decoy, fake, 0o644)
	dtor := filepath.Join(dir, "decoy.torrent")
	exec.Command("mktorrent", "-l", "15", "-o", dtor, decoy).Run()
	out, _, code = cli(t, "match", "--db", db, "--json", dtor)
	if code != 1 || strings.Contains(out, "proven") {
		t.Fatalf("decoy: exit %d, %q", code, out)
	}
	// The proven torrent's magnet now matches by infohash.
	links := filepath.Join(dir, "links.html")
	os.WriteFile(links, []byte(`<a href="magnet:?xt=urn:btih:`+m["infohash"].(string)+`&amp;dn=x">x</a>`), 0o644)
	out, _, code = cli(t, "match", "--db", db, links)
	if code != 0 || !strings.Contains(out, "btih") {
		t.Fatalf("links file: exit %d %q", code, out)
	}
	// A text file that happens to start with 'd' is still read for links.
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("download here: magnet:?xt=urn:btih:"+m["infohash"].(string)+"\n"), 0o644)
	out, _, code = cli(t, "match", "--db", db, notes)
	if code != 0 || !strings.Contains(out, "btih") {
		t.Fatalf("text file starting with 'd': exit %d %q", code, out)
	}
}
