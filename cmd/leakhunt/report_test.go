package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// runCLI runs leakhunt in-process with a bounded context.
// reportFixture writes a store with three peers (L1, L2, L4) and an ASN
// database; it returns their paths.
func reportFixture(t *testing.T) (db, mmdb string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "lh.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ih := fingerprint.InfoHash{0xab, 0xab, 0xab}
	t0 := time.Date(2026, 2, 10, 14, 30, 0, 0, time.UTC)
	if _, err := s.PutTorrent(store.Torrent{InfoHash: ih, Name: "=cmd|' /C calc'!A0 <b>leak</b>", FirstSeen: t0}); err != nil {
		t.Fatal(err)
	}
	var obs []evidence.Observation
	for i, p := range []struct {
		ip  string
		lvl evidence.Level
	}{{"85.10.1.5", 4}, {"85.10.1.6", 2}, {"85.10.1.7", 1}} {
		o := evidence.Observation{Time: t0.Add(time.Duration(i) * time.Minute), ClockOffset: "1ms", Level: p.lvl, Source: "probe",
			IP: p.ip, Port: 6881, InfoHash: ih, Version: "test"}
		if p.lvl == 4 {
			o.PiecesVerified = []int{3}
		}
		obs = append(obs, o)
	}
	if _, err := s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, n, _ := net.ParseCIDR("85.10.0.0/16")
	if err := w.Insert(n, mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(64501),
		"autonomous_system_organization": mmdbtype.String("Example Net KK")}); err != nil {
		t.Fatal(err)
	}
	mmdb = filepath.Join(dir, "asn.mmdb")
	f, err := os.Create(mmdb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return db, mmdb
}

func TestReportAndVerify(t *testing.T) {
	db, mmdb := reportFixture(t)
	dir := filepath.Dir(db)
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"contractor":{"name":"Example Investigations GK","address":"Tokyo","email":"cases@inv.example"},"client":"Example Client KK","case_reference":"C-1"}`), 0o644)
	contacts := filepath.Join(dir, "contacts.tsv")
	os.WriteFile(contacts, []byte("AS64501\tabuse@examplenet.example\tExample Net abuse\n"), 0o644)
	out := filepath.Join(dir, "report")
	stdout, stderr, code := cli(t, "report", "--db", db, "--out", out, "--asn-db", mmdb, "--config", cfg,
		"--contacts", contacts, "--no-rdap", "--lang", "ja", "--zip")
	if code != 0 {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "1 letter(s), 1 peer(s)") {
		t.Errorf("stdout: %s", stdout)
	}
	letter, err := os.ReadFile(filepath.Join(out, "letters", "isp-001.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Example Net KK 御中", "abuse@examplenet.example", "85.10.1.5", "Example Investigations GK", "C-1"} {
		if !strings.Contains(string(letter), want) {
			t.Errorf("letter lacks %q", want)
		}
	}
	for _, absent := range []string{"85.10.1.6", "85.10.1.7"} {
		if strings.Contains(string(letter), absent) {
			t.Errorf("L4 letter names %s", absent)
		}
	}
	if _, err := os.Stat(out + ".zip"); err != nil {
		t.Error(err)
	}

	stdout, stderr, code = cli(t, "verify", out)
	if code != 0 || !strings.HasPrefix(stdout, "OK ") {
		t.Fatalf("verify intact bundle: exit %d\n%s%s", code, stdout, stderr)
	}
	// The store itself, given by --db and by path.
	for _, args := range [][]string{{"verify", "--db", db}, {"verify", db}} {
		if stdout, stderr, code := cli(t, args...); code != 0 {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	// Tamper with a letter.
	p := filepath.Join(out, "letters", "isp-001.txt")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0x20
	os.WriteFile(p, b, 0o644)
	stdout, _, code = cli(t, "verify", out)
	if code != 1 || !strings.Contains(stdout, "FAIL letters/isp-001.txt: sha256 mismatch") {
		t.Errorf("tampered bundle: exit %d\n%s", code, stdout)
	}
}

func TestReportUsage(t *testing.T) {
	db, _ := reportFixture(t)
	out := filepath.Join(t.TempDir(), "r")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no out", []string{"report", "--db", db, "--no-rdap"}, 2},
		{"L1", []string{"report", "--db", db, "--out", out, "--min-level", "L1", "--no-rdap"}, 2},
		{"L0", []string{"report", "--db", db, "--out", out, "--min-level", "0", "--no-rdap"}, 2},
		{"bad lang", []string{"report", "--db", db, "--out", out, "--lang", "fr", "--no-rdap"}, 2},
		{"bad level", []string{"report", "--db", db, "--out", out, "--min-level", "L9", "--no-rdap"}, 2},
		{"missing config", []string{"report", "--db", db, "--out", out, "--config", "/nonexistent.json", "--no-rdap"}, 2},
		{"missing asn db", []string{"report", "--db", db, "--out", out, "--asn-db", "/nonexistent.mmdb", "--no-rdap"}, 2},
		{"verify nothing", []string{"verify", filepath.Join(t.TempDir(), "nope")}, 2},
		{"verify plain dir", []string{"verify", t.TempDir()}, 2},
		{"verify two", []string{"verify", "a", "b"}, 2},
		{"help", []string{"report", "-h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := cli(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, stderr)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused report wrote output")
	}
}

func TestReportTemplatesAndRDAP(t *testing.T) {
	db, mmdb := reportFixture(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"name":"EXNET","entities":[{"roles":["abuse"],"vcardArray":["vcard",[["fn",{},"text","Abuse"],["email",{},"text","rdap-abuse@examplenet.example"]]]}]}`)
	}))
	defer srv.Close()
	tmpl := t.TempDir()
	os.WriteFile(filepath.Join(tmpl, "letter.en.tmpl"), []byte("CUSTOM to {{.ISP.Email}}{{range .Hosts}} {{.IP}}:{{.Port}} {{.Level}}{{end}}\n"), 0o644)
	out := filepath.Join(t.TempDir(), "r")
	_, stderr, code := cli(t, "report", "--db", db, "--out", out, "--asn-db", mmdb, "--templates", tmpl,
		"--rdap-base", srv.URL, "--min-level", "L2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(out, "letters", "isp-001.txt"))
	want := "CUSTOM to rdap-abuse@examplenet.example 85.10.1.5:6881 L4 served 85.10.1.6:6881 L2 connected\n"
	if string(b) != want {
		t.Errorf("letter = %q, want %q", b, want)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d RDAP requests, want 1 (one network)", n)
	}
	if _, _, code := cli(t, "verify", out); code != 0 {
		t.Errorf("verify exit %d", code)
	}
}
