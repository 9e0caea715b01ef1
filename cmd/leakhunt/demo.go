package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/demo"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "demo", "[--out DIR]\n\nStarts a swarm on loopback sharing synthetic leaks, decoys, an honest seeder, a lying\npeer and an address with nothing behind it; hunts it with the real pipeline; writes a report.")
	out := fl.String("out", "./leakhunt-demo", "output `directory`: new, empty, or one an earlier demo wrote (whose store, documents and report are replaced); any other is refused")
	timeout := fl.Duration("timeout", 90*time.Second, "give up after this `long`")
	lang := fl.String("lang", "en", "letter language: en or ja")
	if err := parse(fl, args); err != nil {
		return err
	}
	res, err := huntScenario(ctx, e, c, *out, *timeout, *lang)
	if err != nil {
		return err
	}
	if len(res.wrong) > 0 {
		return fmt.Errorf("demo found wrong evidence: %s", strings.Join(res.wrong, "; "))
	}
	if len(res.missing) > 0 {
		return fmt.Errorf("demo did not find everything within %s: missing %s", *timeout, strings.Join(res.missing, "; "))
	}
	return nil
}

type demoResult struct {
	storePath       string
	reportDir       string
	missing, wrong  []string
	scenarioTorrent []demo.Torrent
}

// huntScenario runs the demo into out and returns what it found against what it
// should have found. It stops as soon as everything was found.
func huntScenario(ctx context.Context, e *env, c *common, out string, timeout time.Duration, lang string) (*demoResult, error) {
	log := c.logger(e)
	if err := claimDemoDir(out); err != nil {
		return nil, err
	}
	e.printf("demo: starting a swarm on 127.0.0.1 (24 DHT nodes, 6 torrents, honest seeders, a lying peer, an empty address)")
	sc, err := demo.Start(ctx)
	if err != nil {
		return nil, err
	}
	defer sc.Close()

	// The client's leaked files: catalogue them.
	storePath := filepath.Join(out, "leakhunt.db")
	s, err := store.Open(storePath, nil)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	docDir := filepath.Join(out, "documents")
	n, err := catalogueAll(s, docDir, "demo", sc.Documents)
	if err != nil {
		return nil, err
	}
	e.printf("demo: catalogued %d synthetic leaked documents in %s", n, docDir)

	// Hunt it with the real pipeline: our DHT node samples the swarm, fetches
	// metadata, matches, and probes the peers of every match.
	res := &demoResult{storePath: storePath, scenarioTorrent: sc.Torrents}
	err = huntLocal(ctx, e, c, s, localHunt{bootstrap: sc.Bootstrap(), timeout: timeout, contractor: demoContractor}, func() (bool, error) {
		missing, wrong, err := sc.Check(s)
		res.missing, res.wrong = missing, wrong
		return len(missing) == 0, err
	})
	if err != nil {
		return nil, err
	}
	if res.missing, res.wrong, err = sc.Check(s); err != nil {
		return nil, err
	}
	if err := printFindings(e, s, sc); err != nil {
		return nil, err
	}

	// The report: letters, exports and a bundle anyone can verify.
	kf := keyFlags{contractor: demoContractor}
	keys, err := kf.keys(s, "")
	if err != nil {
		return nil, err
	}
	opt := report.DefaultOptions()
	opt.OutDir = filepath.Join(out, "report")
	opt.Lang = lang
	opt.Version = version.String()
	opt.Logger = log
	opt.Config = report.FileConfig{
		Contractor: report.Identity{Name: demoContractor, Address: "1-2-3 Example, Chiyoda-ku, Tokyo (fictitious)", Email: "takedown@example.invalid",
			Signatory: "Demo Signatory (fictitious)"},
		Client:            "Example Juku Co. (fictitious)",
		CaseReference:     "DEMO-2026-001",
		Right:             "privacy",
		Reason:            "The synthetic documents hold fictitious personal data; in a real case, say here why their distribution infringes the right.",
		DisclosureReasons: []string{"damages"},
	}
	sum, err := report.Generate(ctx, s, keys, opt)
	if err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	res.reportDir = sum.Dir
	fmt.Fprintf(e.stdout, "\nreport: %s (peers named: %d, letters: %d; records covered by the signed checkpoint: %d)\n", sum.Dir, sum.Peers, sum.Letters, sum.Records)
	fmt.Fprintf(e.stdout, "check it offline: leakhunt verify %s\n", sum.Dir)
	return res, nil
}

// catalogueAll writes docs into dir and catalogues each under caseName,
// in name order. It returns how many were catalogued.
func catalogueAll(s *store.Store, dir, caseName string, docs map[string][]byte) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, docs[n], 0o644); err != nil {
			return 0, err
		}
		fp, err := fingerprint.File(p, nil)
		if err != nil {
			return 0, err
		}
		if _, _, err := s.AddDocument(store.Document{Case: caseName, Name: n, Fingerprint: fp}, p); err != nil {
			return 0, err
		}
	}
	return len(names), nil
}

// localHunt is what a hunt of a local swarm needs besides the store.
type localHunt struct {
	bootstrap  []string
	web        []string      // pages to crawl (on loopback)
	timeout    time.Duration // give up after
	claimWait  time.Duration // 0: the prober's default
	contractor string        // names a signing key made for the store
}

// huntLocal hunts a local swarm with the real pipeline (our DHT node
// samples it, fetches metadata, matches, probes the peers of every match)
// until done reports true, done fails, or the timeout; then it signs a
// final checkpoint. done runs every half second.
func huntLocal(ctx context.Context, e *env, c *common, s *store.Store, lh localHunt, done func() (bool, error)) error {
	log := c.logger(e)
	rec, err := hunt.NewRecorder(s)
	if err != nil {
		return err
	}
	opt := hunt.DefaultOptions()
	opt.Listen, opt.Bootstrap, opt.AllowLocal, opt.DHTRate, opt.Predict = "127.0.0.1:0", lh.bootstrap, true, 2000, false
	opt.Web, opt.MaxPages = lh.web, 5
	opt.Fetches, opt.Probes, opt.ProbeInterval, opt.ClaimWait = 16, 8, 4*time.Second, lh.claimWait
	opt.CheckpointInterval = 10 * time.Second
	opt.Logger = log
	kf := keyFlags{contractor: lh.contractor}
	if opt.Keys, err = kf.keys(s, ""); err != nil {
		return err
	}
	p, err := hunt.Assemble(s, rec, opt)
	if err != nil {
		return err
	}
	defer p.Close()
	hctx, cancel := context.WithTimeout(ctx, lh.timeout)
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- p.Run(hctx) }()
	stop := liveView(hctx, e, c, 10*time.Second, p.Status)
	t := time.NewTicker(500 * time.Millisecond)
	var checkErr error
wait:
	for {
		select {
		case <-hctx.Done():
			break wait
		case <-t.C:
			ok, err := done()
			if err != nil || ok {
				checkErr = err
				break wait
			}
		}
	}
	t.Stop()
	cancel()
	runErr := <-runDone
	stop()
	if checkErr != nil {
		return checkErr
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return runErr
	}
	return ctx.Err()
}

// demoContractor is the fictitious sender of the demo's letters.
const demoContractor = "Demo Leak Response Ltd. (fictitious)"

// demoMarker is the file that marks a directory as the demo's own.
const demoMarker = ".leakhunt-demo"

// demoFiles are the names the demo writes in its directory.
var demoFiles = []string{demoMarker, "leakhunt.db", "leakhunt.db.key", "leakhunt.db.pub", "leakhunt.db.docs", "documents", "report", "report.zip"}

// claimDemoDir makes out the demo's directory: a new or empty one is
// marked as the demo's; one an earlier demo wrote (marked, holding only
// the demo's names) is cleared of them; anything else is refused, so that
// a case folder's store, catalogue and key are never replaced.
func claimDemoDir(out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0):
		if err := os.MkdirAll(out, 0o700); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, demoMarker), []byte("written by 'leakhunt demo'; it replaces what it wrote here\n"), 0o600)
	case err != nil:
		return usagef("demo: --out %s: %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(out, demoMarker)); err != nil {
		return usagef("demo: --out %s holds files the demo did not write: choose a new or empty directory", out)
	}
	for _, en := range entries {
		if !slices.Contains(demoFiles, en.Name()) {
			return usagef("demo: --out %s holds %s, which the demo did not write: choose a new or empty directory", out, en.Name())
		}
	}
	for _, name := range demoFiles[1:] {
		if err := os.RemoveAll(filepath.Join(out, name)); err != nil {
			return err
		}
	}
	return nil
}

// printFindings prints each torrent of the scenario with its verdict and
// peers by level.
func printFindings(e *env, s *store.Store, sc *demo.Scenario) error {
	fmt.Fprintln(e.stdout, "What the hunt found:")
	for _, t := range sc.Torrents {
		ms, err := s.MatchesFor(t.InfoHash)
		if err != nil {
			return err
		}
		verdict := "no match"
		for _, m := range ms {
			if m.Verdict == fingerprint.VerdictProven {
				verdict = fmt.Sprintf("PROVEN: carries %s (%s, %d/%d pieces)", m.DocumentName, m.Method, m.PiecesMatched, m.PiecesChecked)
			}
		}
		fmt.Fprintf(e.stdout, "\n%s  %q (%s)\n  %s\n", t.InfoHash, t.Name, t.Role, verdict)
		peers, err := s.PeersOf(t.InfoHash)
		if err != nil {
			return err
		}
		if len(peers) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		for _, p := range peers {
			what := levelMeaning[p.Level]
			if len(p.PiecesFailed) > 0 {
				what += fmt.Sprintf("; %s FAILED verification", report.PieceList("en", p.PiecesFailed, 8))
			}
			if len(p.PiecesVerified) > 0 {
				what += fmt.Sprintf("; %s verified", report.PieceList("en", p.PiecesVerified, 8))
			}
			fmt.Fprintf(tw, "  L%d\t%s:%d\t%s\t%s\n", p.Level, p.IP, p.Port, display.String(p.Client, maxCell), what)
		}
		tw.Flush()
	}
	return nil
}

var levelMeaning = [6]string{
	"listed",
	"announced only (DHT/tracker/PEX listing, not proof)",
	"connected: handshake completed",
	"claims pieces of the document",
	"served: verified pieces from it alone hold min(document size, piece length) bytes of the document, compared byte for byte",
	"served the whole document, verified",
}
