package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

const reportUsage = "--out DIR [--asn-db FILE] [--lang en|ja] [--min-level L4] [--zip] [--config FILE] [--templates DIR] [--contacts FILE] [--rdap-base URL | --no-rdap]"

func runReport(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "report", reportUsage)
	out := fl.String("out", "", "write the report bundle to this new `dir`")
	asnDB := fl.String("asn-db", "", "MaxMind-format ASN database `file` (GeoLite2-ASN, DB-IP ASN Lite, IPinfo ASN)")
	lang := fl.String("lang", "en", "letter language: en or ja")
	minLevel := fl.String("min-level", "L4", "lowest evidence `level` named in letters (L2–L5)")
	zip := fl.Bool("zip", false, "also write DIR.zip")
	configPath := fl.String("config", "", "JSON `file` with contractor, client and case reference")
	templates := fl.String("templates", "", "`dir` with letter.en.tmpl / letter.ja.tmpl replacing the built-in letters")
	contacts := fl.String("contacts", "", "abuse-contact override `file` (JSON or KEY<TAB>EMAIL<TAB>NAME lines)")
	rdapBase := fl.String("rdap-base", "", "send every RDAP look-up to this `url` instead of the server IANA's bootstrap names")
	noRDAP := fl.Bool("no-rdap", false, "no RDAP look-ups (abuse contacts only from --contacts)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("report: unexpected argument %q", fl.Arg(0))
	}
	if *out == "" {
		fl.Usage()
		return usagef("report: give the output directory with --out DIR")
	}
	if *lang != "en" && *lang != "ja" {
		return usagef("report: --lang %q: want en or ja", *lang)
	}
	lvl, err := parseLevel(*minLevel)
	if err != nil {
		return err
	}
	if lvl < store.L2Connected {
		return usagef("report: --min-level L%d: L0 and L1 never go in a letter; use L2 or above (L4 recommended)", lvl)
	}
	opt := report.DefaultOptions()
	opt.OutDir, opt.Lang, opt.MinLevel, opt.Zip = *out, *lang, lvl, *zip
	opt.Logger = c.logger(e)
	opt.Version = reportSoftwareVersion()
	if *configPath != "" {
		if opt.Config, err = report.LoadConfig(*configPath); err != nil {
			return usagef("report: %v", err)
		}
	}
	if *templates != "" {
		st, err := os.Stat(*templates)
		if err != nil || !st.IsDir() {
			return usagef("report: --templates %q is not a directory", *templates)
		}
		opt.Templates = os.DirFS(*templates)
	}
	dbs := []string{firstNonEmpty(*asnDB, opt.Config.ASNDB), opt.Config.CountryDB}
	if dbs[0] != "" || dbs[1] != "" {
		if opt.ASN, err = report.OpenASNDB(dbs...); err != nil {
			return usagef("report: %v", err)
		}
		defer opt.ASN.Close()
	} else {
		fmt.Fprintln(e.stderr, "leakhunt: no --asn-db: hosts are grouped by abuse contact only; get GeoLite2-ASN or DB-IP ASN Lite for ISP names")
	}
	resolver := &report.ContactResolver{}
	if p := firstNonEmpty(*contacts, opt.Config.Contacts); p != "" {
		if resolver.Overrides, err = report.LoadContacts(p); err != nil {
			return usagef("report: %v", err)
		}
	}
	s, err := c.open()
	if err != nil {
		return err
	}
	defer s.Close()
	if !*noRDAP {
		rc := report.DefaultRDAPConfig()
		rc.Base = firstNonEmpty(*rdapBase, opt.Config.RDAPBase)
		rc.Logger = opt.Logger
		resolver.RDAP = report.NewRDAP(rc, s)
	}
	opt.Contacts = resolver
	keys, err := evidence.LoadOrCreateKeys(c.db, "leakhunt")
	if err != nil {
		return err
	}
	if n, err := s.LogSize(); err == nil && n > 0 {
		if bar := c.bar(e, n, "reading the evidence log", false); bar != nil {
			opt.OnProgress = func(done, _ int64) { bar.Set64(done) }
			defer bar.Finish()
		}
	}
	sum, err := report.Generate(ctx, s, keys, opt)
	if errors.Is(err, report.ErrNoPeers) {
		fmt.Fprintf(e.stderr, "leakhunt: no peer at L%d or above: the bundle in %s has no letters\n", lvl, *out)
		err = nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d letter(s), %d peer(s), %d record(s) with proofs; checkpoint covers %d record(s)\n",
		sum.Dir, sum.Letters, sum.Peers, sum.BundledRecords, sum.Records)
	if sum.ContactsUnknown > 0 {
		fmt.Fprintf(e.stderr, "leakhunt: %d letter(s) have no abuse contact: add them with --contacts\n", sum.ContactsUnknown)
	}
	if sum.Zip != "" {
		fmt.Fprintf(e.stdout, "wrote %s\n", sum.Zip)
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// reportSoftwareVersion is the module version written in method texts.
func reportSoftwareVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "(development build)"
}
