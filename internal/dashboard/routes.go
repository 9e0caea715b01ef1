package dashboard

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
)

// csp forbids everything but this origin's own scripts, styles, images
// and requests: no inline script or style, no frames, no plugins.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// routeKind says who may call a route.
type routeKind int

const (
	onWeb     routeKind = 1 << iota // the web listener
	onControl                       // the control socket
	onBoth    = onWeb | onControl
)

type route struct {
	pattern string
	kind    routeKind
	h       http.HandlerFunc
}

func (s *Server) routes() []route {
	return []route{
		{"GET /{$}", onWeb, s.pageOverview},
		{"GET /documents", onWeb, s.pageDocuments},
		{"GET /matches", onWeb, s.pageMatches},
		{"GET /peers", onWeb, s.pagePeers},
		{"GET /peers/rows", onWeb, s.peerRows},
		{"GET /peer", onWeb, s.pagePeer},
		{"GET /isps", onWeb, s.pageISPs},
		{"GET /reports", onWeb, s.pageReports},
		{"POST /reports", onWeb, s.postReportForm},
		{"GET /reports/{id}", onWeb, s.pageReport},
		{"GET /reports/{id}/bundle.zip", onWeb, s.downloadReport},
		{"GET /reports/{id}/row", onWeb, s.reportRow},
		{"GET /chart/{name}", onWeb, s.chart},
		{"GET /static/{file}", onWeb, serveStatic},
		{"GET /metrics", onBoth, s.metrics.ServeHTTP},
		{"GET /api/hello", onBoth, s.apiHello},
		{"GET /api/csrf", onWeb, s.apiCSRF},
		{"GET /api/overview", onBoth, s.apiOverview},
		{"GET /api/events", onWeb, s.apiEvents},
		{"GET /api/documents", onBoth, s.apiDocuments},
		{"POST /api/documents", onControl, s.apiAddDocument},
		{"POST /api/documents/remove", onControl, s.apiRemoveDocument},
		{"GET /api/matches", onBoth, s.apiMatches},
		{"GET /api/peers", onBoth, s.apiPeers},
		{"GET /api/peer", onBoth, s.apiPeer},
		{"GET /api/reports", onBoth, s.apiReports},
		{"GET /api/reports/{id}", onBoth, s.apiReport},
		{"POST /api/reports", onBoth, s.apiMakeReport},
		{"POST /api/verify", onControl, s.apiVerifyStore},
	}
}

// ctxKind carries, in a request's context, which listener it came in on.
type ctxKind struct{}

func isControl(r *http.Request) bool {
	k, _ := r.Context().Value(ctxKind{}).(routeKind)
	return k == onControl
}

func (s *Server) mux(kind routeKind) *http.ServeMux {
	m := http.NewServeMux()
	for _, rt := range s.routes() {
		if rt.kind&kind != 0 {
			m.HandleFunc(rt.pattern, rt.h)
		}
	}
	return m
}

// webHandler is the web listener's: headers, rate, access, then the
// cross-origin and CSRF checks of requests that change something.
func (s *Server) webHandler(a access) http.Handler {
	m := s.mux(onWeb)
	cop := http.NewCrossOriginProtection()
	guarded := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			if !a.changeAllowed(r) {
				http.Error(w, "this request changes something and needs the page's CSRF token (reload the page)", http.StatusForbidden)
				return
			}
		}
		m.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if !s.limit.allow(host) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		if !a.admit(w, r) {
			return
		}
		guarded.ServeHTTP(w, r.WithContext(withKind(r, onWeb)))
	})
}

// controlHandler is the control socket's: its peers are processes of the
// same user (see ListenControl).
func (s *Server) controlHandler() http.Handler {
	m := s.mux(onControl)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		m.ServeHTTP(w, r.WithContext(withKind(r, onControl)))
	})
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// apiError is the body of an API error.
type apiError struct {
	Error string `json:"error"`
	// Kind is "usage" (the request was wrong), "not-found", "busy",
	// "tampered" or "internal".
	Kind string `json:"kind"`
}

// Error kinds, shared with the client.
const (
	kindUsage    = "usage"
	kindNotFound = "not-found"
	kindBusy     = "busy"
	kindInternal = "internal"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, kind string, err error) {
	writeJSON(w, status, apiError{Error: err.Error(), Kind: kind})
}

// readJSON decodes a request body (bounded by the handler) into v.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return errors.New("request body too large")
		}
		return err
	}
	return nil
}
