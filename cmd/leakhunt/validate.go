package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/leakhunt/leakhunt/internal/validation"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/store"
)

func runValidate(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "validate", "[--out DIR] [--timeout 3m]\n\n"+
		"Runs the whole method against hosts on loopback whose behaviour is known (honest seeders of\n"+
		"several implementations, a liar, peers holding only an edge piece or a decoy file, peers\n"+
		"serving the wrong piece or switching content, a crafted hybrid torrent, a link whose hash\n"+
		"sits beside an unrelated infohash, an address with nothing behind it) and writes a report,\n"+
		"signed with the key of the case store given by --db (which is otherwise not touched), of the\n"+
		"level each host must reach and the level obtained. Exit 1 on any disagreement.")
	out := fl.String("out", "./leakhunt-validation", "new `directory` for the report (and the test's own store)")
	timeout := fl.Duration("timeout", 3*time.Minute, "give up after this `long`")
	var kf keyFlags
	kf.register(fl)
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("validate: unexpected argument %q", fl.Arg(0))
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return usagef("validate: %s is not empty: give a new directory with --out", *out)
	}
	// The report is signed with the case store's key: the key whose
	// fingerprint the contractor publishes. The case store is not
	// otherwise touched: the test has its own.
	cs, err := c.open(false)
	if err != nil {
		return err
	}
	keys, err := kf.keys(cs, "")
	cs.Close()
	if err != nil {
		return err
	}
	start := time.Now()
	work := filepath.Join(*out, "test-store")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	e.printf("validate: starting hosts with known behaviours on 127.0.0.1")
	sc, err := validation.Start(ctx, work)
	if err != nil {
		return err
	}
	defer sc.Close()
	// The test's own store: the case store is never touched.
	s, err := store.Open(filepath.Join(work, "validation.db"), nil)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := catalogueAll(s, filepath.Join(work, "documents"), "validation", sc.Documents); err != nil {
		return err
	}
	err = huntLocal(ctx, e, c, s, localHunt{bootstrap: sc.Bootstrap(), web: []string{sc.Page}, timeout: *timeout,
		claimWait: 2 * time.Second}, func() (bool, error) { return sc.Progress(s) })
	if err != nil && !errors.Is(err, validation.ErrWrong) {
		return err // the report is written for what the hunt concluded, not for a failed run
	}
	hosts, torrents, links, cerr := sc.Check(s)
	if cerr != nil {
		return cerr
	}
	hostname, _ := os.Hostname()
	pass, werr := validation.Write(*out, sc, hosts, torrents, links, validation.Meta{Time: start, Duration: time.Since(start),
		Software: fmt.Sprintf("leakhunt %s (%s, %s/%s)", version.String(), version.Go(), runtime.GOOS, runtime.GOARCH),
		Host:     hostname, Signer: keys.VerifierKey}, keys.Signer, keys.VerifierKey)
	if werr != nil {
		return werr
	}
	for _, h := range hosts {
		mark := "ok  "
		if !h.Pass() {
			mark = "FAIL"
		}
		fmt.Fprintf(e.stdout, "%s %-21s expected %-4s obtained %-4s %s\n", mark, h.Addr, validation.LevelName(h.Expected),
			validation.LevelName(h.Obtained), h.Behaviour)
	}
	for _, t := range torrents {
		if !t.Pass() {
			fmt.Fprintf(e.stdout, "FAIL torrent %s: expected %q, obtained %q, watched %v\n", t.InfoHash, t.Verdict, t.Obtained, t.Watched)
		}
	}
	for _, l := range links {
		if !l.Pass() {
			fmt.Fprintf(e.stdout, "FAIL link %s: proven %v, infohash %q\n", l.Link, l.Proven, l.InfoHash)
		}
	}
	for _, sk := range sc.Skipped {
		fmt.Fprintf(e.stdout, "not tested: %s\n", sk)
	}
	fmt.Fprintf(e.stdout, "\nvalidation report: %s (signed; check it with 'leakhunt verify %s')\n",
		filepath.Join(*out, validation.ReportName), *out)
	if err != nil {
		return err
	}
	if !pass {
		return fmt.Errorf("validation failed: %w", errTampered)
	}
	return nil
}
