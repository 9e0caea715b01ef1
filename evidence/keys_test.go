package evidence_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestKeyFingerprint(t *testing.T) {
	a, err := evidence.LoadOrCreateKeys(filepath.Join(t.TempDir(), "a.db"), "same-name")
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.LoadOrCreateKeys(filepath.Join(t.TempDir(), "b.db"), "same-name")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.Fingerprint, "SHA256:") || len(a.Fingerprint) != len("SHA256:")+43 {
		t.Errorf("fingerprint %q", a.Fingerprint)
	}
	if a.Fingerprint == b.Fingerprint {
		t.Error("two keys with one name share a fingerprint")
	}
	if fp, err := evidence.KeyFingerprint(a.VerifierKey + "\n"); err != nil || fp != a.Fingerprint {
		t.Errorf("evidence.KeyFingerprint = %q, %v; want %q", fp, err, a.Fingerprint)
	}
	if _, err := evidence.KeyFingerprint("not a key"); err == nil {
		t.Error("garbage has a fingerprint")
	}
	for in, want := range map[string]string{"": "leakhunt", "Example Investigations GK": "leakhunt-Example_Investigations_GK", "A+B": "leakhunt-A_B", "調査 株式会社": "leakhunt-調査_株式会社"} {
		if got := evidence.KeyName(in); got != want {
			t.Errorf("evidence.KeyName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenKeysHistory: the first key is registered in the log; a lost key
// file is refused unless a new key is asked for, and then the change is in
// the log and every checkpoint, old and new, still verifies.
func TestOpenKeysHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lh.db")
	s := openStore(t, path)
	opt := evidence.KeyOptions{Name: evidence.KeyName("Example Investigations GK"), Version: "test"}
	k1, err := evidence.OpenKeys(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if k1.Verifier.Name() != "leakhunt-Example_Investigations_GK" {
		t.Errorf("key name %q", k1.Verifier.Name())
	}
	if again, err := evidence.OpenKeys(s, opt); err != nil || again.Fingerprint != k1.Fingerprint {
		t.Fatalf("reopen: %v", err)
	}
	if n, _ := s.LogSize(); n != 1 {
		t.Fatalf("log size %d after registering the first key, want 1", n)
	}
	s.AppendObservations([]evidence.Observation{logObs(1), logObs(2)})
	if _, _, err := evidence.SignCheckpoint(s, k1); err != nil {
		t.Fatal(err)
	}
	pub1, _ := os.ReadFile(path + ".pub")

	// The key file is lost.
	os.Remove(path + ".key")
	if _, err := evidence.OpenKeys(s, opt); !errors.Is(err, evidence.ErrKeyMissing) || !strings.Contains(err.Error(), k1.Fingerprint) {
		t.Fatalf("missing key: err %v, want evidence.ErrKeyMissing naming %s", err, k1.Fingerprint)
	}
	if pub, _ := os.ReadFile(path + ".pub"); string(pub) != string(pub1) {
		t.Fatal("the refused open overwrote the public key")
	}
	opt.NewKey = true
	k2, err := evidence.OpenKeys(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Fingerprint == k1.Fingerprint {
		t.Fatal("no new key")
	}
	aside, _ := filepath.Glob(path + ".pub.replaced-*")
	if len(aside) != 1 {
		t.Errorf("old public key not kept: %v", aside)
	}
	hist, err := s.SigningKeys()
	if err != nil || len(hist) != 2 || hist[1].Fingerprint != k2.Fingerprint || !strings.Contains(hist[1].Reason, k1.Fingerprint) {
		t.Fatalf("history %+v, %v", hist, err)
	}
	o, err := s.Observation(hist[1].Record)
	if err != nil || o.Source != evidence.SourceKey || !strings.Contains(o.Detail, k2.Fingerprint) {
		t.Fatalf("key change record %+v, %v", o, err)
	}
	if _, _, err := evidence.SignCheckpoint(s, k2); err != nil {
		t.Fatal(err)
	}
	if probs, _, err := evidence.VerifyStore(s, k2.VerifierKey); err != nil || len(probs) != 0 {
		t.Fatalf("after the key change: %v %v", probs, err)
	}
	if peers, _ := s.Peers(0); len(peers) != 2 {
		t.Errorf("key records made peers: %+v", peers)
	}

	// Another store's key put in its place is refused.
	other := filepath.Join(t.TempDir(), "other.db")
	if _, err := evidence.LoadOrCreateKeys(other, "other"); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".key", ".pub"} {
		b, _ := os.ReadFile(other + ext)
		os.Remove(path + ext)
		os.WriteFile(path+ext, b, 0o600)
	}
	opt.NewKey = false
	if _, err := evidence.OpenKeys(s, opt); !errors.Is(err, evidence.ErrKeyChanged) {
		t.Fatalf("foreign key file: err %v, want evidence.ErrKeyChanged", err)
	}
	b, _ := os.ReadFile(other + ".pub")
	if probs, _, _ := evidence.VerifyStore(s, string(b)); len(probs) == 0 || probs[0].Where != "signing key" {
		t.Errorf("verify with a key the log does not register: %v", probs)
	}
}

// TestVerifyStoreForeignCheckpoint: a checkpoint re-signed with another key
// fails even though it commits to the right root.
func TestVerifyStoreForeignCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lh.db")
	s := openStore(t, path)
	k, err := evidence.OpenKeys(s, evidence.KeyOptions{Name: "leakhunt", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s.AppendObservations([]evidence.Observation{logObs(1)})
	forger, err := evidence.LoadOrCreateKeys(filepath.Join(t.TempDir(), "f.db"), "leakhunt")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := evidence.SignCheckpoint(s, forger); err != nil {
		t.Fatal(err)
	}
	probs, _, err := evidence.VerifyStore(s, k.VerifierKey)
	if err != nil || len(probs) != 1 || !strings.Contains(probs[0].String(), "checkpoint at size 2") || !strings.Contains(probs[0].What, k.Fingerprint) {
		t.Fatalf("problems %v, %v", probs, err)
	}
}
