package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/store"
)

// signedFixture is reportFixture with a report written, so that the store
// has a key and a checkpoint; it returns the store and the bundle.
func signedFixture(t *testing.T) (db, bundle string) {
	t.Helper()
	db, _ = reportFixture(t)
	bundle = filepath.Join(t.TempDir(), "first")
	if _, stderr, code := cli(t, "report", "--db", db, "--out", bundle, "--no-rdap"); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	return db, bundle
}

// TestVerifyPinsTheSigner: verify prints the signer's fingerprint and,
// given --key, fails on a bundle or store signed by anyone else, even with
// the same key name.
func TestVerifyPinsTheSigner(t *testing.T) {
	db, bundle := signedFixture(t)
	out, _, code := cli(t, "key", "--db", db)
	fp, _, _ := strings.Cut(strings.TrimPrefix(out, "fingerprint: "), "\n")
	if code != 0 || !strings.HasPrefix(fp, "SHA256:") {
		t.Fatalf("key: exit %d: %q", code, out)
	}
	other, err := evidence.LoadOrCreateKeys(filepath.Join(t.TempDir(), "o.db"), "leakhunt")
	if err != nil {
		t.Fatal(err)
	}
	otherPub := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(otherPub, []byte(other.VerifierKey+"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bundle, no pin", []string{"verify", bundle}, 0, "(key leakhunt " + fp + ")"},
		{"bundle, own fingerprint", []string{"verify", "--key", fp, bundle}, 0, fp},
		{"bundle, own key file", []string{"verify", "--key", db + ".pub", bundle}, 0, fp},
		{"bundle, other fingerprint", []string{"verify", "--key", other.Fingerprint, bundle}, 1, "not by the expected key " + other.Fingerprint},
		{"bundle, other key file", []string{"verify", "--key", otherPub, bundle}, 1, "not by the expected key"},
		{"store, own", []string{"verify", "--key", fp, db}, 0, "(key " + fp + ")"},
		{"store, other", []string{"verify", "--key", other.Fingerprint, db}, 1, "not by the expected key"},
		{"bad pin", []string{"verify", "--key", "/nonexistent", bundle}, 2, "neither a fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.want, stdout, stderr)
			}
		})
	}
	b, _ := os.ReadFile(filepath.Join(bundle, "README.txt"))
	if !strings.Contains(string(b), fp) {
		t.Error("the bundle README does not give the key fingerprint")
	}
}

// TestKeyNameAndFirstKey: the first key takes the contractor's name from
// the report configuration.
func TestKeyNameAndFirstKey(t *testing.T) {
	db, _ := reportFixture(t)
	cfg := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfg, []byte(`{"contractor":{"name":"Example Investigations GK"}}`), 0o644)
	out, stderr, code := cli(t, "key", "--db", db, "--config", cfg)
	if code != 0 || !strings.Contains(out, "name:        leakhunt-Example_Investigations_GK") || !strings.Contains(stderr, "leakhunt verify --key SHA256:") {
		t.Fatalf("key: exit %d:\n%s%s", code, out, stderr)
	}
}

// TestLostKeyRefused: a store whose key file is gone is not given a new
// key silently; --new-key makes one, recorded in the log, and the old
// public key is kept.
func TestLostKeyRefused(t *testing.T) {
	db, _ := signedFixture(t)
	pub, _ := os.ReadFile(db + ".pub")
	os.Remove(db + ".key")
	out := filepath.Join(t.TempDir(), "r")
	_, stderr, code := cli(t, "report", "--db", db, "--out", out, "--no-rdap")
	if code != 2 || !strings.Contains(stderr, "--new-key") {
		t.Fatalf("report without the key: exit %d: %s", code, stderr)
	}
	if now, _ := os.ReadFile(db + ".pub"); !bytes.Equal(now, pub) {
		t.Fatal("the refused report replaced the public key")
	}
	if _, err := os.Stat(db + ".key"); err == nil {
		t.Fatal("the refused report made a key")
	}
	if _, stderr, code := cli(t, "report", "--db", db, "--out", out, "--no-rdap", "--new-key"); code != 0 {
		t.Fatalf("--new-key: exit %d: %s", code, stderr)
	}
	stdout, _, code := cli(t, "verify", db)
	if code != 0 || !strings.Contains(stdout, "--new-key: the key file was missing; replaces") {
		t.Errorf("verify after the key change: exit %d:\n%s", code, stdout)
	}
	// The bundle proves consistency with the checkpoint the old key signed.
	if _, err := os.Stat(filepath.Join(out, "previous-key.pub")); err != nil {
		t.Errorf("the bundle lacks the previous checkpoint's key: %v", err)
	}
	if stdout, _, code := cli(t, "verify", out); code != 0 {
		t.Errorf("verify the bundle: exit %d\n%s", code, stdout)
	}
}

// TestReportRefusesTamperedStore: report verifies the store first and
// signs nothing over a log that fails (exit 1, naming what failed).
func TestReportRefusesTamperedStore(t *testing.T) {
	db, _ := signedFixture(t)
	tamperValue(t, db, "observations", 1, func(v []byte) []byte { return bytes.Replace(v, []byte("85.10.1."), []byte("85.10.9."), 1) })
	before := checkpointCount(t, db)
	out := filepath.Join(t.TempDir(), "r")
	_, stderr, code := cli(t, "report", "--db", db, "--out", out, "--no-rdap")
	if code != 1 || !strings.Contains(stderr, "FAIL record 1") || !strings.Contains(stderr, "no checkpoint was signed") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a report was written")
	}
	if after := checkpointCount(t, db); after != before {
		t.Errorf("%d checkpoints before, %d after: a checkpoint was signed over the tampered log", before, after)
	}
}

// TestVerifyCatchesCatalogueChange: a flipped byte in a catalogue entry
// fails verify.
func TestVerifyCatchesCatalogueChange(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "lh.db")
	if _, stderr, code := cli(t, "catalog", "add", "--db", db, "--case", "acme", leaksDir(t)); code != 0 {
		t.Fatalf("catalog add: %s", stderr)
	}
	if _, stderr, code := cli(t, "key", "--db", db); code != 0 {
		t.Fatalf("key: %s", stderr)
	}
	if stdout, stderr, code := cli(t, "verify", db); code != 0 {
		t.Fatalf("intact: exit %d\n%s%s", code, stdout, stderr)
	}
	tamperValue(t, db, "documents", 2, func(v []byte) []byte { return bytes.Replace(v, []byte(`"case":"acme"`), []byte(`"case":"acne"`), 1) })
	stdout, _, code := cli(t, "verify", db)
	if code != 1 || !strings.Contains(stdout, "FAIL catalogue entry 2") {
		t.Errorf("changed entry: exit %d\n%s", code, stdout)
	}
}

// TestDamagedStore: garbage over the store's pages makes verify and report
// say "store damaged" (exit 2), with no panic, and report leaves nothing.
func TestDamagedStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "lh.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := make([]evidence.Observation, 20000)
	for i := range obs {
		obs[i] = evidence.Observation{Time: time.Unix(1.7e9+int64(i), 0), Level: 2, Source: "probe", IP: "85.10.1.5", Port: 1000 + i%5000,
			InfoHash: fingerprint.InfoHash{0xab}, Version: "t"}
	}
	if _, err := s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.OpenKeys(s, evidence.KeyOptions{Name: "leakhunt"}); err != nil {
		t.Fatal(err)
	}
	var used int64
	s.Check()
	used = fileSize(t, db) / 2
	s.Close()
	f, _ := os.OpenFile(db, os.O_RDWR, 0)
	page := int64(os.Getpagesize())
	for off := used / 4 / page * page; off < used; off += 4 * page {
		f.WriteAt(bytes.Repeat([]byte{0xa5}, int(page)), off)
	}
	f.Close()
	for _, args := range [][]string{{"verify", db}, {"report", "--db", db, "--out", filepath.Join(dir, "r"), "--no-rdap"}} {
		stdout, stderr, code := cli(t, args...)
		if code != 2 || !strings.Contains(stdout+stderr, "store damaged") || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: exit %d\n%s%s", args[0], code, stdout, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 { // lh.db, .key, .pub
		t.Errorf("report left files: %v", entries)
	}
}

// TestDemoRefusesForeignDir: demo --out never replaces what it did not
// write.
func TestDemoRefusesForeignDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "leakhunt.db"), []byte("a real case store"), 0o600)
	os.WriteFile(filepath.Join(dir, "leakhunt.db.key"), []byte("a real key"), 0o600)
	_, stderr, code := cli(t, "demo", "--out", dir)
	if code != 2 || !strings.Contains(stderr, "did not write") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "leakhunt.db.key")); string(b) != "a real key" {
		t.Fatal("the demo replaced a key it did not make")
	}
	// A directory an earlier demo marked, holding one foreign file, is refused too.
	os.WriteFile(filepath.Join(dir, demoMarker), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "case-notes.txt"), nil, 0o600)
	if _, stderr, code := cli(t, "demo", "--out", dir); code != 2 || !strings.Contains(stderr, "did not write") {
		t.Fatalf("marked directory with foreign files: exit %d: %s", code, stderr)
	}
	if err := claimDemoDir(filepath.Join(dir, "new")); err != nil {
		t.Fatalf("a new directory: %v", err)
	}
	if err := claimDemoDir(filepath.Join(dir, "new")); err != nil {
		t.Fatalf("the demo's own directory: %v", err)
	}
}

// TestReportWarnsUnconfigured: report says which fields the letters print
// as "[… not configured]".
func TestReportWarnsUnconfigured(t *testing.T) {
	db, _ := reportFixture(t)
	_, stderr, code := cli(t, "report", "--db", db, "--out", filepath.Join(t.TempDir(), "r"), "--no-rdap")
	if code != 0 || !strings.Contains(stderr, "warning: the letters print \"[… not configured]\" for: ") ||
		!strings.Contains(stderr, "contractor name") || !strings.Contains(stderr, "infringed right (right)") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	_, stderr, _ = cli(t, "report", "-h")
	for _, k := range []string{"contractor.name", "case_reference", "right", "disclosure_reasons", "timezone"} {
		if !strings.Contains(stderr, k) {
			t.Errorf("report -h does not document %q", k)
		}
	}
}

// TestPeersPieceWording: peers lists pieces as "1 piece (#3)".
func TestPeersPieceWording(t *testing.T) {
	db, _ := reportFixture(t)
	stdout, _, code := cli(t, "peers", "--db", db)
	if code != 0 || !strings.Contains(stdout, "1 piece (#3)") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func fileSize(t *testing.T, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// tamperValue changes one value (key: big-endian uint64) in a bucket of
// the closed store file.
func tamperValue(t *testing.T, db, bucket string, key uint64, fn func([]byte) []byte) {
	t.Helper()
	bdb, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		k := binary.BigEndian.AppendUint64(nil, key)
		v := b.Get(k)
		nv := fn(bytes.Clone(v))
		if bytes.Equal(v, nv) {
			t.Fatalf("%s %d unchanged", bucket, key)
		}
		return b.Put(k, nv)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkpointCount(t *testing.T, db string) int {
	s, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	s.Checkpoints(func(int64, []byte) error { n++; return nil })
	return n
}

// TestMatchUnstoredExits2: match run with the disk full (the store may not
// grow past a limit) finds the proven match but cannot store it: it must
// not exit 0. Each page-size limit is tried, so that some run fails at the
// store after opening it.
func TestMatchUnstoredExits2(t *testing.T) {
	interop.Need(t, "mktorrent")
	dir := t.TempDir()
	db := filepath.Join(dir, "lh.db")
	if _, stderr, code := cli(t, "catalog", "add", "--db", db, leaksDir(t)); code != 0 {
		t.Fatal(stderr)
	}
	tor := filepath.Join(dir, "leak.torrent")
	if b, err := exec.Command("mktorrent", "-l", "15", "-o", tor, filepath.Join(leaksDir(t), "tuition_fees_2026.csv")).CombinedOutput(); err != nil {
		t.Fatalf("mktorrent: %v %s", err, b)
	}
	orig, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	cut := 0
	for limit := 2 * page; limit < int64(len(orig)); limit += page {
		os.WriteFile(db, orig, 0o600) // the same store for every limit
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "LEAKHUNT_TEST_MAIN=match\x1f--db\x1f"+db+"\x1f"+tor, "LEAKHUNT_TEST_FSIZE="+strconv.FormatInt(limit, 10))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if strings.Contains(stdout.String(), "proven") && strings.Contains(stderr.String(), "file too large") {
			cut++
			if code != 2 {
				t.Errorf("limit %d: printed a proven match it could not store, and exited %d:\n%s%s", limit, code, stdout.String(), stderr.String())
			}
		}
	}
	if cut == 0 {
		t.Fatal("no limit made the store fail after matching")
	}
}
