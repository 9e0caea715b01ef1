package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/store"
)

// maxInputFile caps what match reads from one file (a .torrent or a text
// or HTML file of links).
const maxInputFile = 32 << 20

func runMatch(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "match", "[--json] INPUT...\n\nINPUT is a .torrent file, a directory of them, a magnet URI, an ed2k link,\nor a text or HTML file of links. Exit 0 if a document is proven to be in one, 1 if not.")
	asJSON := fl.Bool("json", false, "print one JSON object per match")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return usagef("match: give at least one input")
	}
	s, err := c.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	rec, err := hunt.NewRecorder(s)
	if err != nil {
		return err
	}
	var all []fingerprint.Match
	failed := false
	report := func(what string, ms []fingerprint.Match, err error) {
		if err != nil {
			e.printf("%s: %v", what, err)
			failed = true
		}
		all = append(all, ms...)
	}
	// A match is a result only once it is stored: a hunt, a watch and a
	// report rely on it.
	unstored := func() error {
		for _, m := range all {
			if m.InfoHash.IsZero() {
				continue
			}
			stored, err := s.MatchesFor(m.InfoHash)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(stored, func(x store.Match) bool {
				return x.Document == m.Document && x.File == m.File && x.Verdict == m.Verdict
			}) {
				return fmt.Errorf("the match of %s to %s was found but could not be stored: free disk space, then run match again", m.InfoHash, m.DocumentName)
			}
		}
		return nil
	}
	for _, in := range fl.Args() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if isLink(in) {
			l, err := fingerprint.ParseLink(in)
			if err != nil {
				report(shorten(in), nil, err)
				continue
			}
			ms, err := rec.Link(l, "arg")
			report(shorten(in), ms, err)
			continue
		}
		files, bad := expandPaths(e, []string{in})
		failed = failed || bad
		st, _ := os.Stat(in)
		for _, f := range files {
			if st != nil && st.IsDir() && !strings.HasSuffix(strings.ToLower(f), ".torrent") {
				continue // a directory is a directory of .torrent files
			}
			ms, err := matchFile(rec, f)
			report(f, ms, err)
		}
	}
	printMatches(e, all, *asJSON)
	if err := unstored(); err != nil {
		return err
	}
	for _, m := range all {
		if m.Verdict == fingerprint.VerdictProven {
			return nil
		}
	}
	if failed {
		return errReported
	}
	if !*asJSON {
		e.printf("no proven match")
	}
	return errNothingFound
}

func isLink(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "magnet:") || strings.HasPrefix(l, "ed2k:")
}

// matchFile matches a .torrent file, or every link in a text or HTML file.
func matchFile(rec *hunt.Recorder, path string) ([]fingerprint.Match, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInputFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInputFile {
		return nil, fmt.Errorf("larger than %d MiB: not a torrent or a list of links leakhunt reads", maxInputFile>>20)
	}
	// A bencoded dictionary is a torrent (ParseTorrentFile pre-checks it);
	// anything else, or a text file that merely starts with 'd', is read
	// for links.
	if len(b) > 0 && b[0] == 'd' {
		t, err := fingerprint.ParseTorrentFile(b)
		switch {
		case err == nil:
			return rec.Torrent(t, "file:"+filepath.Base(path))
		case strings.HasSuffix(strings.ToLower(path), ".torrent") || !errors.Is(err, fingerprint.ErrBencode):
			return nil, err
		}
	}
	var out []fingerprint.Match
	var errs []error
	for _, l := range fingerprint.ExtractLinks(b) {
		ms, err := rec.Link(l, "file:"+filepath.Base(path))
		out = append(out, ms...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

func printMatches(e *env, ms []fingerprint.Match, asJSON bool) {
	if asJSON {
		for _, m := range ms {
			if err := e.printJSON(m); err != nil {
				e.printf("%v", err)
			}
		}
		return
	}
	if len(ms) == 0 {
		return
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tMETHOD\tPIECES\tINFOHASH\tFILE\tDOCUMENT")
	for _, m := range ms {
		pieces := "-"
		if m.PiecesChecked > 0 {
			pieces = fmt.Sprintf("%d/%d", m.PiecesMatched, m.PiecesChecked)
		}
		ih := m.InfoHash.String()
		if ih == "" {
			ih = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Verdict, m.Method, pieces, ih, display.String(m.File, maxCell), display.String(m.DocumentName, maxCell))
	}
	tw.Flush()
	for _, m := range ms {
		if m.Verdict == fingerprint.VerdictProven && !m.ProvesTorrent() {
			fmt.Fprintln(e.stdout, "\nA link proven by its own ed2k, sha1 or tth hash names the document; it proves nothing about an\n"+
				"infohash in the same link, which is proven only by its own metadata (fetched by 'leakhunt watch' or 'hunt').")
			break
		}
	}
	for _, m := range ms {
		if m.Verdict == fingerprint.VerdictInconsistent {
			fmt.Fprintln(e.stdout, "\nAn inconsistent hybrid torrent's v1 and v2 hashes disagree about the document: it is recorded,\n"+
				"never probed, and never named in a letter.")
			break
		}
	}
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
