package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	alog "github.com/anacrolix/log"

	"github.com/leakhunt/leakhunt/internal/display"
)

func main() {
	// anacrolix's libraries log through a package-level default; leakhunt
	// reports through its own logger, so silence theirs before any use.
	alog.Default.SetHandlers(alog.DiscardHandler)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// Exit codes, the CLI contract: every one is decided by exitCode.
const (
	exitOK          = 0
	exitNotFound    = 1 // nothing found where a command says so, or verification failed
	exitUsage       = 2 // usage or input error (also a missing or damaged store)
	exitInterrupted = 130
)

var (
	// errNothingFound makes the exit code 1 where a command says so; the
	// command has said what it did not find.
	errNothingFound = errors.New("nothing found")
	// errTampered makes the exit code 1 for a failed verification; the
	// command has named each failure.
	errTampered = errors.New("verification failed")
	// errReported means the command already printed its errors (exit 2).
	errReported = errors.New("errors reported")
	// errInterrupted is what run returns once its context was cancelled
	// (Ctrl-C, SIGTERM): exit 130.
	errInterrupted = errors.New("interrupted")
	// errHelp is returned after -h printed a usage; run turns it into
	// success.
	errHelp = errors.New("help shown")
)

// usageError is an error in how leakhunt was called (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode is the process's exit code for what run returned.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.Is(err, errNothingFound), errors.Is(err, errTampered):
		return exitNotFound
	}
	return exitUsage
}

// said reports whether err's message was printed by the command already.
func said(err error) bool {
	return errors.Is(err, errNothingFound) || errors.Is(err, errTampered) || errors.Is(err, errReported)
}

// say is the one printer of messages for people: every error, warning and
// note leakhunt prints goes to stderr through it, as "leakhunt: MESSAGE".
// Messages quote names, paths and server answers that came from the
// network: each line is shown as display.String shows network text.
// Results go to stdout.
func say(w io.Writer, format string, args ...any) {
	lines := strings.Split(fmt.Sprintf(format, args...), "\n")
	for i, l := range lines {
		lines[i] = display.String(l, display.NoLimit)
	}
	fmt.Fprintf(w, "leakhunt: %s\n", strings.Join(lines, "\n"))
}

// printf prints a message (an error the command goes on after, or a note)
// on stderr.
func (e *env) printf(format string, args ...any) { say(e.stderr, format, args...) }

// warnf prints a warning on stderr: "leakhunt: warning: MESSAGE".
func (e *env) warnf(format string, args ...any) { say(e.stderr, "warning: "+format, args...) }

// A command is a subcommand of leakhunt, or a group of them (catalog,
// crawl) when it has subs instead of run.
type command struct {
	name    string
	aliases []string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
	subs    []command
}

// env is what every subcommand gets: streams and global settings.
type env struct {
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{name: "fingerprint", summary: "hash files (MD5, SHA-1, SHA-256, ed2k, TTH, BitTorrent v2 root) without storing them", run: runFingerprint},
		{name: "catalog", summary: "add, list or remove the leaked documents to hunt for", subs: []command{
			{name: "add", summary: "fingerprint documents and store them in the catalog", run: runCatalogAdd},
			{name: "list", aliases: []string{"ls"}, summary: "list the catalogued documents", run: runCatalogList},
			{name: "rm", aliases: []string{"remove"}, summary: "remove documents from the catalog", run: runCatalogRm},
		}},
		{name: "match", summary: "check .torrent files, magnet and ed2k links against the catalog", run: runMatch},
		{name: "matches", summary: "list the stored matches and leads with where each was seen", run: runMatches},
		{name: "crawl", summary: "run sources only (dht, web), storing infohashes, metadata and matches", subs: []command{
			{name: "dht", summary: "sample infohashes from the DHT, fetch their metadata and match it", run: runCrawlDHT},
			{name: "web", summary: "crawl index pages, feeds and Torznab once, and match what they list", run: runCrawlWeb},
		}},
		{name: "watch", summary: "harvest and probe the peers of one torrent", run: runWatch},
		{name: "hunt", summary: "crawl, match, watch matches, probe peers and store evidence", run: runHunt},
		{name: "peers", summary: "list observed peers with their evidence level", run: runPeers},
		{name: "report", summary: "write letters, CSV/JSON exports and a verifiable evidence bundle", run: runReport},
		{name: "serve", summary: "serve the web dashboard, API and metrics over a store no hunt is running on", run: runServe},
		{name: "verify", summary: "check the evidence log of a store, or a report bundle, offline", run: runVerify},
		{name: "store", summary: "move a case between stores (bbolt and PostgreSQL)", subs: []command{
			{name: "copy", aliases: []string{"cp"}, summary: "copy a case FROM a store TO another, every log record and checkpoint byte for byte", run: runStoreCopy},
		}},
		{name: "key", summary: "print the fingerprint of the store's signing key, to publish", run: runKey},
		{name: "demo", summary: "hunt a local swarm on loopback and write a report: the whole job, offline", run: runDemo},
		{name: "validate", summary: "run the method against hosts of known behaviour on loopback and write a signed validation report", run: runValidate},
		{name: "version", summary: "print leakhunt's version, its Go version and its BitTorrent library's version", run: runVersion},
	}
}

// run runs leakhunt with args (without the program name), printing
// results on stdout and messages on stderr, and returns what decides the
// exit code (see exitCode). It prints every error itself.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	err := e.dispatch(ctx, args)
	switch {
	case errors.Is(err, errHelp):
		return nil
	case err != nil && ctx.Err() != nil:
		err = errInterrupted
	}
	if err != nil && !said(err) {
		e.printf("%v", err)
	}
	return err
}

func (e *env) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		printUsage(e.stderr, "", commands())
		return usagef("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return e.help(ctx, args[1:])
	}
	c, ok := find(commands(), args[0])
	if !ok {
		return usagef("unknown command %q: run 'leakhunt help'", args[0])
	}
	return c.call(ctx, e, "", args[1:])
}

// call runs c, or for a group the subcommand args name.
func (c command) call(ctx context.Context, e *env, parent string, args []string) error {
	name := join(parent, c.name)
	if c.subs == nil {
		return c.run(ctx, e, args)
	}
	if len(args) == 0 {
		printUsage(e.stderr, name, c.subs)
		return usagef("%s: want a subcommand: %s", name, names(c.subs))
	}
	if isHelp(args[0]) {
		printUsage(e.stderr, name, c.subs)
		return errHelp
	}
	s, ok := find(c.subs, args[0])
	if !ok {
		return usagef("%s: unknown subcommand %q: want %s", name, args[0], names(c.subs))
	}
	return s.call(ctx, e, name, args[1:])
}

// help prints leakhunt's usage, or with a command (and subcommand) what
// that command's -h prints, on stdout.
func (e *env) help(ctx context.Context, args []string) error {
	if len(args) == 0 {
		printUsage(e.stdout, "", commands())
		return nil
	}
	cmds, group := commands(), ""
	for i, a := range args {
		c, ok := find(cmds, a)
		if !ok {
			return usagef("help: %q is not a command: run '%s'", join(group, a), join("leakhunt help", group))
		}
		rest := args[i+1:]
		if c.subs == nil && len(rest) > 0 {
			return usagef("help: %s has no subcommands", join(group, c.name))
		}
		if c.subs == nil || len(rest) == 0 {
			// Every command prints its usage for -h before it does anything.
			return c.call(ctx, &env{stdout: e.stdout, stderr: e.stdout}, group, []string{"-h"})
		}
		cmds, group = c.subs, join(group, c.name)
	}
	return nil
}

// join joins the words of a command line.
func join(a, b string) string { return strings.TrimSpace(a + " " + b) }

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func find(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
		for _, a := range c.aliases {
			if a == name {
				return c, true
			}
		}
	}
	return command{}, false
}

func names(cmds []command) string {
	var ns []string
	for _, c := range cmds {
		ns = append(ns, c.name)
	}
	return strings.Join(ns, ", ")
}

// printUsage lists cmds, the commands of leakhunt or of the group name.
func printUsage(w io.Writer, group string, cmds []command) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags] [args]\n\ncommands:\n", join("leakhunt", group))
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND -h' or '%s COMMAND' for a command's flags.\n", join("leakhunt", group), join("leakhunt help", group))
}
