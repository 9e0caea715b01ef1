package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// Errors a fetch can wrap, for errors.Is.
var (
	// ErrRobotsDisallowed: robots.txt forbids the URL to our agent.
	ErrRobotsDisallowed = errors.New("disallowed by robots.txt")
	// ErrTooManyRedirects: more than Config.MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrScheme: a URL (or redirect) that is not http or https.
	ErrScheme = errors.New("only http and https URLs are fetched")
)

// StatusError is returned for an HTTP status we do not accept.
type StatusError struct {
	URL  string // API keys redacted
	Code int
}

// Error names the URL and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Client fetches pages, feeds and .torrent files politely and safely (see
// the package documentation). It is safe for concurrent use; Close releases
// its idle connections.
type Client struct {
	cfg    Config
	log    *slog.Logger
	hc     *http.Client
	tr     *http.Transport
	state  StateStore
	agent  string // robots.txt product token
	policy netpolicy.Policy

	mu    sync.Mutex
	hosts map[string]*hostState

	// onDial, when set (tests), sees every address the dialer is about to
	// connect to and the policy's verdict, and returns the final verdict.
	onDial func(network, address string, verdict error) error
}

type hostState struct {
	lim *rate.Limiter

	mu         sync.Mutex
	robots     *robotsEntry
	robotsWait chan struct{}
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		log:    cfg.logger(),
		state:  cfg.State,
		hosts:  make(map[string]*hostState),
		policy: netpolicy.Policy{AllowLoopback: cfg.AllowLoopback, AllowPrivate: cfg.AllowPrivate, Allow: cfg.AllowAddrs},
	}
	if c.state == nil {
		c.state = &MemoryState{}
	}
	c.agent, _, _ = strings.Cut(cfg.UserAgent, "/")
	c.agent = strings.TrimSpace(c.agent)
	dialer := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		// Control runs after the socket is created and before connect(2),
		// with the numeric address being dialled: after DNS resolution and
		// for every redirect hop, so neither can reach a refused address.
		Control: func(network, address string, raw syscall.RawConn) error {
			err := c.policy.Control(network, address, raw)
			if c.onDial != nil {
				return c.onDial(network, address, err)
			}
			return err
		},
	}
	c.tr = &http.Transport{
		Proxy:                  nil, // a proxy would hide the address we connect to
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        60 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.RequestTimeout,
		DisableCompression:     true, // we decode ourselves, under the cap
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.hc = &http.Client{
		Transport: c.tr,
		// Redirects are followed by fetch, hop by hop, each checked
		// against robots.txt and rate-limited.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// Close closes idle connections.
func (c *Client) Close() {
	c.tr.CloseIdleConnections()
}

// host returns the state of u's host (scheme and port included).
func (c *Client) host(u *url.URL) *hostState {
	key := strings.ToLower(u.Scheme + "://" + u.Host)
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[key]
	if h == nil {
		lim := rate.Inf
		if c.cfg.HostInterval > 0 {
			lim = rate.Every(c.cfg.HostInterval)
		}
		h = &hostState{lim: rate.NewLimiter(lim, 1)}
		c.hosts[key] = h
	}
	return h
}

// Response is a fetched resource.
type Response struct {
	// URL is the final URL, after redirects.
	URL *url.URL
	// Status is the HTTP status (200 or 304).
	Status int
	// ContentType is the Content-Type header.
	ContentType string
	// ETag and LastModified are the validators the server sent.
	ETag, LastModified string
	// Body is the decompressed body, at most the cap; raw bytes in the
	// document's own charset.
	Body []byte
	// NotModified is set when a conditional GET got 304.
	NotModified bool
	// Magnet is set when a redirect led to a magnet: URI instead of a body
	// (Jackett and Prowlarr download links do this).
	Magnet string
}

// fetchOptions vary one fetch.
type fetchOptions struct {
	maxBytes   int64
	truncate   bool   // keep the prefix of a longer body (robots.txt)
	skipRobots bool   // robots.txt itself, and user-configured APIs
	accept     string // Accept header
	// Validators for a conditional GET, from an earlier fetch.
	etag, lastModified string
}

// Get fetches u as a page: robots.txt obeyed, rate-limited, retried, body
// capped at Config.MaxBodyBytes after decompression.
func (c *Client) Get(ctx context.Context, u *url.URL) (*Response, error) {
	return c.fetch(ctx, u, fetchOptions{maxBytes: c.cfg.MaxBodyBytes})
}

// fetch follows redirects hop by hop: each hop is checked against
// robots.txt, rate-limited and retried; the dialer checks every address.
func (c *Client) fetch(ctx context.Context, u *url.URL, o fetchOptions) (*Response, error) {
	cur := u
	for hop := 0; ; hop++ {
		if cur.Scheme != "http" && cur.Scheme != "https" {
			return nil, fmt.Errorf("GET %s: %w", redactURL(cur), ErrScheme)
		}
		if !o.skipRobots {
			if err := c.checkRobots(ctx, cur); err != nil {
				return nil, err
			}
		}
		res, loc, err := c.attemptWithRetry(ctx, cur, o)
		if err != nil {
			return nil, err
		}
		if loc == "" {
			res.URL = cur
			return res, nil
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("GET %s: bad redirect location: %w", redactURL(cur), err)
		}
		if next.Scheme == "magnet" {
			return &Response{URL: cur, Status: http.StatusFound, Magnet: next.String()}, nil
		}
		if hop >= c.cfg.MaxRedirects {
			return nil, fmt.Errorf("GET %s: %w (%d)", redactURL(u), ErrTooManyRedirects, c.cfg.MaxRedirects)
		}
		c.log.Debug("redirect", "from", redactURL(cur), "to", redactURL(next))
		next.Fragment = ""
		cur = next
		// A conditional GET applies to the URL asked for only.
		o.etag, o.lastModified = "", ""
	}
}

// attemptWithRetry makes one request, retrying 5xx, 408, 429 and timeouts
// with exponential backoff. It returns the response, or the Location of a
// redirect.
func (c *Client) attemptWithRetry(ctx context.Context, u *url.URL, o fetchOptions) (*Response, string, error) {
	h := c.host(u)
	for attempt := 0; ; attempt++ {
		if err := h.lim.Wait(ctx); err != nil {
			return nil, "", fmt.Errorf("GET %s: %w", redactURL(u), err)
		}
		res, loc, retryAfter, err := c.attempt(ctx, u, o)
		if err == nil {
			return res, loc, nil
		}
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("GET %s: %w", redactURL(u), ctx.Err())
		}
		if attempt >= c.cfg.Retries || !retryable(err) {
			if attempt > 0 {
				return nil, "", fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return nil, "", err
		}
		d := c.backoff(attempt, retryAfter)
		c.log.Debug("retry", "url", redactURL(u), "attempt", attempt+1, "delay", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, "", fmt.Errorf("GET %s: %w", redactURL(u), ctx.Err())
		case <-t.C:
		}
	}
}

// backoff is RetryBaseDelay·2^attempt with ±25% jitter, at most
// RetryMaxDelay; a server's Retry-After counts when longer (also bounded).
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := c.cfg.RetryBaseDelay << min(attempt, 20)
	if d <= 0 || d > c.cfg.RetryMaxDelay {
		d = c.cfg.RetryMaxDelay
	}
	if d > 0 {
		d = d*3/4 + rand.N(d/2+1)
	}
	if retryAfter > d {
		d = min(retryAfter, c.cfg.RetryMaxDelay)
	}
	return d
}

// retryStatus is a status worth retrying.
type retryStatus struct {
	*StatusError
}

func (e retryStatus) Unwrap() error { return e.StatusError }

func retryable(err error) bool {
	var rs retryStatus
	if errors.As(err, &rs) {
		return true
	}
	if errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrBodyTooLarge) || errors.Is(err, ErrUnsupportedEncoding) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

// attempt makes one request under RequestTimeout, body included.
func (c *Client) attempt(ctx context.Context, u *url.URL, o fetchOptions) (res *Response, location string, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", 0, fmt.Errorf("GET %s: %w", redactURL(u), err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if o.accept != "" {
		req.Header.Set("Accept", o.accept)
	}
	if o.etag != "" {
		req.Header.Set("If-None-Match", o.etag)
	}
	if o.lastModified != "" {
		req.Header.Set("If-Modified-Since", o.lastModified)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL may hold an API key
		}
		return nil, "", 0, fmt.Errorf("GET %s: %w", redactURL(u), err)
	}
	defer resp.Body.Close()
	drain := func() { _, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) }
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		body, err := readBody(resp.Body, resp.Header.Get("Content-Encoding"), o.maxBytes, o.truncate)
		if err != nil {
			return nil, "", 0, fmt.Errorf("GET %s: %w", redactURL(u), err)
		}
		return &Response{
			Status:       code,
			ContentType:  resp.Header.Get("Content-Type"),
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
			Body:         body,
		}, "", 0, nil
	case code == http.StatusNotModified && (o.etag != "" || o.lastModified != ""):
		drain()
		return &Response{Status: code, NotModified: true,
			ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, "", 0, nil
	case code == http.StatusMovedPermanently || code == http.StatusFound || code == http.StatusSeeOther ||
		code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect:
		drain()
		loc := resp.Header.Get("Location")
		if loc == "" {
			return nil, "", 0, fmt.Errorf("GET %s: redirect without Location: %w", redactURL(u), &StatusError{URL: redactURL(u), Code: code})
		}
		return nil, loc, 0, nil
	case code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported,
		code == http.StatusTooManyRequests, code == http.StatusRequestTimeout:
		drain()
		return nil, "", parseRetryAfter(resp.Header.Get("Retry-After")), retryStatus{&StatusError{URL: redactURL(u), Code: code}}
	default:
		drain()
		return nil, "", 0, &StatusError{URL: redactURL(u), Code: code}
	}
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// secretParams are query parameters whose values never leave the client in
// errors, logs or sightings.
var secretParams = []string{"apikey", "api_key", "jackett_apikey", "passkey", "token", "key", "auth", "authkey", "torrent_pass"}

// redactURL renders u with secret query values replaced by "REDACTED".
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.RawQuery == "" && u.User == nil {
		return u.String()
	}
	r := *u
	r.User = nil
	if r.RawQuery != "" {
		q := r.Query()
		changed := false
		for k := range q {
			for _, s := range secretParams {
				if strings.EqualFold(k, s) {
					q[k] = []string{"REDACTED"}
					changed = true
				}
			}
		}
		if changed {
			r.RawQuery = q.Encode()
		}
	}
	return r.String()
}

// redactLink redacts a link string that parses as a URL.
func redactLink(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return s
	}
	return redactURL(u)
}
