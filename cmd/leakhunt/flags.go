package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/store"
)

// common holds the global flags every command accepts.
type common struct {
	db      string
	verbose bool
	quiet   bool
	sensor  sensorFlags
}

// newFlags makes a command's flag set with the global flags on it.
func newFlags(e *env, name, usage string) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	c := &common{}
	def := os.Getenv("LEAKHUNT_DB")
	if def == "" {
		def = "./leakhunt.db"
	}
	fs.StringVar(&c.db, "db", def, "store `path`, or a PostgreSQL URL postgres://... shared by several hunters (env LEAKHUNT_DB)")
	c.sensor.register(fs)
	fs.BoolVar(&c.verbose, "v", false, "log progress details to stderr")
	fs.BoolVar(&c.quiet, "q", false, "no progress bars or status on stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: leakhunt %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs, c
}

// parse parses a command's flags. -h prints the usage (errHelp); a bad
// flag prints the usage and is a usage error, printed once by run; a flag
// after the first argument is refused rather than read as an input.
func parse(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	// The flag package's own messages are left out: run prints the error.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelp
	case err != nil:
		fs.Usage()
		return usageError{err.Error()}
	}
	rest := fs.Args()
	if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
		return nil // everything after -- is an argument
	}
	for _, a := range rest {
		if len(a) > 1 && a[0] == '-' {
			return usagef("flags go before arguments: %s comes after %q (write the flags first; after --, an argument may start with '-')", a, rest[0])
		}
	}
	return nil
}

func (c *common) logger(e *env) *slog.Logger {
	if !c.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// open opens the store given by --db. Only the commands that gather
// evidence (catalog add, hunt, crawl, watch) create one (create); the
// others refuse a missing store, so that a mistyped path is not answered
// from an empty store.
func (c *common) open(create bool) (*store.Store, error) {
	return store.Open(c.db, c.sensor.options(c.db, &store.Options{MustExist: !create}))
}

// keyFlags are the flags of commands that sign the evidence log.
type keyFlags struct {
	newKey     bool
	contractor string
}

func (k *keyFlags) register(fl *flag.FlagSet) {
	fl.BoolVar(&k.newKey, "new-key", false, "start a new signing key when the store's key file is lost, or switch to the key file now beside it (the change is recorded in the log)")
	fl.StringVar(&k.contractor, "contractor", "", "your `name`, carried in the name of a signing key made now (default: the report config's contractor.name)")
}

// keys opens the store's signing key (see evidence.OpenKeys).
func (k *keyFlags) keys(s *store.Store, contractor string) (*evidence.Keys, error) {
	if k.contractor != "" {
		contractor = k.contractor
	}
	keys, err := evidence.OpenKeys(s, evidence.KeyOptions{Name: evidence.KeyName(contractor), NewKey: k.newKey, Version: version.String()})
	if errors.Is(err, evidence.ErrKeyMissing) || errors.Is(err, evidence.ErrKeyChanged) {
		return nil, usageError{err.Error()}
	}
	return keys, err
}

// isTerminal reports whether w is a terminal (progress bars are drawn only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// bar returns a progress bar on stderr counting bytes (or records when
// bytes is false), or nil when stderr is not a terminal or -q was given.
func (c *common) bar(e *env, total int64, what string, bytes bool) *progressbar.ProgressBar {
	if c.quiet || !isTerminal(e.stderr) {
		return nil
	}
	unit := progressbar.OptionShowCount()
	if bytes {
		unit = progressbar.OptionShowBytes(true)
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(what),
		unit,
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// printJSONLines prints each value as one line of JSON (see printJSON).
func printJSONLines[T any](e *env, vs []T) error {
	for _, v := range vs {
		if err := e.printJSON(v); err != nil {
			return err
		}
	}
	return nil
}

// printJSON prints v as one line of JSON on stdout, with the characters
// that could hide or reorder text escaped (see display.JSON).
func (e *env) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", display.JSON(b))
	return err
}
