package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/store"
)

const matchesUsage = "[--json] [--leads=false]\n\n" +
	"Lists the stored matches: proven ones first, then leads (same size and a similar name, or too\n" +
	"small to compare a whole piece: not evidence), each with where its torrent or link was seen\n" +
	"(page URL, feed, Torznab, DHT sample, file, link) and what its trackers last claimed about the\n" +
	"swarm (tracker claims, not observations of any host). Works while a hunt runs on the store."

func runMatches(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "matches", matchesUsage)
	asJSON := fl.Bool("json", false, "print one JSON object per match")
	leads := fl.Bool("leads", true, "list leads too (after the proven matches)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("matches: unexpected argument %q", fl.Arg(0))
	}
	h, err := c.openOrDial(ctx, false)
	if err != nil {
		return err
	}
	defer h.Close()
	var rows []dashboard.MatchRow
	if h.cl != nil {
		if rows, err = h.cl.Matches(ctx); err != nil {
			return remoteErr("matches", err)
		}
	} else if rows, err = dashboard.Matches(h.s); err != nil {
		return err
	}
	if !*leads {
		kept := rows[:0]
		for _, r := range rows {
			if r.Verdict != fingerprint.VerdictLead {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	if *asJSON {
		return printJSONLines(e, rows)
	}
	if len(rows) == 0 {
		e.printf("no matches in %s", store.DisplayName(c.db))
		return nil
	}
	printMatchRows(e.stdout, rows)
	return nil
}

// printMatchRows writes matches for people: a line per match, then where
// it was seen and what trackers claim, indented. Leads come under their
// own heading.
func printMatchRows(w io.Writer, rows []dashboard.MatchRow) {
	inLeads := false
	for _, r := range rows {
		if r.Verdict == fingerprint.VerdictLead && !inLeads {
			inLeads = true
			fmt.Fprintln(w, "\nleads (not evidence: same size and a similar name, or no whole piece to compare):")
		}
		ih := "-"
		if !r.InfoHash.IsZero() {
			ih = r.InfoHash.String()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Verdict, ih, display.String(r.TorrentName, maxCell), matchProof(r))
		fmt.Fprintf(w, "  file %q = document %s (%s)\n", display.String(r.File, maxCell), short(r.Document), display.String(r.DocumentName, maxCell))
		for _, s := range r.Seen {
			line := "  seen: " + s.Source
			if s.URL != "" {
				line += " " + display.String(s.URL, display.NoLimit)
			}
			if s.Name != "" {
				line += fmt.Sprintf(" %q", display.String(s.Name, maxCell))
			}
			if s.Link != "" {
				line += " " + display.String(s.Link, display.NoLimit)
			}
			if !s.Time.IsZero() {
				line += " at " + s.Time.UTC().Format(time.RFC3339)
			}
			fmt.Fprintln(w, line)
		}
		for _, tc := range r.TrackerClaims {
			if tc.Error != "" {
				fmt.Fprintf(w, "  tracker %s answered an error at %s: %s\n", display.String(tc.Tracker, maxCell), tc.Time.UTC().Format(time.RFC3339), display.String(tc.Error, maxCell))
				continue
			}
			fmt.Fprintf(w, "  tracker %s claimed %d seeder(s), %d leecher(s), %d completed at %s (its claim, not an observation)\n",
				display.String(tc.Tracker, maxCell), tc.Seeders, tc.Leechers, tc.Completed, tc.Time.UTC().Format(time.RFC3339))
		}
	}
}

// matchProof says how a match was made: the method and, for piece
// comparisons, how many pieces were compared.
func matchProof(r dashboard.MatchRow) string {
	switch {
	case r.PiecesChecked > 0:
		return fmt.Sprintf("%s, %d/%d pieces equal", r.Method, r.PiecesMatched, r.PiecesChecked)
	case r.Method == fingerprint.MethodNameSize:
		return r.Method + ": same size and a similar name, nothing compared"
	}
	return r.Method
}

// short is the first 16 hex digits of a hash.
func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// printCrawlFindings says on stdout what a crawl found: how many links and
// infohashes each source saw, the torrents fetched, and each match
// recorded since start with where it was seen.
func printCrawlFindings(e *env, s *store.Store, st hunt.Stats, start time.Time) error {
	rows, err := dashboard.Matches(s)
	if err != nil {
		return err
	}
	found := rows[:0]
	for _, r := range rows {
		if !r.Time.Before(start) {
			found = append(found, r)
		}
	}
	var seen []string
	for _, src := range slices.Sorted(maps.Keys(st.SightingsBySource)) {
		seen = append(seen, fmt.Sprintf("%s %d", src, st.SightingsBySource[src]))
	}
	fmt.Fprintf(e.stdout, "seen: %d link(s) and infohash(es) (%s); %d new infohash(es); metadata fetched for %d, failed for %d\n",
		st.Sightings, strings.Join(seen, ", "), st.NewInfohashes, st.MetadataOK, st.MetadataFail)
	proven := 0
	for _, r := range found {
		if r.Verdict == fingerprint.VerdictProven {
			proven++
		}
	}
	fmt.Fprintf(e.stdout, "matches recorded: %d (%d proven, %d lead(s) or inconsistent)\n", len(found), proven, len(found)-proven)
	if len(found) > 0 {
		fmt.Fprintln(e.stdout)
		printMatchRows(e.stdout, found)
	}
	return nil
}
