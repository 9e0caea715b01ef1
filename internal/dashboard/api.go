package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

func withKind(r *http.Request, k routeKind) context.Context {
	return context.WithValue(r.Context(), ctxKind{}, k)
}

func (s *Server) apiHello(w http.ResponseWriter, r *http.Request) {
	mode := s.cfg.Mode
	switch {
	case mode != "":
	case s.cfg.Hunt != nil:
		mode = "hunt"
	default:
		mode = "serve"
	}
	writeJSON(w, http.StatusOK, Hello{Mode: mode, PID: os.Getpid(), Store: s.cfg.Store.Path(), Version: s.cfg.Version})
}

func (s *Server) apiCSRF(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"csrf": s.csrf})
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.overview())
}

func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request) {
	docs, err := s.cfg.Store.Documents()
	if err != nil {
		writeError(w, http.StatusInternalServerError, kindInternal, err)
		return
	}
	if docs == nil {
		docs = []store.Document{}
	}
	writeJSON(w, http.StatusOK, docs)
}

// catalogChanged tells the hunt, if any, that the catalogue changed.
func (s *Server) catalogChanged() {
	if s.cfg.Hunt != nil {
		s.cfg.Hunt.CatalogChanged()
	}
}

func (s *Server) apiAddDocument(w http.ResponseWriter, r *http.Request) {
	var req AddDocumentRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	if !filepath.IsAbs(req.Path) || req.Name == "" {
		writeError(w, http.StatusBadRequest, kindUsage, errors.New("catalogue: give the document's absolute path and its name"))
		return
	}
	d, existed, err := s.cfg.Store.AddDocument(store.Document{Case: req.Case, Name: req.Name, Fingerprint: req.Fingerprint}, req.Path)
	if err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	if !existed {
		s.catalogChanged()
	}
	writeJSON(w, http.StatusOK, AddDocumentResult{Document: d, Existed: existed})
}

func (s *Server) apiRemoveDocument(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID uint64 `json:"id"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	d, err := s.cfg.Store.RemoveDocument(req.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, kindNotFound, err)
		return
	case err != nil && d.ID == 0:
		writeError(w, http.StatusInternalServerError, kindInternal, err)
		return
	}
	s.catalogChanged()
	if err != nil { // removed, but its copy could not be deleted
		writeError(w, http.StatusInternalServerError, kindInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiMatches(w http.ResponseWriter, r *http.Request) {
	rows, err := s.matches.get(s.cfg.Store)
	if err != nil {
		writeError(w, http.StatusInternalServerError, kindInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

// peerLimit is the page size cap: none through the control socket.
func peerLimit(r *http.Request) int {
	if isControl(r) {
		return 0
	}
	return maxPageRows
}

func (s *Server) apiPeers(w http.ResponseWriter, r *http.Request) {
	f, err := ParsePeerFilter(r.URL.Query(), peerLimit(r))
	if err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	sn, err := s.peers.current(refreshEvery)
	if err != nil {
		writeError(w, http.StatusInternalServerError, kindInternal, err)
		return
	}
	writeJSON(w, http.StatusOK, sn.page(f))
}

// Timeline is one peer with every observation of it, as recorded.
type Timeline struct {
	Peer PeerRow `json:"peer"`
	// Observations are the peer's records, oldest first, each with its
	// log index (in a store several sensors share, in the log of the
	// sensor the record names); at most maxTimeline (the latest).
	Observations []TimelineEntry `json:"observations"`
	// Omitted counts older records not listed.
	Omitted int `json:"omitted,omitempty"`
}

// TimelineEntry is one log record of a peer.
type TimelineEntry struct {
	Index int64 `json:"log_index"`
	evidence.Observation
}

// peerSubject reads what a peer was observed sharing from a query, ed2k=
// (an ed2k file) or infohash= (a torrent), as a Peer holding only that:
// its [evidence.Peer.Subject] names it.
func peerSubject(q url.Values) (*evidence.Peer, error) {
	if q.Has("ed2k") {
		h, err := fingerprint.ParseED2KHash(q.Get("ed2k"))
		if err != nil {
			return nil, fmt.Errorf("ed2k=: %v", err)
		}
		return &evidence.Peer{Network: evidence.NetworkED2K, ED2K: h}, nil
	}
	ih, err := fingerprint.ParseInfoHash(q.Get("infohash"))
	if err != nil {
		return nil, fmt.Errorf("infohash=: %v", err)
	}
	return &evidence.Peer{InfoHash: ih}, nil
}

// maxTimeline bounds the observations a timeline lists.
const maxTimeline = 2000

// timeline reads one peer's observations: in a store several sensors
// share, every sensor's.
func (s *Server) timeline(r *http.Request) (*Timeline, int, error) {
	q := r.URL.Query()
	subject, err := peerSubject(q)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	port, err := parseInt(q.Get("port"), 1, 65535)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("port=: %v", err)
	}
	f, err := ParsePeerFilter(q, 1)
	if err != nil || !f.IP.IsValid() {
		return nil, http.StatusBadRequest, errors.New("ip=: want an IP address")
	}
	sn, err := s.peers.current(refreshEvery)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	row := sn.find(subjectKey(subject.Network, subject.InfoHash, subject.ED2K, f.IP.String(), port))
	if row == nil {
		return nil, http.StatusNotFound, errors.New("no such peer")
	}
	t := &Timeline{Peer: *row}
	logs, err := s.sensorLogs()
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	total := 0
	for _, view := range logs {
		idx, err := view.SubjectObservations(subject.Subject(), row.IP, port)
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		slices.Sort(idx)
		total += len(idx)
		// The latest of each log: the latest of all are among them.
		idx = idx[max(0, len(idx)-maxTimeline):]
		leaves, err := view.Leaves(idx)
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		for i, leaf := range leaves {
			var o evidence.Observation
			if err := evidence.DecodeLeaf(leaf, &o); err != nil {
				return nil, http.StatusInternalServerError, fmt.Errorf("log record %d: %w", idx[i], err)
			}
			t.Observations = append(t.Observations, TimelineEntry{Index: idx[i], Observation: o})
		}
	}
	// In time order across the sensors' logs (each entry names its
	// sensor, whose log its index is in), the latest maxTimeline.
	slices.SortStableFunc(t.Observations, func(a, b TimelineEntry) int { return a.Time.Compare(b.Time) })
	if len(t.Observations) > maxTimeline {
		t.Observations = t.Observations[len(t.Observations)-maxTimeline:]
	}
	t.Omitted = total - len(t.Observations)
	return t, http.StatusOK, nil
}

func (s *Server) apiPeer(w http.ResponseWriter, r *http.Request) {
	t, status, err := s.timeline(r)
	if err != nil {
		kind := kindUsage
		if status == http.StatusNotFound {
			kind = kindNotFound
		} else if status >= 500 {
			kind = kindInternal
		}
		writeError(w, status, kind, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) {
	var out []ReportResult
	for _, j := range s.listReports() {
		if j.Result != nil {
			out = append(out, *j.Result)
		} else {
			out = append(out, ReportResult{ID: j.ID})
		}
	}
	if out == nil {
		out = []ReportResult{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	j, ok := s.job(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, kindNotFound, errors.New("no such report"))
		return
	}
	res := ReportResult{ID: j.ID}
	if j.Result != nil {
		res = *j.Result
	}
	writeJSON(w, http.StatusOK, struct {
		ReportResult
		Running bool `json:"running"`
	}{res, j.Running()})
}

// apiMakeReport makes a report: through the control socket where the
// request says, waiting for its turn; from the web into the reports
// directory, answering at once with the report's ID (poll
// /api/reports/ID).
func (s *Server) apiMakeReport(w http.ResponseWriter, r *http.Request) {
	var req ReportRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	if err := req.check(); err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	if !isControl(r) {
		j, err := s.startReport(s.runContext(), req)
		if err != nil {
			writeError(w, http.StatusTooManyRequests, kindBusy, err)
			return
		}
		writeJSON(w, http.StatusOK, ReportResult{ID: j.ID})
		return
	}
	if !filepath.IsAbs(req.Out) {
		writeError(w, http.StatusBadRequest, kindUsage, errors.New("report: give the output directory as an absolute path"))
		return
	}
	select {
	case s.reports.busy <- struct{}{}:
		defer func() { <-s.reports.busy }()
	case <-r.Context().Done():
		return
	}
	res, err := s.makeReport(r.Context(), req)
	if err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiVerifyStore(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Key string `json:"key"`
	}
	if err := readJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, kindUsage, err)
		return
	}
	c, err := CheckStore(s.cfg.Store, req.Key)
	switch {
	case errors.Is(err, ErrPublicKey):
		writeError(w, http.StatusBadRequest, kindUsage, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, kindInternal, err)
	default:
		writeJSON(w, http.StatusOK, c)
	}
}

// since formats how long ago t was, for pages.
func since(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return time.Since(t).Truncate(time.Second).String() + " ago"
}

// sensorLogs are the stores whose logs hold observations: the store's
// own, and in a store several sensors share, every other sensor's view.
func (s *Server) sensorLogs() ([]*store.Store, error) {
	others, err := s.cfg.Store.OtherSensors()
	return append([]*store.Store{s.cfg.Store}, others...), err
}
