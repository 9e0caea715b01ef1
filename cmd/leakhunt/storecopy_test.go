package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/pgtest"
	"github.com/leakhunt/leakhunt/store"
)

// TestStoreCopyKeepsSignatures signs a report from a bbolt store, copies
// the case into PostgreSQL and back, and checks that the checkpoint
// signed before the move is still there byte for byte and that reports
// written after each move verify.
func TestStoreCopyKeepsSignatures(t *testing.T) {
	pg := pgtest.Database(t)
	db, mmdb := reportFixture(t)
	dir := filepath.Dir(db)
	report := func(out string, dbArgs ...string) {
		t.Helper()
		args := append([]string{"report"}, dbArgs...)
		args = append(args, "--out", filepath.Join(dir, out), "--asn-db", mmdb, "--no-rdap")
		if _, stderr, code := cli(t, args...); code != 0 {
			t.Fatalf("report %v: exit %d: %s", dbArgs, code, stderr)
		}
		if stdout, stderr, code := cli(t, "verify", filepath.Join(dir, out)); code != 0 {
			t.Fatalf("verify %s: exit %d\n%s%s", out, code, stdout, stderr)
		}
	}
	report("before", "--db", db)
	before := checkpoints(t, db, nil)
	if len(before) == 0 {
		t.Fatal("the report signed no checkpoint")
	}
	key := filepath.Join(dir, "sensor-a")
	pgArgs := []string{"--db", pg, "--sensor", "a", "--sensor-key", key}
	if stdout, stderr, code := cli(t, "store", "copy", "--sensor", "a", "--sensor-key", key, db, pg); code != 0 {
		t.Fatalf("store copy to postgres: exit %d\n%s%s", code, stdout, stderr)
	}
	opt := &store.Options{Sensor: "a", KeyPath: key, CacheDir: t.TempDir()}
	if got := checkpoints(t, pg, opt); !equalCheckpoints(got, before) {
		t.Fatalf("checkpoints in postgres differ from the ones signed before the copy")
	}
	report("in-postgres", pgArgs...)
	if stdout, stderr, code := cli(t, "verify", "--db", pg); code != 0 || !strings.Contains(stdout, "sensor a:") {
		t.Fatalf("verify the PostgreSQL store: exit %d\n%s%s", code, stdout, stderr)
	}
	back := filepath.Join(dir, "back.db")
	if stdout, stderr, code := cli(t, "store", "copy", "--sensor", "a", "--sensor-key", key, pg, back); code != 0 {
		t.Fatalf("store copy back: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := checkpoints(t, back, nil); !equalCheckpoints(got[:len(before)], before) {
		t.Fatalf("checkpoints copied back differ")
	}
	report("back", "--db", back)
	if stdout, stderr, code := cli(t, "verify", back); code != 0 {
		t.Fatalf("verify the store copied back: exit %d\n%s%s", code, stdout, stderr)
	}
	// A record changed in the database is found.
	tamper(t, pg, `UPDATE log_records SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), '85.10.1.6', '85.10.1.9'), 'UTF8')
		WHERE position('85.10.1.6'::bytea in leaf) > 0`)
	if stdout, _, code := cli(t, "verify", "--db", pg); code != 1 || !strings.Contains(stdout, "FAIL sensor \"a\"") {
		t.Fatalf("verify a tampered PostgreSQL store: exit %d\n%s", code, stdout)
	}
	// A second copy into the same sensor is refused.
	if _, stderr, code := cli(t, "store", "copy", "--sensor", "a", "--sensor-key", key, db, pg); code != 2 || !strings.Contains(stderr, "already has") {
		t.Fatalf("second copy: exit %d: %s", code, stderr)
	}
}

type checkpoint struct {
	size   int64
	signed []byte
}

func checkpoints(t *testing.T, db string, opt *store.Options) []checkpoint {
	t.Helper()
	s, err := store.Open(db, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []checkpoint
	if err := s.Checkpoints(func(size int64, signed []byte) error {
		out = append(out, checkpoint{size, bytes.Clone(signed)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func equalCheckpoints(a, b []checkpoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].size != b[i].size || !bytes.Equal(a[i].signed, b[i].signed) {
			return false
		}
	}
	return true
}

func TestUnreachableDatabase(t *testing.T) {
	cases := []struct{ name, url string }{
		{"nothing listening", "postgres://leakhunt@127.0.0.1:1/case?sslmode=disable&connect_timeout=2"},
		{"bad URL", "postgres://leakhunt@127.0.0.1:notaport/case"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := cli(t, "peers", "--db", c.url, "--sensor", "s")
			if code != 2 || !strings.Contains(stderr, "open store") || strings.Contains(stderr, "secret") {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		})
	}
	pg := os.Getenv(pgtest.Env)
	if pg == "" {
		return
	}
	t.Run("wrong password", func(t *testing.T) {
		// The test cluster trusts local users; a user that does not exist
		// is refused the same way a wrong password is.
		u := strings.Replace(pg, "postgres://postgres@", "postgres://nobody:secret@", 1)
		_, stderr, code := cli(t, "peers", "--db", u, "--sensor", "s")
		if code != 2 || !strings.Contains(stderr, "unreachable or refused") || strings.Contains(stderr, "secret") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
}

// tamper runs one statement on the database at u.
func tamper(t *testing.T, u, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tag, err := pgtest.Conn(t, u).Exec(ctx, stmt)
	if err != nil || tag.RowsAffected() == 0 {
		t.Fatalf("tamper: %v (%d rows)", err, tag.RowsAffected())
	}
}

// TestReportNamesSensor reports from a shared store: each letter row and
// annex record names the sensor that made the observation and its
// public address, as recorded.
func TestReportNamesSensor(t *testing.T) {
	pg := pgtest.Database(t)
	_, mmdb := reportFixture(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "tokyo-1")
	s, err := store.Open(pg, &store.Options{Sensor: "tokyo-1", SensorAddr: "203.0.113.5", KeyPath: key, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ih := fingerprint.InfoHash{0xab, 0xcd}
	t0 := time.Date(2026, 2, 10, 14, 30, 0, 0, time.UTC)
	if _, err := s.PutTorrent(store.Torrent{InfoHash: ih, Name: "leak", FirstSeen: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendObservations([]evidence.Observation{{Time: t0, ClockOffset: "1ms", Level: evidence.L4Served, Source: "probe",
		IP: "85.10.1.5", Port: 6881, InfoHash: ih, PiecesVerified: []int{3}, Version: "test"}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out := filepath.Join(dir, "report")
	if _, stderr, code := cli(t, "report", "--db", pg, "--sensor", "tokyo-1", "--sensor-key", key, "--out", out, "--asn-db", mmdb, "--no-rdap"); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"letters/isp-001.txt", "annex/" + firstAnnex(t, out)} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "tokyo-1 (203.0.113.5)") {
			t.Errorf("%s does not name the sensor:\n%s", f, b)
		}
	}
	if stdout, stderr, code := cli(t, "verify", out); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

// firstAnnex names the first annex file of a report.
func firstAnnex(t *testing.T, out string) string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(out, "annex"))
	if err != nil || len(es) == 0 {
		t.Fatalf("annexes: %v", err)
	}
	return es[0].Name()
}
