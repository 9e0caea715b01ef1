package dashboard

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// StoreCheck is what verifying a store found: `leakhunt verify` on a
// store, run by whichever process holds it.
type StoreCheck struct {
	Path string `json:"path"`
	// Damaged lists what is wrong with the database file's own structure;
	// nothing else was checked when it is not empty.
	Damaged []string `json:"damaged,omitempty"`
	// Fails lists the catalogue entries and log records, hashes,
	// checkpoints and keys that failed, and a signer other than the one
	// expected.
	Fails []string `json:"fails,omitempty"`
	// Records is the number of log records checked.
	Records int64 `json:"records"`
	// Fingerprint is the store's current signing key's.
	Fingerprint string `json:"fingerprint"`
	// Keys is the key history.
	Keys []evidence.SigningKey `json:"keys,omitempty"`
}

// ErrPublicKey is wrapped when the public key beside the store is missing
// or unreadable: the user must put it back.
var ErrPublicKey = errors.New("public key")

// CheckStore checks an open store: the database file's structure, every
// catalogue entry against its checksum and kept copy, and the evidence
// log with its key history and checkpoints, signed by want (a key
// fingerprint) when want is set. It is safe while a hunt appends to the
// store: the log is checked up to the size it had when the check began.
func CheckStore(s *store.Store, want string) (*StoreCheck, error) {
	c := &StoreCheck{Path: s.Path()}
	damage, err := s.Check()
	if err != nil {
		return nil, err
	}
	if c.Damaged = damage; len(damage) > 0 {
		return c, nil
	}
	if c.Keys, err = s.SigningKeys(); err != nil {
		return nil, err
	}
	pub, err := os.ReadFile(s.Path() + ".pub")
	current := strings.TrimSpace(string(pub))
	switch {
	case err == nil:
	case len(c.Keys) > 0 && errors.Is(err, os.ErrNotExist):
		current = c.Keys[len(c.Keys)-1].VerifierKey
	default:
		return nil, fmt.Errorf("%w %s.pub: %v (it is written beside the store with its signing key)", ErrPublicKey, s.Path(), err)
	}
	if c.Fingerprint, err = evidence.KeyFingerprint(current); err != nil {
		return nil, fmt.Errorf("%w %s.pub: %v", ErrPublicKey, s.Path(), err)
	}
	if want != "" && c.Fingerprint != want {
		c.Fails = append(c.Fails, fmt.Sprintf("signing key: the store is signed by %s, not by the expected key %s", c.Fingerprint, want))
	}
	catalog, err := s.CheckCatalog()
	if err != nil {
		return nil, err
	}
	c.Fails = append(c.Fails, catalog...)
	probs, n, err := evidence.VerifyStore(s, current)
	if err != nil {
		return nil, err
	}
	for _, p := range probs {
		c.Fails = append(c.Fails, p.String())
	}
	c.Records = n
	return c, nil
}
