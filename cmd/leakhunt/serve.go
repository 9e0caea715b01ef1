package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/internal/version"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// dashFlags are the flags of the dashboard served by hunt and serve.
type dashFlags struct {
	http         string
	asnDB        string
	reportConfig string
}

func (d *dashFlags) register(fl *flag.FlagSet, defaultHTTP string) {
	fl.StringVar(&d.http, "http", defaultHTTP, "serve the web dashboard, the JSON API and /metrics on this `address` (loopback by default; any other address needs the access token kept beside the store)")
	fl.StringVar(&d.asnDB, "asn-db", "", "MaxMind-format ASN `database` for the dashboard's ISP, AS and country columns and its reports")
	fl.StringVar(&d.reportConfig, "report-config", "", "report configuration `file` (see 'leakhunt report -h') for reports made from the dashboard")
}

// dashboardRun is a dashboard serving a store, and the hunt running over
// it when there is one.
type dashboardRun struct {
	done   chan error
	cancel context.CancelFunc
	asn    *report.ASNDB
}

// startDashboard serves the control socket beside the store and, with
// --http, the web dashboard, until stop is called. A control socket that
// cannot be made is a warning: the hunt goes on without it.
func startDashboard(ctx context.Context, e *env, c *common, d dashFlags, cfg dashboard.Config) (*dashboardRun, error) {
	var err error
	run := &dashboardRun{done: make(chan error, 1)}
	if d.asnDB != "" {
		if run.asn, err = report.OpenASNDB(d.asnDB); err != nil {
			return nil, usagef("--asn-db: %v", err)
		}
		cfg.ASN = run.asn
		cfg.Report.ASNDB = d.asnDB
	}
	cfg.Report.Config = d.reportConfig
	cfg.Version, cfg.Logger = version.String(), c.logger(e)
	srv, err := dashboard.New(cfg)
	if err != nil {
		run.close()
		return nil, err
	}
	var web *dashboard.Web
	if d.http != "" {
		if web, err = dashboard.ListenWeb(d.http, c.localBase()); err != nil {
			run.close()
			return nil, usagef("--http %s: %v", d.http, err)
		}
		if web.Token() != "" {
			e.warnf("the dashboard listens on %s, beyond this machine: every request needs the access token in %s", web.Addr(), dashboard.TokenPath(c.localBase()))
		}
		e.printf("dashboard at %s", web.URL())
	}
	var ctl net.Listener
	if !store.IsURL(c.db) { // commands read a shared store directly
		if ctl, err = dashboard.ListenControl(c.db); err != nil {
			e.warnf("%v: peers, report, catalog and verify cannot reach this process while it runs", err)
			ctl = nil
		}
	}
	ctx, run.cancel = context.WithCancel(ctx)
	go func() {
		if ctl == nil && web == nil {
			run.done <- nil
			return
		}
		run.done <- srv.Run(ctx, ctl, web)
	}()
	return run, nil
}

// stop shuts the dashboard down and returns what ended it.
func (r *dashboardRun) stop() error {
	r.cancel()
	err := <-r.done
	r.close()
	return err
}

func (r *dashboardRun) close() {
	if r.asn != nil {
		r.asn.Close()
	}
}

func runServe(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "serve", "[--http 127.0.0.1:8080] [--asn-db FILE] [--report-config FILE]\n\n"+
		"Serves the web dashboard, the JSON API and /metrics over a store no hunt is running on, and\n"+
		"answers peers, report, catalog and verify through the control socket beside the store,\n"+
		"until interrupted.")
	var d dashFlags
	d.register(fl, "127.0.0.1:8080")
	var kf keyFlags
	kf.register(fl)
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("serve: unexpected argument %q", fl.Arg(0))
	}
	if cl, err := holder(ctx, c.db); err != nil || cl != nil {
		if cl != nil {
			cl.Close()
			return usagef("serve: %s is held by leakhunt %s (pid %d), which serves it already", store.DisplayName(c.db), cl.Hello.Mode, cl.Hello.PID)
		}
		return err
	}
	s, err := c.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	keys, err := kf.keys(s, "")
	if err != nil {
		return err
	}
	run, err := startDashboard(ctx, e, c, d, dashboard.Config{Store: s, Keys: func() (*evidence.Keys, error) { return keys, nil }})
	if err != nil {
		return err
	}
	<-ctx.Done()
	if err := run.stop(); err != nil {
		return err
	}
	return ctx.Err()
}

// holder connects to the process that holds the store at db (a hunt or
// serve) through its control socket; nil when none answers there.
func holder(ctx context.Context, db string) (*dashboard.Client, error) {
	if store.IsURL(db) {
		return nil, nil // a shared store is read directly while hunts run
	}
	cl, err := dashboard.Dial(ctx, db)
	if errors.Is(err, dashboard.ErrNoControl) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return cl, nil
}

// remoteErr turns an error answered through the control socket into the
// CLI's: the user's to fix (exit 2) or the process's.
func remoteErr(cmd string, err error) error {
	if dashboard.IsUsage(err) {
		return usagef("%s: %v", cmd, err)
	}
	return fmt.Errorf("%s (through the running leakhunt): %w", cmd, err)
}

// storeOrHolder is the running leakhunt that holds the store at --db, or
// the store opened here when none does.
type storeOrHolder struct {
	cl *dashboard.Client
	s  *store.Store
}

// openOrDial dials the process holding the store, or opens it (create
// as for common.open) when no process answers on its control socket.
func (c *common) openOrDial(ctx context.Context, create bool) (*storeOrHolder, error) {
	cl, err := holder(ctx, c.db)
	if err != nil {
		return nil, err
	}
	if cl != nil {
		return &storeOrHolder{cl: cl}, nil
	}
	s, err := c.open(create)
	if err != nil {
		return nil, err
	}
	return &storeOrHolder{s: s}, nil
}

func (h *storeOrHolder) Close() {
	if h.cl != nil {
		h.cl.Close()
	}
	if h.s != nil {
		h.s.Close()
	}
}
