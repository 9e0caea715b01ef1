package main

import (
	"strings"
	"testing"
)

// TestBootstrapRefusedIsSaid: a loopback --bootstrap without --allow-local
// is refused by the address policy; the command says so and why, instead
// of finding no node in silence.
func TestBootstrapRefusedIsSaid(t *testing.T) {
	db := t.TempDir() + "/l.db"
	if _, stderr, code := cli(t, "catalog", "add", "--db", db, leaksDir(t)+"/staff_roster.tsv"); code != 0 {
		t.Fatal(stderr)
	}
	ih := strings.Repeat("ab", 20)
	_, stderr, code := cli(t, "watch", "--db", db, "--bootstrap", "127.0.0.1:6881", "--listen", "127.0.0.1:0", "--rounds", "1", ih)
	if code != 2 || !strings.Contains(stderr, "--bootstrap 127.0.0.1:6881 refused: loopback address") ||
		!strings.Contains(stderr, "--allow-local") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	// Some refused, some kept: the refused one is named, the run goes on.
	var h huntFlags
	h.bootstrap = listFlag{"10.1.2.3:6881", "router.example:6881"}
	var b strings.Builder
	h.stderr = &b
	got, err := bootstrapNodes(&h, &b)
	if err != nil || len(got) != 1 || got[0] != "router.example:6881" || !strings.Contains(b.String(), "10.1.2.3:6881 refused: private address") {
		t.Errorf("bootstrap %v, %v; said %q", got, err, b.String())
	}
	// --allow-local without --bootstrap: no public router.
	h = huntFlags{allowLocal: true}
	b.Reset()
	if got, err := bootstrapNodes(&h, &b); err != nil || got == nil || len(got) != 0 || !strings.Contains(b.String(), "no public DHT router") {
		t.Errorf("--allow-local: bootstrap %v (nil means the public routers), %v; said %q", got, err, b.String())
	}
	h = huntFlags{}
	if got, _ := bootstrapNodes(&h, &b); got != nil {
		t.Errorf("default: bootstrap %v, want the public routers (nil)", got)
	}
}
