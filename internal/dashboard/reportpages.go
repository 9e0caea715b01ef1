package dashboard

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
)

func (s *Server) pageReports(w http.ResponseWriter, r *http.Request) {
	s.renderReports(w, http.StatusOK, "")
}

func (s *Server) renderReports(w http.ResponseWriter, status int, msg string) {
	b := struct {
		Levels []evidence.Level
		Jobs   []reportJob
		Error  string
	}{Levels: allLevels[2:], Jobs: s.listReports(), Error: msg}
	s.render(w, status, "reports", "Reports", "/reports", b)
}

// postReportForm starts a report from the form and shows its page.
func (s *Server) postReportForm(w http.ResponseWriter, r *http.Request) {
	lvl, err := evidence.ParseLevel(r.PostFormValue("min_level"))
	req := ReportRequest{Lang: r.PostFormValue("lang"), Kind: r.PostFormValue("kind"), MinLevel: lvl}
	if err == nil {
		err = req.check()
	}
	if err != nil {
		s.renderReports(w, http.StatusBadRequest, err.Error())
		return
	}
	j, err := s.startReport(s.runContext(), req)
	if errors.Is(err, errBusy) {
		s.renderReports(w, http.StatusTooManyRequests, err.Error())
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	http.Redirect(w, r, "/reports/"+j.ID, http.StatusSeeOther)
}

func (s *Server) pageReport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !reportID.MatchString(id) {
		http.NotFound(w, r)
		return
	}
	j, ok := s.job(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.render(w, http.StatusOK, "report", "Report "+id, "/reports", j)
}

// downloadReport sends a verified web report's zip.
func (s *Server) downloadReport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	dir, ok := s.bundleDir(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(dir + ".zip")
	if err != nil {
		http.Error(w, "this report has no zip (it was made without one, or is not finished)", http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	// A large bundle takes longer than the server's write timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
	io.Copy(w, f)
}

// reportRow renders one report's row alone, for the script that follows
// a report being made.
func (s *Server) reportRow(w http.ResponseWriter, r *http.Request) {
	j, ok := s.job(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.fragment(w, "reports", "reportrow", j)
}
