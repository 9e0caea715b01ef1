package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

const reportUsage = "--out DIR [--kind takedown|disclosure] [--lang en|ja] [--min-level L4] [--max-clock-error 1s] [--require-clock]\n" +
	"       [--asn-db FILE] [--zip] [--config FILE] [--templates DIR] [--contacts FILE] [--rdap-base URL | --no-rdap] [--new-key]\n\n" +
	"Checks the store's evidence log and every earlier checkpoint first and refuses (exit 1, naming what\n" +
	"failed) when anything does not verify; then signs a checkpoint and writes letters per ISP, an annex\n" +
	"per peer, peers.csv, evidence.json and a bundle that 'leakhunt verify' checks offline."

func runReport(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "report", reportUsage)
	rf := newReportFlags(fl)
	usage := fl.Usage
	fl.Usage = func() {
		usage()
		fmt.Fprintln(fl.Output(), "\nconfiguration file (--config), a JSON object; letters print \"[… not configured]\" for a missing field:")
		for _, k := range report.ConfigKeys() {
			fmt.Fprintf(fl.Output(), "  %-20s %s\n", k.Key, k.Meaning)
		}
	}
	if err := parse(fl, args); err != nil {
		return err
	}
	opt, set, err := rf.options(fl)
	if err != nil {
		return err
	}
	opt.Logger = c.logger(e)
	if cl, err := holder(ctx, c.db); err != nil || cl != nil {
		if err != nil {
			return err
		}
		defer cl.Close()
		if rf.kf.newKey {
			return usagef("report: --new-key: leakhunt %s (pid %d) holds %s with its key; stop it to change keys", cl.Hello.Mode, cl.Hello.PID, store.DisplayName(c.db))
		}
		req := dashboard.ReportRequest{Out: opt.OutDir, Lang: opt.Lang, Kind: opt.Kind, MinLevel: opt.MinLevel,
			MaxClockError: opt.MaxClockError, RequireClock: opt.RequireClock, Zip: opt.Zip, Settings: set}
		return reportThrough(ctx, e, cl, req)
	}
	return reportLocal(ctx, e, c, rf.kf, opt, set)
}

// reportFlags are report's own flags.
type reportFlags struct {
	out, asnDB, lang, kind, minLevel, configPath, templates, contacts, rdapBase *string
	maxClock                                                                    *time.Duration
	requireClock, zip, noRDAP                                                   *bool
	kf                                                                          keyFlags
}

func newReportFlags(fl *flag.FlagSet) *reportFlags {
	f := &reportFlags{
		out:          fl.String("out", "", "write the report bundle to this new `dir`"),
		asnDB:        fl.String("asn-db", "", "MaxMind-format ASN database `file` (GeoLite2-ASN, DB-IP ASN Lite, IPinfo ASN)"),
		lang:         fl.String("lang", "en", "letter and annex language: en or ja"),
		kind:         fl.String("kind", report.KindTakedown, "letter `kind`: takedown (ask the ISP to stop the distribution) or disclosure (ask for the subscriber's identity)"),
		minLevel:     fl.String("min-level", "L4", "lowest evidence `level` named in letters (L2–L5)"),
		maxClock:     fl.Duration("max-clock-error", time.Second, "largest error bound of a communication's `time` (|offset| + round trip/2 + root distance); rows beyond it, or never measured, are marked"),
		requireClock: fl.Bool("require-clock", false, "leave the rows beyond --max-clock-error out of letters (and hosts left without a row)"),
		zip:          fl.Bool("zip", false, "also write DIR.zip"),
		configPath:   fl.String("config", "", "JSON `file` with the keys listed below"),
		templates:    fl.String("templates", "", "`dir` with letter.LANG.tmpl (takedown) / disclosure.LANG.tmpl replacing the built-in letters"),
		contacts:     fl.String("contacts", "", "abuse-contact override `file` (JSON or KEY<TAB>EMAIL<TAB>NAME lines)"),
		rdapBase:     fl.String("rdap-base", "", "send every RDAP look-up to this `url` instead of the server IANA's bootstrap names"),
		noRDAP:       fl.Bool("no-rdap", false, "no RDAP look-ups (abuse contacts only from --contacts)"),
	}
	fl.BoolVar(&f.kf.newKey, "new-key", false, "start a new signing key when the store's key file is lost, or switch to the key file now beside it (recorded in the log)")
	return f
}

// options checks the parsed flags and turns them into report options and
// the files a report is made with.
func (f *reportFlags) options(fl *flag.FlagSet) (report.Options, report.Settings, error) {
	opt := report.DefaultOptions()
	switch {
	case fl.NArg() > 0:
		return opt, report.Settings{}, usagef("report: unexpected argument %q", fl.Arg(0))
	case *f.out == "":
		fl.Usage()
		return opt, report.Settings{}, usagef("report: give the output directory with --out DIR")
	case *f.lang != "en" && *f.lang != "ja":
		return opt, report.Settings{}, usagef("report: --lang %q: want en or ja", *f.lang)
	case *f.kind != report.KindTakedown && *f.kind != report.KindDisclosure:
		return opt, report.Settings{}, usagef("report: --kind %q: want takedown or disclosure", *f.kind)
	case *f.maxClock <= 0:
		return opt, report.Settings{}, usagef("report: --max-clock-error %v: want a positive duration", *f.maxClock)
	}
	lvl, err := parseLevel(*f.minLevel)
	if err != nil {
		return opt, report.Settings{}, err
	}
	if lvl < evidence.L2Connected {
		return opt, report.Settings{}, usagef("report: --min-level L%d: L0 and L1 never go in a letter; use L2 or above (L4 recommended)", lvl)
	}
	opt.OutDir, opt.Lang, opt.MinLevel, opt.Zip, opt.Kind = *f.out, *f.lang, lvl, *f.zip, *f.kind
	opt.MaxClockError, opt.RequireClock = *f.maxClock, *f.requireClock
	opt.Version = version.String()
	set := report.Settings{Config: *f.configPath, ASNDB: *f.asnDB, Templates: *f.templates, Contacts: *f.contacts, RDAPBase: *f.rdapBase, NoRDAP: *f.noRDAP}
	return opt, set, nil
}

// reportLocal makes a report from the store itself, when no running
// leakhunt holds it.
func reportLocal(ctx context.Context, e *env, c *common, kf keyFlags, opt report.Options, set report.Settings) error {
	closeSettings, err := set.Open(&opt)
	if err != nil {
		return usagef("report: %v", err)
	}
	defer closeSettings()
	if opt.ASN == nil {
		e.printf("no --asn-db: hosts are grouped by abuse contact only; get GeoLite2-ASN or DB-IP ASN Lite for ISP names")
	}
	s, err := c.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	set.UseRDAP(&opt, s.KV("rdap:"), opt.Logger)
	keys, err := kf.keys(s, opt.Config.Contractor.Name)
	if err != nil {
		return err
	}
	if n, err := s.LogSize(); err == nil && n > 0 {
		if bar := c.bar(e, n, "verifying and reading the evidence log", false); bar != nil {
			opt.OnProgress = func(done, _ int64) { bar.Set64(done) }
			defer bar.Finish()
		}
	}
	sum, err := report.Generate(ctx, s, keys, opt)
	var sp *report.StoreProblems
	if errors.As(err, &sp) {
		for _, p := range sp.Problems {
			e.printf("FAIL %s", p)
		}
		e.printf("%s: the store's evidence log fails verification (%d problem(s) above): no checkpoint was signed and no report written", store.DisplayName(c.db), len(sp.Problems))
		return errTampered
	}
	if errors.Is(err, report.ErrNoPeers) {
		e.printf("no peer at L%d or above: the bundle in %s has no letters", opt.MinLevel, opt.OutDir)
		err = nil
	}
	if err != nil {
		return err
	}
	printReportSummary(e, sum, opt.MaxClockError)
	return nil
}

// printReportSummary says what a report wrote: results on stdout, what
// the user may want to fix on stderr.
func printReportSummary(e *env, sum *report.Summary, maxClock time.Duration) {
	fmt.Fprintf(e.stdout, "wrote %s: %d letter(s), %d peer(s), %d communication(s) listed, %d record(s) with proofs; checkpoint covers %d record(s); key %s\n",
		sum.Dir, sum.Letters, sum.Peers, sum.Rows, sum.BundledRecords, sum.Records, sum.KeyFingerprint)
	for _, sec := range sum.Sensors {
		fmt.Fprintf(e.stdout, "  with sensor %s: %d record(s) with proofs against its own signed checkpoint\n", shown(sec.Name), sec.Records)
	}
	if sum.ClockMarked > 0 {
		e.printf("%d communication(s) are marked in the letters: their time's error bound is over %s or was never measured (--require-clock leaves them out)", sum.ClockMarked, maxClock)
	}
	if len(sum.Unconfigured) > 0 {
		e.warnf("the letters print \"[… not configured]\" for: %s; set them in --config (see 'leakhunt report -h')", strings.Join(sum.Unconfigured, ", "))
	}
	if sum.ContactsUnknown > 0 {
		e.warnf("%d letter(s) have no abuse contact: add them with --contacts", sum.ContactsUnknown)
	}
	if sum.Zip != "" {
		fmt.Fprintf(e.stdout, "wrote %s\n", sum.Zip)
	}
}
