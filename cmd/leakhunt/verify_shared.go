package main

import (
	"fmt"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// verifySharedStore checks a PostgreSQL store: its catalogue, and the log
// of every sensor in it against that sensor's own key history (the last
// key it registered), as verifyStore checks one bbolt store's. want, when
// given, must be the key of every sensor.
func verifySharedStore(e *env, url, want string) error {
	s, damage, err := openChecked(url)
	if err != nil {
		return err
	}
	defer s.Close()
	fails := append([]string(nil), damage...)
	catalog, err := s.CheckCatalog()
	if err != nil {
		return err
	}
	fails = append(fails, catalog...)
	sensors, err := s.Sensors()
	if err != nil {
		return err
	}
	var lines []string
	total := int64(0)
	for _, sn := range sensors {
		view, err := s.ForSensor(sn.Name)
		if err != nil {
			return err
		}
		keys, err := view.SigningKeys()
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			if sn.LogSize > 0 {
				fails = append(fails, fmt.Sprintf("sensor %q: %d record(s) but no signing key registered", sn.Name, sn.LogSize))
			}
			lines = append(lines, fmt.Sprintf("  sensor %s: no records", sn.Name))
			continue
		}
		current := keys[len(keys)-1]
		if want != "" && current.Fingerprint != want {
			fails = append(fails, fmt.Sprintf("sensor %q: signed by %s, not by the expected key %s", sn.Name, current.Fingerprint, want))
		}
		probs, n, err := evidence.VerifyStore(view, current.VerifierKey)
		if err != nil {
			return err
		}
		for _, p := range probs {
			fails = append(fails, fmt.Sprintf("sensor %q: %s", sn.Name, p))
		}
		total += n
		lines = append(lines, fmt.Sprintf("  sensor %s: %d record(s) (key %s)", sn.Name, n, current.Fingerprint))
	}
	for _, f := range fails {
		fmt.Fprintf(e.stdout, "FAIL %s\n", shown(f))
	}
	if len(fails) > 0 {
		fmt.Fprintf(e.stdout, "%d problem(s) in %d record(s) of %d sensor(s) and the catalogue\n", len(fails), total, len(sensors))
		return errTampered
	}
	fmt.Fprintf(e.stdout, "OK catalogue intact, %d sensor(s), %d record(s): every hash and checkpoint signature verifies\n", len(sensors), total)
	for _, l := range lines {
		fmt.Fprintln(e.stdout, shown(l))
	}
	return nil
}

// openChecked opens a store read-only and checks the database's own
// consistency, returning what is wrong.
func openChecked(pathOrURL string) (*store.Store, []string, error) {
	s, err := store.Open(pathOrURL, &store.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	damage, err := s.Check()
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, damage, nil
}
