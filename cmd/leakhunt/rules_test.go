package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// leaves lists every command that runs (not a group), as its words.
func leaves(cmds []command, parent []string) [][]string {
	var out [][]string
	for _, c := range cmds {
		words := append(append([]string{}, parent...), c.name)
		if c.subs != nil {
			out = append(out, leaves(c.subs, words)...)
			continue
		}
		out = append(out, words)
	}
	return out
}

// TestHelpForEveryCommand: 'COMMAND -h' prints the usage on stderr and
// 'help COMMAND' on stdout, for every command, subcommand and group, and
// both succeed.
func TestHelpForEveryCommand(t *testing.T) {
	all := leaves(commands(), nil)
	all = append(all, []string{"catalog"}, []string{"crawl"})
	for _, words := range all {
		name := strings.Join(words, " ")
		want := "usage: leakhunt " + name
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := cli(t, append(words, "-h")...)
			if code != 0 || stdout != "" || !strings.Contains(stderr, want) {
				t.Errorf("%s -h: exit %d, stdout %q, stderr %q; want exit 0 and %q on stderr", name, code, stdout, stderr, want)
			}
			stdout, stderr, code = cli(t, append([]string{"help"}, words...)...)
			if code != 0 || stderr != "" || !strings.Contains(stdout, want) {
				t.Errorf("help %s: exit %d, stdout %q, stderr %q; want exit 0 and %q on stdout", name, code, stdout, stderr, want)
			}
		})
	}
	for _, group := range []string{"catalog", "crawl"} {
		c, _ := find(commands(), group)
		_, stderr, _ := cli(t, group, "-h")
		for _, s := range c.subs {
			if !strings.Contains(stderr, "  "+s.name) {
				t.Errorf("%s -h does not list %s:\n%s", group, s.name, stderr)
			}
		}
	}
}

// TestCLIRules: one way of reporting errors, exit codes from one place,
// flags before arguments.
func TestCLIRules(t *testing.T) {
	dir := t.TempDir()
	tor := filepath.Join(dir, "x.torrent")
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"flag after an argument", []string{"match", "--db", filepath.Join(dir, "x.db"), tor, "--json"}, 2,
			`leakhunt: flags go before arguments: --json comes after "` + tor + `"`},
		{"flag after arguments of fingerprint", []string{"fingerprint", "a", "b", "-json"}, 2, "flags go before arguments: -json"},
		{"-- ends the flags", []string{"fingerprint", "--", "-not-a-flag"}, 2, "leakhunt: -not-a-flag: stat -not-a-flag: no such file"},
		{"bad flag, said once", []string{"fingerprint", "--bogus"}, 2, "usage: leakhunt fingerprint"},
		{"no command", nil, 2, "leakhunt: no command given"},
		{"catalog without a subcommand", []string{"catalog"}, 2, "leakhunt: catalog: want a subcommand: add, list, rm"},
		{"unknown subcommand", []string{"crawl", "tracker"}, 2, `leakhunt: crawl: unknown subcommand "tracker": want dht, web`},
		{"help for no command", []string{"help", "nope"}, 2, `leakhunt: help: "nope" is not a command: run 'leakhunt help'`},
		{"help for no subcommand", []string{"help", "catalog", "nope"}, 2, `leakhunt: help: "catalog nope" is not a command: run 'leakhunt help catalog'`},
		{"help below a command", []string{"help", "match", "x"}, 2, "leakhunt: help: match has no subcommands"},
		{"alias", []string{"catalog", "ls", "--db", filepath.Join(dir, "none.db")}, 2, "no store there"},
		{"hostile text in a message", []string{"fingerprint", "\u202egpj.exe\x1b[2J"}, 2, `leakhunt: \u202egpj.exe\u001b[2J: stat`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("leakhunt %q: exit %d, stderr:\n%s\nwant exit %d and %q", tt.args, code, stderr, tt.code, tt.want)
			}
			// Every message that is not a usage is printed once, prefixed.
			last := strings.TrimSpace(stderr[strings.LastIndex(strings.TrimSpace(stderr), "\n")+1:])
			if !strings.HasPrefix(last, "leakhunt: ") || strings.Count(stderr, last) != 1 {
				t.Errorf("leakhunt %q: stderr does not end with one message prefixed 'leakhunt: ':\n%s", tt.args, stderr)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errNothingFound, 1},
		{errTampered, 1},
		{usagef("x"), 2},
		{errReported, 2},
		{context.DeadlineExceeded, 2},
		{errInterrupted, 130},
	} {
		t.Run(strings.TrimSpace(" "+func() string {
			if tt.err == nil {
				return "nil"
			}
			return tt.err.Error()
		}()), func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// TestInterrupted: a command stopped by its context (Ctrl-C) exits 130 and
// says so once.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"fingerprint", leaksDir(t)}, &stdout, &stderr)
	if code := exitCode(err); code != 130 || stderr.String() != "leakhunt: interrupted\n" {
		t.Errorf("exit %d, stderr %q; want 130 and one line", code, stderr.String())
	}
}

func TestVersion(t *testing.T) {
	stdout, stderr, code := cli(t, "version")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || stderr != "" || len(lines) != 3 || !strings.HasPrefix(lines[0], "leakhunt ") ||
		!strings.HasPrefix(lines[1], "go1.") || !strings.HasPrefix(lines[2], "github.com/anacrolix/torrent v") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
