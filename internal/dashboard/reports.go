package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/report"
)

// ReportRequest asks for a report. Over the web only Lang, Kind,
// MinLevel, MaxClockError and RequireClock are taken: the bundle goes to
// the server's reports directory, made with the server's settings.
// Through the control socket Out, Zip and Settings are taken too: the
// bundle goes where the user said, made with the user's files.
type ReportRequest struct {
	Out           string          `json:"out,omitempty"`
	Lang          string          `json:"lang"`
	Kind          string          `json:"kind"`
	MinLevel      evidence.Level  `json:"min_level"`
	MaxClockError time.Duration   `json:"max_clock_error,omitempty"`
	RequireClock  bool            `json:"require_clock,omitempty"`
	Zip           bool            `json:"zip,omitempty"`
	Settings      report.Settings `json:"settings"`
}

// ReportResult is what making a report did.
type ReportResult struct {
	// ID names a report made from the web (empty for one written where
	// the user said).
	ID      string          `json:"id,omitempty"`
	Summary *report.Summary `json:"summary,omitempty"`
	// NoPeers is set when no peer reached the level: the bundle is
	// complete and verifiable, without letters.
	NoPeers bool `json:"no_peers,omitempty"`
	// StoreProblems, when any, are why the store's log failed
	// verification: nothing was signed or written.
	StoreProblems []string `json:"store_problems,omitempty"`
	// Verified is `leakhunt verify`'s verdict on the bundle written,
	// against the signing key; BundleProblems lists what failed.
	Verified       bool     `json:"verified"`
	BundleProblems []string `json:"bundle_problems,omitempty"`
	// ASNMissing is set when no ASN database was given: hosts are grouped
	// by abuse contact only.
	ASNMissing bool   `json:"asn_missing,omitempty"`
	Error      string `json:"error,omitempty"`
}

// check validates the request's options.
func (req *ReportRequest) check() error {
	if req.Lang == "" {
		req.Lang = "en"
	}
	if req.Kind == "" {
		req.Kind = report.KindTakedown
	}
	if req.MinLevel == 0 {
		req.MinLevel = evidence.L4Served
	}
	switch {
	case req.Lang != "en" && req.Lang != "ja":
		return fmt.Errorf("lang %q: want en or ja", req.Lang)
	case req.Kind != report.KindTakedown && req.Kind != report.KindDisclosure:
		return fmt.Errorf("kind %q: want takedown or disclosure", req.Kind)
	case req.MinLevel < evidence.L2Connected || req.MinLevel > evidence.L5FullCopy:
		return fmt.Errorf("min_level %s: L0 and L1 never go in a letter; want L2 to L5", req.MinLevel)
	case req.MaxClockError < 0:
		return fmt.Errorf("max_clock_error %v: want a positive duration", req.MaxClockError)
	}
	return nil
}

// errBusy is returned while another report is being made.
var errBusy = errors.New("a report is being made; try again when it is done")

// makeReport makes and verifies a report into req.Out (which must not
// exist or be empty). Errors are the request's (returned) or recorded in
// the result (store problems, a bundle that does not verify).
func (s *Server) makeReport(ctx context.Context, req ReportRequest) (*ReportResult, error) {
	keys, err := s.cfg.Keys()
	if err != nil {
		return nil, err
	}
	opt := report.DefaultOptions()
	opt.OutDir, opt.Lang, opt.Kind, opt.MinLevel, opt.Zip = req.Out, req.Lang, req.Kind, req.MinLevel, req.Zip
	opt.RequireClock, opt.Version, opt.Logger = req.RequireClock, s.cfg.Version, s.log
	if req.MaxClockError > 0 {
		opt.MaxClockError = req.MaxClockError
	}
	done, err := req.Settings.Open(&opt)
	if err != nil {
		return nil, err
	}
	defer done()
	if opt.ASN == nil && s.cfg.ASN != nil {
		opt.ASN = s.cfg.ASN
	}
	req.Settings.UseRDAP(&opt, s.cfg.Store.KV("rdap:"), s.log)
	res := &ReportResult{ASNMissing: opt.ASN == nil}
	sum, err := report.Generate(ctx, s.cfg.Store, keys, opt)
	var sp *report.StoreProblems
	switch {
	case errors.As(err, &sp):
		for _, p := range sp.Problems {
			res.StoreProblems = append(res.StoreProblems, p.String())
		}
		return res, nil
	case errors.Is(err, report.ErrNoPeers):
		res.NoPeers = true
	case err != nil:
		return nil, err
	}
	res.Summary = sum
	probs, err := report.VerifyBundle(sum.Dir, report.VerifyOptions{Key: keys.Fingerprint})
	if err != nil {
		return nil, err
	}
	for _, p := range probs {
		res.BundleProblems = append(res.BundleProblems, p.String())
	}
	res.Verified = len(probs) == 0
	return res, nil
}

// reports are the bundles made from the web: those of this process, as
// jobs, and those found in the reports directory from earlier runs.
type reports struct {
	dir  string
	busy chan struct{}  // one report at a time
	wg   sync.WaitGroup // reports being made from the web
	mu   sync.Mutex
	jobs map[string]*reportJob
	n    int
}

// reportJob is one report made from the web.
type reportJob struct {
	ID      string
	Req     ReportRequest
	Started time.Time
	Ended   time.Time
	Result  *ReportResult
}

func (j reportJob) Running() bool { return j.Ended.IsZero() }

// reportID names a bundle of the reports directory.
var reportID = regexp.MustCompile(`^report-[0-9]{8}-[0-9]{6}-[0-9]{1,6}$`)

func newReports(dir string) *reports {
	r := &reports{dir: dir, busy: make(chan struct{}, 1), jobs: map[string]*reportJob{}}
	if es, err := os.ReadDir(dir); err == nil {
		for _, e := range es {
			if e.IsDir() && reportID.MatchString(e.Name()) {
				r.jobs[e.Name()] = &reportJob{ID: e.Name()} // verified when shown
			}
		}
	}
	return r
}

// start makes a report from the web in the background (ctx bounds it).
// It fails at once with errBusy while another is being made.
func (s *Server) startReport(ctx context.Context, req ReportRequest) (*reportJob, error) {
	r := s.reports
	select {
	case r.busy <- struct{}{}:
	default:
		return nil, errBusy
	}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		<-r.busy
		return nil, err
	}
	r.mu.Lock()
	r.n++
	now := time.Now().UTC()
	j := &reportJob{ID: fmt.Sprintf("report-%s-%03d", now.Format("20060102-150405"), r.n), Req: req, Started: now}
	r.jobs[j.ID] = j
	r.mu.Unlock()
	req.Out, req.Zip, req.Settings = filepath.Join(r.dir, j.ID), true, s.cfg.Report
	r.wg.Go(func() {
		defer func() { <-r.busy }()
		res, err := s.makeReport(ctx, req)
		if err != nil {
			res = &ReportResult{Error: err.Error()}
		}
		res.ID = j.ID
		r.mu.Lock()
		j.Result, j.Ended = res, time.Now().UTC()
		r.mu.Unlock()
	})
	return j, nil
}

// job returns a copy of a job, verifying a bundle of an earlier run the
// first time it is asked for.
func (s *Server) job(id string) (reportJob, bool) {
	r := s.reports
	r.mu.Lock()
	j, ok := r.jobs[id]
	var cp reportJob
	if ok {
		cp = *j
	}
	r.mu.Unlock()
	if !ok || cp.Result != nil || !cp.Started.IsZero() {
		return cp, ok
	}
	dir := filepath.Join(r.dir, id)
	res := s.verifyEarlier(id, dir)
	if fi, err := os.Stat(dir); err == nil {
		cp.Ended = fi.ModTime().UTC()
		cp.Started = cp.Ended
	}
	r.mu.Lock()
	j.Result, j.Started, j.Ended = res, cp.Started, cp.Ended
	r.mu.Unlock()
	cp.Result = res
	return cp, true
}

// verifyEarlier verifies a bundle written by an earlier run, pinned to
// its own key when the store registered that key, failing otherwise.
func (s *Server) verifyEarlier(id, dir string) *ReportResult {
	res := &ReportResult{ID: id}
	_, fp, err := report.BundleKey(dir)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	keys, err := s.cfg.Store.SigningKeys()
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if !slices.ContainsFunc(keys, func(k evidence.SigningKey) bool { return k.Fingerprint == fp }) {
		res.BundleProblems = []string{"key.pub: signed by " + fp + ", a key this store never registered"}
		return res
	}
	probs, err := report.VerifyBundle(dir, report.VerifyOptions{Key: fp})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for _, p := range probs {
		res.BundleProblems = append(res.BundleProblems, p.String())
	}
	res.Verified = len(probs) == 0
	return res
}

// listReports returns the jobs, newest first.
func (s *Server) listReports() []reportJob {
	r := s.reports
	r.mu.Lock()
	ids := make([]string, 0, len(r.jobs))
	for id := range r.jobs {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	out := make([]reportJob, 0, len(ids))
	for _, id := range ids {
		if j, ok := s.job(id); ok {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b reportJob) int { return cmp.Compare(b.ID, a.ID) })
	return out
}

// bundleDir is a web report's directory, for a valid id.
func (s *Server) bundleDir(id string) (string, bool) {
	if !reportID.MatchString(id) {
		return "", false
	}
	if _, ok := s.job(id); !ok {
		return "", false
	}
	return filepath.Join(s.reports.dir, id), true
}

// latestBundle is the newest verified web report's directory.
func (s *Server) latestBundle() (reportJob, string, bool) {
	for _, j := range s.listReports() {
		if j.Result != nil && j.Result.Verified {
			return j, filepath.Join(s.reports.dir, j.ID), true
		}
	}
	return reportJob{}, "", false
}
