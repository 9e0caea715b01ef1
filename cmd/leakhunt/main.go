package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	alog "github.com/anacrolix/log"
)

func main() {
	// anacrolix's libraries log through a package-level default; leakhunt
	// reports through its own logger, so silence theirs before any use.
	alog.Default.SetHandlers(alog.DiscardHandler)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(ctx, err) // before stop, which cancels ctx
	stop()
	if err != nil && !errors.Is(err, errNothingFound) && !errors.Is(err, errReported) && !errors.Is(err, errTampered) {
		fmt.Fprintln(os.Stderr, "leakhunt:", err)
	}
	os.Exit(code)
}

var (
	// errNothingFound makes the exit code 1 where a command says so.
	errNothingFound = errors.New("nothing found")
	// errReported means the command already printed its errors (exit 2).
	errReported = errors.New("errors reported")
	// errTampered makes verify exit 1.
	errTampered = errors.New("verification failed")
)

// usageError is an error in how leakhunt was called (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func exitCode(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return 130
	case errors.Is(err, errNothingFound), errors.Is(err, errTampered):
		return 1
	}
	return 2
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand gets: streams and global settings.
type env struct {
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"fingerprint", "hash files (MD5, SHA-1, SHA-256, ed2k, TTH, BitTorrent v2 root) without storing them", runFingerprint},
		{"catalog", "add, list or remove the leaked documents to hunt for", runCatalog},
		{"match", "check .torrent files, magnet and ed2k links against the catalog", runMatch},
		{"crawl", "run sources only (dht, web), storing infohashes, metadata and matches", runCrawl},
		{"watch", "harvest and probe the peers of one torrent", runWatch},
		{"hunt", "crawl, match, watch matches, probe peers and store evidence", runHunt},
		{"peers", "list observed peers with their evidence level", runPeers},
		{"report", "write letters, CSV/JSON exports and a verifiable evidence bundle", runReport},
		{"verify", "check the evidence log of a store, or a report bundle, offline", runVerify},
		{"key", "print the fingerprint of the store's signing key, to publish", runKey},
		{"demo", "hunt a local swarm on loopback and write a report: the whole job, offline", runDemo},
		{"validate", "run the method against hosts of known behaviour on loopback and write a signed validation report", runValidate},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			printUsage(stderr)
			return usagef("no command given")
		}
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if errors.Is(err, errHelp) {
				return nil
			}
			return err
		}
	}
	return usagef("unknown command %q: run 'leakhunt help'", args[0])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: leakhunt COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'leakhunt COMMAND -h' for a command's flags.")
}
