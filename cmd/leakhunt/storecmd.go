package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/leakhunt/leakhunt/store"
)

// runStoreCopy copies a case between stores: bbolt to PostgreSQL or back
// (or bbolt to bbolt), every log leaf and checkpoint byte for byte, and
// the signing key files beside the destination when it has none.
func runStoreCopy(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "store copy", "[flags] FROM TO")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 2 {
		fl.Usage()
		return usagef("store copy: want FROM and TO (a store path or a postgres:// URL each), got %d argument(s)", fl.NArg())
	}
	fromArg, toArg := fl.Arg(0), fl.Arg(1)
	if fromArg == toArg {
		return usagef("store copy: FROM and TO are the same store")
	}
	from, err := store.Open(fromArg, c.sensor.options(fromArg, &store.Options{MustExist: true}))
	if err != nil {
		return err
	}
	defer from.Close()
	if !store.IsURL(toArg) {
		if _, err := os.Stat(toArg); err == nil {
			return usagef("store copy: %s exists: copy into a new file", toArg)
		}
	}
	to, err := store.Open(toArg, c.sensor.options(toArg, &store.Options{}))
	if err != nil {
		return err
	}
	defer to.Close()
	var last string
	progress := func(what string, done int64) {
		if ctx.Err() == nil && !c.quiet && what != last {
			e.printf("copying %s", what)
			last = what
		}
	}
	if err := store.CopyStore(from, to, progress); err != nil {
		return fmt.Errorf("store copy %s → %s: %w", from.Path(), to.Path(), err)
	}
	if err := copyKeyFiles(from.Path(), to.Path()); err != nil {
		return fmt.Errorf("store copy: signing key: %w", err)
	}
	n, err := to.LogSize()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %d log records of sensor %q; the signing key is at %s.key\n", n, to.Sensor().Name, to.Path())
	return nil
}

// copyKeyFiles copies the sensor's key files (PATH.key, PATH.pub) from
// beside one store to beside the other, unless the destination has one:
// the sensor signs on with the same key after the move.
func copyKeyFiles(from, to string) error {
	for _, ext := range []string{".key", ".pub"} {
		b, err := os.ReadFile(from + ext)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := os.Stat(to + ext); err == nil {
			continue
		}
		if err := os.WriteFile(to+ext, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
