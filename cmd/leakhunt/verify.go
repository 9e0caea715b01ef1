package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/validation"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

func runVerify(_ context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "verify", "[BUNDLE-DIR | STORE]  (default: the store given by --db)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 1 {
		return usagef("verify: give one report directory or store")
	}
	target := c.db
	if fl.NArg() == 1 {
		target = fl.Arg(0)
	}
	st, err := os.Stat(target)
	if err != nil {
		return usagef("verify: %v", err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(target, validation.ReportName)); err == nil {
			return verifyValidation(e, target)
		}
		if _, err := os.Stat(filepath.Join(target, report.ManifestName)); err != nil {
			return usagef("verify: %s is a directory without %s: not a report bundle", target, report.ManifestName)
		}
		probs, err := report.VerifyBundle(target)
		if err != nil {
			return err
		}
		for _, p := range probs {
			fmt.Fprintf(e.stdout, "FAIL %s: %s\n", p.Path, p.What)
		}
		if len(probs) > 0 {
			fmt.Fprintf(e.stdout, "%s: %d problem(s): the bundle was changed after it was written\n", target, len(probs))
			return errTampered
		}
		fmt.Fprintf(e.stdout, "OK %s: every file matches MANIFEST, the checkpoint signature and every inclusion proof verify (key %s)\n",
			target, readKeyName(filepath.Join(target, "key.pub")))
		return nil
	}
	return verifyStore(e, target)
}

// verifyStore checks a store's evidence log with the key beside it.
func verifyStore(e *env, path string) error {
	key, err := os.ReadFile(path + ".pub")
	if err != nil {
		return usagef("verify: public key %s.pub: %v (it is written beside the store on first use)", path, err)
	}
	s, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer s.Close()
	probs, n, err := evidence.VerifyStore(s, strings.TrimSpace(string(key)))
	if err != nil {
		return err
	}
	for _, p := range probs {
		fmt.Fprintf(e.stdout, "FAIL %s: %s\n", p.Where, p.What)
	}
	if len(probs) > 0 {
		fmt.Fprintf(e.stdout, "%s: %d problem(s) in %d record(s)\n", path, len(probs), n)
		return errTampered
	}
	fmt.Fprintf(e.stdout, "OK %s: %d record(s), every hash and checkpoint signature verifies\n", path, n)
	return nil
}

// verifyValidation checks a validation report's signature and results.
func verifyValidation(e *env, dir string) error {
	signer, pass, err := validation.Verify(dir, "")
	if err != nil {
		fmt.Fprintf(e.stdout, "FAIL %s: %v\n", dir, err)
		return errTampered
	}
	result := "PASS"
	if !pass {
		result = "FAIL"
	}
	fmt.Fprintf(e.stdout, "OK %s: the validation report and its results are as signed (key %s); the report says %s\n", dir, signer, result)
	return nil
}

func readKeyName(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "?"
	}
	name, _, _ := strings.Cut(strings.TrimSpace(string(b)), "+")
	return name
}
