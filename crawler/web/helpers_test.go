package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
)

// testConfig allows loopback (httptest) and makes waits short.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.UserAgent = "leakhunt/test"
	cfg.AllowLoopback = true
	cfg.HostInterval = 0
	cfg.RetryBaseDelay = time.Millisecond
	cfg.RetryMaxDelay = 5 * time.Millisecond
	cfg.RequestTimeout = 5 * time.Second
	return cfg
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collector gathers sightings; safe for concurrent use.
type collector struct {
	mu sync.Mutex
	s  []crawler.Sighting
}

func (c *collector) emit(s crawler.Sighting) {
	c.mu.Lock()
	c.s = append(c.s, s)
	c.mu.Unlock()
}

func (c *collector) all() []crawler.Sighting {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]crawler.Sighting(nil), c.s...)
}

// requestLog records the request URIs a test server saw.
type requestLog struct {
	mu   sync.Mutex
	uris []string
	hdrs []http.Header
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	l.uris = append(l.uris, r.URL.RequestURI())
	l.hdrs = append(l.hdrs, r.Header.Clone())
	l.mu.Unlock()
}

func (l *requestLog) count(uri string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, u := range l.uris {
		if u == uri {
			n++
		}
	}
	return n
}

func (l *requestLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.uris...)
}

func newServer(t *testing.T, log *requestLog, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if log != nil {
			log.add(r)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeTorrent is a small well-formed .torrent (fake content).
func fakeTorrent(name string) []byte {
	return []byte("d8:announce20:udp://tracker.test:14:infod6:lengthi1024e4:name" +
		itoa2(len(name)) + ":" + name + "12:piece lengthi16384e6:pieces20:0123456789abcdefghijee")
}

func itoa2(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

var errCanceled = context.Canceled

func contextWithCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}
