package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/leakhunt/leakhunt/internal/version"
)

func runVersion(_ context.Context, e *env, args []string) error {
	fl, _ := newFlags(e, "version", "\n\nPrints leakhunt's version (the one observations record and reports print), the Go\n"+
		"toolchain it was built with and the version of anacrolix/torrent built in.")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("version: unexpected argument %q", fl.Arg(0))
	}
	fmt.Fprintf(e.stdout, "leakhunt %s\n%s %s/%s\ngithub.com/anacrolix/torrent %s\n",
		version.String(), version.Go(), runtime.GOOS, runtime.GOARCH, version.Torrent())
	return nil
}
