package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/validation"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

func runVerify(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "verify", "[--key FILE|FINGERPRINT] [--documents DIR] [BUNDLE-DIR | STORE]  (default: the store given by --db)\n\n"+
		"Checks a report bundle or a store offline. Exit 0 intact, 1 tampered (each failure is named),\n"+
		"2 when the store file itself is damaged or missing.\n\n"+
		"With --documents, a bundle is also checked against copies of the leaked documents (the files\n"+
		"in DIR, found by SHA-256): the torrents' piece hashes are computed again from the copies, and\n"+
		"every received block of a verified piece that lies inside a document must have the SHA-256\n"+
		"of the copy's bytes at that place.")
	pin := fl.String("key", "", "the signer you expect: a public key `file` or its fingerprint (SHA256:…); another signer fails")
	docs := fl.String("documents", "", "a `folder` with copies of the leaked documents to compare a bundle's verified pieces with")
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
	want, err := pinnedKey(*pin)
	if err != nil {
		return err
	}
	if store.IsURL(target) {
		return verifySharedStore(e, target, want)
	}
	st, err := os.Stat(target)
	if err != nil {
		return usagef("verify: %v", err)
	}
	if !st.IsDir() {
		return verifyStore(ctx, e, target, want)
	}
	if _, err := os.Stat(filepath.Join(target, validation.ReportName)); err == nil {
		return verifyValidation(e, target, want)
	}
	if _, err := os.Stat(filepath.Join(target, report.ManifestName)); err != nil {
		return usagef("verify: %s is a directory without %s: not a report bundle", target, report.ManifestName)
	}
	probs, err := report.VerifyBundle(target, report.VerifyOptions{Key: want})
	if err != nil {
		return err
	}
	for _, p := range probs {
		fmt.Fprintf(e.stdout, "FAIL %s: %s\n", shown(p.Path), shown(p.What))
	}
	if len(probs) > 0 {
		fmt.Fprintf(e.stdout, "%s: %d problem(s): the bundle was changed after it was written, or another key signed it\n", target, len(probs))
		return errTampered
	}
	name, fp, _ := report.BundleKey(target)
	fmt.Fprintf(e.stdout, "OK %s: every file matches MANIFEST, the checkpoint signature and every inclusion proof verify (key %s %s)\n", target, shown(name), fp)
	if want == "" {
		e.warnf("the bundle's own key signed it; check %s against the fingerprint its sender publishes, or pass it with --key", fp)
	}
	if *docs != "" {
		return verifyDocuments(e, target, *docs)
	}
	return nil
}

// verifyDocuments checks a verified bundle against copies of the
// documents and says what was compared.
func verifyDocuments(e *env, bundle, docs string) error {
	c, probs, err := report.VerifyDocuments(bundle, docs)
	if err != nil {
		return err
	}
	for _, p := range probs {
		fmt.Fprintf(e.stdout, "FAIL %s: %s\n", shown(p.Path), shown(p.What))
	}
	fmt.Fprintf(e.stdout, "documents: %d of the %d documents the bundle names found in %s; %d piece hash(es) computed again from them; "+
		"%d received block(s) of verified pieces (%d bytes) compared with them", c.Given, c.Documents, shown(docs), c.Pieces, c.Blocks, c.BlockBytes)
	if c.Outside > 0 {
		fmt.Fprintf(e.stdout, " (%d more do not lie wholly inside a document and were not compared)", c.Outside)
	}
	fmt.Fprintln(e.stdout)
	if len(probs) > 0 {
		return fmt.Errorf("%s: %d problem(s) against the documents in %s: %w", bundle, len(probs), docs, errTampered)
	}
	return nil
}

// pinnedKey turns --key (a public key file or a fingerprint) into a
// fingerprint; empty when not given.
func pinnedKey(arg string) (string, error) {
	if arg == "" {
		return "", nil
	}
	if strings.HasPrefix(arg, "SHA256:") {
		return arg, nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return "", usagef("verify: --key %q is neither a fingerprint (SHA256:…) nor a readable key file: %v", arg, err)
	}
	fp, err := evidence.KeyFingerprint(string(b))
	if err != nil {
		return "", usagef("verify: --key %s: %v", arg, err)
	}
	return fp, nil
}

// verifyStore checks a store: the database file's own consistency (a
// damaged file is exit 2), the catalogue, and the evidence log with its
// key history and checkpoints. A store that a running leakhunt holds is
// checked by that process, up to the log size it had when asked.
func verifyStore(ctx context.Context, e *env, path, want string) error {
	sc, err := storeCheck(ctx, e, path, want)
	if errors.Is(err, dashboard.ErrPublicKey) {
		return usagef("verify: %v", err)
	}
	if err != nil {
		return err
	}
	for _, d := range sc.Damaged {
		fmt.Fprintf(e.stdout, "DAMAGED %s\n", d)
	}
	if len(sc.Damaged) > 0 {
		return fmt.Errorf("%s: %w: the database's own structure is broken (%d problem(s) above): restore it from a backup", path, store.ErrCorrupt, len(sc.Damaged))
	}
	for _, f := range sc.Fails {
		fmt.Fprintf(e.stdout, "FAIL %s\n", f)
	}
	if len(sc.Fails) > 0 {
		fmt.Fprintf(e.stdout, "%s: %d problem(s) in %d record(s) and the catalogue\n", path, len(sc.Fails), sc.Records)
		return errTampered
	}
	fmt.Fprintf(e.stdout, "OK %s: database consistent, catalogue intact, %d record(s): every hash and checkpoint signature verifies (key %s)\n", path, sc.Records, sc.Fingerprint)
	if len(sc.Keys) > 1 {
		for _, k := range sc.Keys {
			fmt.Fprintf(e.stdout, "  key %s from record %d (%s): %s\n", k.Fingerprint, k.Record, k.Time.Format("2006-01-02 15:04:05 UTC"), k.Reason)
		}
	}
	return nil
}

// storeCheck checks the store at path: through the running leakhunt that
// holds it, or opened read-only here.
func storeCheck(ctx context.Context, e *env, path, want string) (*dashboard.StoreCheck, error) {
	cl, err := holder(ctx, path)
	if err != nil {
		return nil, err
	}
	if cl != nil {
		defer cl.Close()
		e.printf("leakhunt %s (pid %d) holds the store: it checks the log as far as it had written when asked", cl.Hello.Mode, cl.Hello.PID)
		sc, err := cl.VerifyStore(ctx, want)
		if err != nil {
			return nil, remoteErr("verify", err)
		}
		return sc, nil
	}
	s, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return dashboard.CheckStore(s, want)
}

// verifyValidation checks a validation report's signature and results,
// against the key fingerprint want when given.
func verifyValidation(e *env, dir, want string) error {
	signer, pass, err := validation.Verify(dir, "")
	if err != nil {
		fmt.Fprintf(e.stdout, "FAIL %s: %s\n", dir, shown(err.Error()))
		return errTampered
	}
	key, err := os.ReadFile(filepath.Join(dir, validation.KeyName))
	if err != nil {
		return err
	}
	fp, err := evidence.KeyFingerprint(string(key))
	if err != nil {
		return err
	}
	if want != "" && fp != want {
		fmt.Fprintf(e.stdout, "FAIL %s: signed with key %s, not %s\n", dir, fp, want)
		return errTampered
	}
	result := "PASS"
	if !pass {
		result = "FAIL"
	}
	fmt.Fprintf(e.stdout, "OK %s: the validation report and its results are as signed (key %s %s); the report says %s\n", dir, shown(signer), fp, result)
	if want == "" {
		e.warnf("the report's own key signed it; check %s against the fingerprint its sender publishes, or pass it with --key", fp)
	}
	return nil
}

// shown is how verify prints text read from a bundle, which may come from
// anyone: as network text is shown (see display.String).
func shown(s string) string { return display.String(s, display.NoLimit) }
