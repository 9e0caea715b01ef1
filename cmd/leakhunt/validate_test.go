package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/store"
)

// TestValidate runs `leakhunt validate` end to end: every host of known
// behaviour gets the level it can prove and no other, the report verifies,
// and a changed result or report is caught.
func TestValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the validation swarm (about 25 s)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "validation")
	db := filepath.Join(dir, "case.db")
	if _, _, code := cli(t, "validate", "--db", db, "--out", out); code != 2 {
		t.Fatalf("validate without a case store: exit %d, want 2", code)
	}
	if _, errOut, code := cli(t, "catalog", "add", "--db", db, filepath.Join(leaksDir(t), "incident_memo.txt")); code != 0 {
		t.Fatalf("catalog add: %s", errOut)
	}
	logBefore := storeLogSize(t, db)
	stdout, stderr, code := cli(t, "validate", "--db", db, "--out", out, "--timeout", "2m")
	if code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "FAIL") || !strings.Contains(stdout, "expected L4   obtained L4") ||
		!strings.Contains(stdout, "expected L3   obtained L3") || !strings.Contains(stdout, "expected none obtained none") {
		t.Fatalf("validate output:\n%s", stdout)
	}
	if n := storeLogSize(t, db); n > logBefore+1 { // at most the registration of its first key
		t.Errorf("validate wrote %d records into the case store", n-logBefore)
	}
	kout, _, code := cli(t, "key", "--db", db)
	if code != 0 {
		t.Fatalf("key: exit %d", code)
	}
	fp := strings.Fields(kout)[1]
	if vout, _, code := cli(t, "verify", "--key", fp, out); code != 0 || !strings.Contains(vout, "says PASS") {
		t.Fatalf("verify --key %s: exit %d: %s", fp, code, vout)
	}
	if vout, _, code := cli(t, "verify", "--key", "SHA256:"+strings.Repeat("A", 43), out); code != 1 {
		t.Errorf("verify against another key: exit %d: %s", code, vout)
	}
	for _, name := range []string{"validation.json", "VALIDATION.txt"} {
		p := filepath.Join(out, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(b), "L4", "L3", 1)
		if err := os.WriteFile(p, []byte(changed), 0o600); err != nil {
			t.Fatal(err)
		}
		if vout, _, code := cli(t, "verify", out); code != 1 {
			t.Errorf("verify after changing %s: exit %d: %s", name, code, vout)
		}
		os.WriteFile(p, b, 0o600)
	}
	// A non-empty --out is refused.
	if _, _, code := cli(t, "validate", "--db", db, "--out", out); code != 2 {
		t.Errorf("validate into a used directory: exit %d, want 2", code)
	}
}

func storeLogSize(t *testing.T, db string) int64 {
	t.Helper()
	s, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.LogSize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
