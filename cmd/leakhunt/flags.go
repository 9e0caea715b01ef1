package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/store"
)

// common holds the global flags every command accepts.
type common struct {
	db      string
	verbose bool
	quiet   bool
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
	fs.StringVar(&c.db, "db", def, "store `path` (env LEAKHUNT_DB)")
	fs.BoolVar(&c.verbose, "v", false, "log progress details to stderr")
	fs.BoolVar(&c.quiet, "q", false, "no progress bars or status on stderr")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: leakhunt %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs, c
}

// parse parses flags, turning -h into a clean exit and errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	return nil
}

// errHelp is returned after -h printed the usage; main treats it as success.
var errHelp = errors.New("help shown")

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
	return store.Open(c.db, &store.Options{MustExist: !create})
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
