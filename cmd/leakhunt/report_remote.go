package main

import (
	"context"
	"path/filepath"

	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/report"
)

// reportThrough has the running leakhunt that holds the store make the
// report into req.Out with the user's files, and says what it wrote and
// what `verify` found in it.
func reportThrough(ctx context.Context, e *env, cl *dashboard.Client, req dashboard.ReportRequest) error {
	var err error
	if req.Out, err = filepath.Abs(req.Out); err != nil {
		return err
	}
	if req.Settings, err = absSettings(req.Settings); err != nil {
		return err
	}
	e.printf("leakhunt %s (pid %d) holds the store: it makes the report", cl.Hello.Mode, cl.Hello.PID)
	res, err := cl.Report(ctx, req)
	if err != nil {
		return remoteErr("report", err)
	}
	if len(res.StoreProblems) > 0 {
		for _, p := range res.StoreProblems {
			e.printf("FAIL %s", p)
		}
		e.printf("the store's evidence log fails verification (%d problem(s) above): no checkpoint was signed and no report written", len(res.StoreProblems))
		return errTampered
	}
	if res.ASNMissing {
		e.printf("no --asn-db: hosts are grouped by abuse contact only; get GeoLite2-ASN or DB-IP ASN Lite for ISP names")
	}
	if res.NoPeers {
		e.printf("no peer at %s or above: the bundle in %s has no letters", req.MinLevel, req.Out)
	}
	if res.Summary == nil {
		return nil
	}
	printReportSummary(e, res.Summary, req.MaxClockError)
	for _, p := range res.BundleProblems {
		e.printf("FAIL %s", p)
	}
	if !res.Verified {
		e.printf("%s: the bundle just written does not verify (%d problem(s) above)", req.Out, len(res.BundleProblems))
		return errTampered
	}
	return nil
}

// absSettings makes the settings' paths absolute: the process that reads
// them runs in another directory.
func absSettings(st report.Settings) (report.Settings, error) {
	for _, p := range []*string{&st.Config, &st.ASNDB, &st.Templates, &st.Contacts} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return st, err
		}
		*p = abs
	}
	return st, nil
}
