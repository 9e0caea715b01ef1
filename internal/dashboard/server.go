package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// Hunt is the running pipeline as the dashboard sees it; *hunt.Pipeline
// implements it.
type Hunt interface {
	// Stats returns the pipeline's counters.
	Stats() hunt.Stats
	// CatalogChanged tells it that documents were added or removed.
	CatalogChanged()
}

var _ Hunt = (*hunt.Pipeline)(nil)

// DHT is the running DHT node set; *dht.Set implements it.
type DHT interface{ Stats() dht.Stats }

var _ DHT = (*dht.Set)(nil)

// Config wires a [Server].
type Config struct {
	// Store is the open store served. Required.
	Store *store.Store
	// Hunt is the pipeline running over the store; nil for a store
	// served alone (`leakhunt serve`).
	Hunt Hunt
	// Mode names the process holding the store in [Hello]: "hunt",
	// "watch" or "serve". Empty means hunt with a Hunt, serve without.
	Mode string
	// DHT is the hunt's DHT node set, nil without one.
	DHT DHT
	// Sources names the hunt's sources, for the overview.
	Sources []string
	// Keys returns the store's signing keys, for reports. A hunt passes
	// its own; `serve` opens them when first needed.
	Keys func() (*evidence.Keys, error)
	// ASN attributes peers to networks and countries; nil labels only
	// special-purpose addresses.
	ASN *report.ASNDB
	// Report are the settings of reports made from the pages (the
	// configuration file, contacts, RDAP). Reports asked for through the
	// control socket bring their own.
	Report report.Settings
	// ReportsDir is where reports made from the pages are written;
	// default: the store's path + ".reports".
	ReportsDir string
	// Version is leakhunt's, written in reports.
	Version string
	// Logger receives logs (default: discard).
	Logger *slog.Logger
}

// Server serves one store. Create it with [New], then [Server.Run]. Safe
// for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	started time.Time
	csrf    string
	peers   *peerIndex
	hist    *history
	reports *reports
	matches matchCache
	charts  chartCache
	limit   *limiter
	streams chan struct{} // one slot per open event stream
	metrics http.Handler
	pages   *pageSet

	ovMu sync.Mutex
	ov   Overview
	ovAt time.Time

	runCtx context.Context // Run's; reports made from the web end with it
}

// runContext is the context of Run, which background work started by a
// request (a report) lives in.
func (s *Server) runContext() context.Context {
	if s.runCtx == nil {
		return context.Background()
	}
	return s.runCtx
}

// Bounds of what a client may ask for.
const (
	maxBody        = 64 << 10 // bytes of a request body
	maxStreams     = 16       // concurrent event streams
	requestRate    = 30       // requests per second per client address
	requestBurst   = 90
	maxPageRows    = 100 // rows of a web page or an API page over HTTP
	refreshEvery   = 2 * time.Second
	sampleEvery    = 5 * time.Second
	shutdownWait   = 5 * time.Second
	eventsInterval = 2 * time.Second
)

// New makes a server over cfg.Store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("dashboard: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReportsDir == "" {
		cfg.ReportsDir = cfg.Store.Path() + ".reports"
	}
	if cfg.Keys == nil {
		cfg.Keys = func() (*evidence.Keys, error) {
			return nil, errors.New("no signing keys: reports cannot be signed here")
		}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, started: time.Now(), csrf: newSecret(),
		limit: newLimiter(requestRate, requestBurst), streams: make(chan struct{}, maxStreams)}
	s.peers = newPeerIndex(cfg.Store, cfg.ASN)
	s.hist = newHistory(720)
	s.reports = newReports(filepath.Clean(cfg.ReportsDir))
	s.metrics = s.newMetrics()
	pages, err := loadPages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// Run serves the control socket (when control is not nil) and the web
// dashboard on web (when not nil) until ctx is done, then shuts both down,
// giving requests in flight a few seconds. It also samples the counters
// for the charts. It closes the listeners.
func (s *Server) Run(ctx context.Context, control net.Listener, web *Web) error {
	g, gctx := errgroup.WithContext(ctx)
	s.runCtx = gctx
	g.Go(func() error { s.sample(gctx); return nil })
	g.Go(func() error { s.peers.warm(); return nil })
	serve := func(ln net.Listener, h http.Handler, writeTimeout time.Duration) {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: writeTimeout, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
			BaseContext: func(net.Listener) context.Context { return gctx }}
		g.Go(func() error {
			err := srv.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
			defer cancel()
			srv.Shutdown(sctx)
			return nil
		})
	}
	if control != nil {
		// Reports and store verification through the socket take as long
		// as they take; the client waits.
		serve(control, s.controlHandler(), 0)
	}
	if web != nil {
		serve(web.ln, s.webHandler(web.access(s.csrf)), time.Minute)
	}
	err := g.Wait()
	s.reports.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// sample records the counters every sampleEvery for the charts.
func (s *Server) sample(ctx context.Context) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		s.hist.add(s.overview())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Web is a listener for the web dashboard and how it admits requests.
type Web struct {
	ln    net.Listener
	token string
}

// ListenWeb listens on addr for the web dashboard of the store at db.
// A loopback address serves the local user; any other needs the access
// token kept beside the store (made now if there is none).
func ListenWeb(addr, db string) (*Web, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	w := &Web{ln: ln}
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() || !IsLoopback(addr) {
		if w.token, err = LoadOrCreateToken(TokenPath(db)); err != nil {
			ln.Close()
			return nil, fmt.Errorf("dashboard: %w", err)
		}
	}
	return w, nil
}

// Addr is the address listened on.
func (w *Web) Addr() net.Addr { return w.ln.Addr() }

// URL is the dashboard's address for people: with the access token when
// one is needed (the first request moves it into a cookie).
func (w *Web) URL() string {
	u := "http://" + w.ln.Addr().String() + "/"
	if w.token != "" {
		u += "?token=" + w.token
	}
	return u
}

// Token is the access token requests need, empty on loopback.
func (w *Web) Token() string { return w.token }

// Close closes the listener (Run closes it too).
func (w *Web) Close() error { return w.ln.Close() }

func (w *Web) access(csrf string) access { return access{token: w.token, csrf: csrf} }

// limiter bounds the request rate of each client address.
type limiter struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	clients map[string]*rate.Limiter
}

// maxClients bounds the addresses remembered; beyond it they start over.
const maxClients = 4096

func newLimiter(r float64, burst int) *limiter {
	return &limiter{rate: rate.Limit(r), burst: burst, clients: map[string]*rate.Limiter{}}
}

// allow takes one request from the client's allowance.
func (l *limiter) allow(client string) bool {
	l.mu.Lock()
	lim := l.clients[client]
	if lim == nil {
		if len(l.clients) >= maxClients {
			clear(l.clients)
		}
		lim = rate.NewLimiter(l.rate, l.burst)
		l.clients[client] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}
