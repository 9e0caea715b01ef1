package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// pageSet holds each page's template (layout, partials and the page).
type pageSet struct {
	pages map[string]*template.Template
}

// pageNames are the page templates; each defines "content".
var pageNames = []string{"overview", "documents", "matches", "peers", "peer", "isps", "reports", "report"}

func loadPages() (*pageSet, error) {
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.tmpl", "templates/partials.tmpl", "templates/"+name+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", name, err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// funcs are the templates' helpers. Everything that came from the
// network goes through text (report.Text) and then html/template's own
// contextual escaping.
var funcs = template.FuncMap{
	"text":         report.Text,
	"levelName":    func(l any) string { return report.LevelName("en", asLevel(l)) },
	"levelMeaning": func(l any) string { return report.LevelMeaning("en", asLevel(l)) },
	"lvnum":        func(l any) int { return int(asLevel(l)) },
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"age":      ageText,
	"rate":     func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"bytes":    byteSize,
	"short":    short,
	"pieces":   func(v []int) string { return report.PieceList("en", v, 8) },
	"verdict":  verdictText,
	"add":      func(a, b int) int { return a + b },
	"lastByte": func(off, n int64) int64 { return off + n - 1 },
	"peerLink": peerLink,
	"reportStatus": func(j reportJob) string {
		switch {
		case j.Running():
			return "being made…"
		case j.Result == nil:
			return "unknown"
		case j.Result.Verified:
			return "verified: every file matches MANIFEST, the signatures and every inclusion proof verify"
		case len(j.Result.StoreProblems) > 0:
			return "refused: the store's log fails verification"
		case j.Result.Error != "":
			return "failed: " + report.Text(j.Result.Error)
		}
		return "does not verify"
	},
}

// asLevel takes a level as templates hold it: an evidence.Level, or the
// int index of a range over counts by level. Anything else is L0.
func asLevel(v any) evidence.Level {
	switch l := v.(type) {
	case evidence.Level:
		return l
	case int:
		return evidence.Level(l)
	}
	return evidence.L0Listed
}

// ageText writes seconds as a duration ("3m20s"); negative is unknown.
func ageText(sec float64) string {
	if sec < 0 {
		return "–"
	}
	return (time.Duration(sec) * time.Second).String()
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// short is the first 12 characters of a hash.
func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

func verdictText(v string) string {
	switch v {
	case fingerprint.VerdictProven:
		return "proven"
	case fingerprint.VerdictLead:
		return "lead (not evidence)"
	}
	return report.Text(v)
}

func peerLink(r PeerRow) string {
	q := url.Values{"infohash": {r.InfoHash.String()}, "ip": {r.IP}, "port": {strconv.Itoa(r.Port)}}
	if r.Network == evidence.NetworkED2K {
		q = url.Values{"ed2k": {r.ED2K.String()}, "ip": {r.IP}, "port": {strconv.Itoa(r.Port)}}
	}
	return "/peer?" + q.Encode()
}

// navItem is one link of the navigation bar.
type navItem struct {
	Name, Href string
	Current    bool
}

// pageData is what every page template gets.
type pageData struct {
	Title string
	Nav   []navItem
	CSRF  string
	Ov    Overview
	Body  any
}

var nav = []navItem{{"Overview", "/", false}, {"Documents", "/documents", false}, {"Matches", "/matches", false},
	{"Peers", "/peers", false}, {"ISPs", "/isps", false}, {"Reports", "/reports", false}}

// render writes a page; a template error is a server error, written
// before anything of the page.
func (s *Server) render(w http.ResponseWriter, status int, page, title, current string, body any) {
	d := pageData{Title: title, CSRF: s.csrf, Ov: s.overview(), Body: body}
	for _, n := range nav {
		n.Current = n.Href == current
		d.Nav = append(d.Nav, n)
	}
	var buf bytes.Buffer
	if err := s.pages.pages[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Warn("render page", "page", page, "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fragment writes one template of a page alone (rows the script swaps in).
func (s *Server) fragment(w http.ResponseWriter, page, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Warn("render fragment", "page", page, "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) pageOverview(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "overview", "Overview", "/", nil)
}

// docMatches is one document with where it was found.
type docMatches struct {
	Doc     store.Document
	Matches []MatchRow
}

func (s *Server) pageDocuments(w http.ResponseWriter, r *http.Request) {
	docs, err := s.cfg.Store.Documents()
	if err != nil {
		s.fail(w, err)
		return
	}
	rows, err := s.matches.get(s.cfg.Store)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := make([]docMatches, len(docs))
	for i, d := range docs {
		out[i].Doc = d
		for _, m := range rows {
			if m.Document == d.SHA256 {
				out[i].Matches = append(out[i].Matches, m)
			}
		}
	}
	s.render(w, http.StatusOK, "documents", "Documents", "/documents", out)
}

func (s *Server) pageMatches(w http.ResponseWriter, r *http.Request) {
	rows, err := s.matches.get(s.cfg.Store)
	if err != nil {
		s.fail(w, err)
		return
	}
	var b struct{ Proven, Other, Leads []MatchRow }
	for _, m := range rows {
		switch m.Verdict {
		case fingerprint.VerdictProven:
			b.Proven = append(b.Proven, m)
		case fingerprint.VerdictLead:
			b.Leads = append(b.Leads, m)
		default:
			b.Other = append(b.Other, m)
		}
	}
	s.render(w, http.StatusOK, "matches", "Matches", "/matches", b)
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.log.Warn("dashboard", "err", err)
	http.Error(w, "the store could not be read: "+err.Error(), http.StatusInternalServerError)
}
