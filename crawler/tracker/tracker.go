package tracker

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
)

// Mode says how peers are asked for; see the package documentation.
type Mode int

const (
	// ModeLeecher (the default) announces as a leecher that serves
	// nothing (event=started, port 0, left > 0, numwant) and withdraws at
	// once (event=stopped): what real trackers answer with peers.
	ModeLeecher Mode = iota
	// ModeStopped sends only an event=stopped announce: never registers,
	// but opentracker and most public trackers answer it with no peers.
	ModeStopped
)

// Config configures a [Client].
type Config struct {
	// Mode is how announces are made (default ModeLeecher).
	Mode Mode
	// Timeout bounds one announce or scrape, retries included.
	Timeout time.Duration
	// UDPRetry is the wait before a UDP request is sent again.
	UDPRetry time.Duration
	// NumWant is the numwant we ask for.
	NumWant int
	// MaxResponse caps an HTTP response body (after decompression).
	MaxResponse int64
	// MaxPeers caps the peers taken from one response.
	MaxPeers int
	// PeerIDPrefix starts the random peer id of each announce.
	PeerIDPrefix string
	// UserAgent is sent to HTTP trackers.
	UserAgent string
	// AllowPrivate allows loopback and private tracker addresses (local
	// test swarms). Link-local, multicast and reserved addresses are always
	// refused.
	AllowPrivate bool
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns the Config for real use.
func DefaultConfig() Config {
	return Config{
		Mode:         ModeLeecher,
		Timeout:      20 * time.Second,
		UDPRetry:     3 * time.Second,
		NumWant:      200,
		MaxResponse:  1 << 20,
		MaxPeers:     2000,
		PeerIDPrefix: peerdial.PeerIDPrefix,
		UserAgent:    "leakhunt",
	}
}

// Response is what an announce returned.
type Response struct {
	// Peers are the peers listed (IPv4 and IPv6), deduplicated, port 0 and
	// unusable addresses dropped.
	Peers []netip.AddrPort
	// Interval is the re-announce interval the tracker asked for.
	Interval time.Duration
	// Seeders and Leechers are the tracker's counts, when it gave them
	// (HasCounts).
	Seeders, Leechers int
	HasCounts         bool
	// Warning is an HTTP tracker's "warning message".
	Warning string
}

// Counts are a scrape's figures for one torrent.
type Counts struct {
	Seeders, Leechers, Completed int
}

// Errors.
var (
	// ErrResponse is wrapped by errors about a malformed or hostile response.
	ErrResponse = errors.New("bad tracker response")
	// ErrFailure is wrapped when the tracker answered with a failure.
	ErrFailure = errors.New("tracker failure")
	// ErrNoScrape means the tracker URL has no scrape convention (BEP 48).
	ErrNoScrape = errors.New("tracker has no scrape URL")
	// ErrURL is wrapped by errors about an unusable tracker URL.
	ErrURL = errors.New("unusable tracker URL")
	// ErrForbiddenAddr is wrapped when a tracker resolves to an address we
	// refuse to contact.
	ErrForbiddenAddr = netpolicy.ErrForbidden
)

// Client talks to trackers. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *http.Client
	logger *slog.Logger
}

// New returns a Client. Zero fields of cfg take DefaultConfig values.
func New(cfg Config) *Client {
	def := DefaultConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.UDPRetry <= 0 {
		cfg.UDPRetry = def.UDPRetry
	}
	if cfg.NumWant <= 0 {
		cfg.NumWant = def.NumWant
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = def.MaxResponse
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = def.MaxPeers
	}
	if cfg.PeerIDPrefix == "" || len(cfg.PeerIDPrefix) > 20 {
		cfg.PeerIDPrefix = def.PeerIDPrefix
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = def.UserAgent
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg, logger: logger}
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: c.control}
	c.http = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would bypass the address checks
			DialContext:            dialer.DialContext,
			TLSHandshakeTimeout:    cfg.Timeout,
			ResponseHeaderTimeout:  cfg.Timeout,
			MaxResponseHeaderBytes: 64 << 10,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 2 {
				return fmt.Errorf("%w: too many redirects", ErrResponse)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to %q", ErrURL, req.URL.Scheme)
			}
			return nil
		},
	}
	return c
}

// control refuses connections to forbidden addresses; it runs after DNS
// resolution, for every address dialled.
func (c *Client) control(network, address string, raw syscall.RawConn) error {
	return c.policy().Control(network, address, raw)
}

func (c *Client) checkAddr(ip netip.Addr) error { return c.policy().Check(ip) }

// policy is leakhunt's address rule: public addresses only, unless
// AllowPrivate.
func (c *Client) policy() netpolicy.Policy {
	if c.cfg.AllowPrivate {
		return netpolicy.Local()
	}
	return netpolicy.Policy{}
}

// Announce asks the tracker at rawURL for the peers of ih, in the
// configured Mode, without registering a reachable peer. left is what we
// say we still need: the torrent's size when known (we hold none of it);
// 0 or less says 1.
func (c *Client) Announce(ctx context.Context, rawURL string, ih fingerprint.InfoHash, left int64) (Response, error) {
	u, err := c.parseURL(rawURL)
	if err != nil {
		return Response{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	a := announce{ih: ih, peerID: c.peerID(), key: randUint32(), numWant: c.cfg.NumWant, event: eventStopped}
	if c.cfg.Mode == ModeLeecher {
		a.event, a.left = eventStarted, max(left, 1)
	}
	resp, err := c.announce(ctx, u, a)
	if c.cfg.Mode == ModeLeecher {
		// Withdraw even if the first announce failed: it may have
		// registered. A fresh context: the withdrawal matters most when
		// ctx ran out during the first announce.
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
		w := a
		w.event, w.numWant = eventStopped, 0
		if _, werr := c.announce(wctx, u, w); werr != nil {
			c.logger.Debug("tracker withdraw failed", "tracker", rawURL, "error", werr)
		}
		wcancel()
	}
	if err != nil {
		return Response{}, fmt.Errorf("announce to %s: %w", redact(u), err)
	}
	return resp, nil
}

// Scrape asks the tracker at rawURL for ih's counts (BEP 48 for HTTP,
// BEP 15 for UDP). Scraping never registers anything.
func (c *Client) Scrape(ctx context.Context, rawURL string, ih fingerprint.InfoHash) (Counts, error) {
	u, err := c.parseURL(rawURL)
	if err != nil {
		return Counts{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var counts Counts
	if u.Scheme == "udp" {
		counts, err = c.udpScrape(ctx, u, ih)
	} else {
		counts, err = c.httpScrape(ctx, u, ih)
	}
	if err != nil {
		return Counts{}, fmt.Errorf("scrape %s: %w", redact(u), err)
	}
	return counts, nil
}

func (c *Client) announce(ctx context.Context, u *url.URL, a announce) (Response, error) {
	if u.Scheme == "udp" {
		return c.udpAnnounce(ctx, u, a)
	}
	return c.httpAnnounce(ctx, u, a)
}

func (c *Client) parseURL(rawURL string) (*url.URL, error) {
	if len(rawURL) > 2048 {
		return nil, fmt.Errorf("%w: %d bytes long", ErrURL, len(rawURL))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	switch u.Scheme {
	case "http", "https", "udp":
	default:
		return nil, fmt.Errorf("%w: scheme %q", ErrURL, u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil {
		return nil, fmt.Errorf("%w: %s", ErrURL, redact(u))
	}
	if u.Scheme == "udp" && u.Port() == "" {
		return nil, fmt.Errorf("%w: udp tracker without a port", ErrURL)
	}
	return u, nil
}

// redact drops the query (private trackers put passkeys there) for logs
// and errors.
func redact(u *url.URL) string {
	r := *u
	r.RawQuery, r.User, r.Fragment = "", nil, ""
	return r.String()
}

func (c *Client) peerID() [20]byte {
	var id [20]byte
	n := copy(id[:], c.cfg.PeerIDPrefix)
	_, _ = rand.Read(id[n:])
	return id
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

type event int

// BEP 15 event numbers; HTTP uses the names.
const (
	eventStarted event = 2
	eventStopped event = 3
)

// announce is one announce request. port is always 0 and uploaded and
// downloaded 0: there is no field for them.
type announce struct {
	ih      [20]byte
	peerID  [20]byte
	key     uint32
	numWant int
	left    int64
	event   event
}

// peerSet collects peers up to a cap, deduplicated, dropping unusable ones.
type peerSet struct {
	max   int
	seen  map[netip.AddrPort]struct{}
	peers []netip.AddrPort
}

func newPeerSet(max int) *peerSet {
	return &peerSet{max: max, seen: map[netip.AddrPort]struct{}{}}
}

func (s *peerSet) add(ip netip.Addr, port uint16) {
	ip = ip.Unmap()
	if len(s.peers) >= s.max || port == 0 || !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return
	}
	ap := netip.AddrPortFrom(ip, port)
	if _, ok := s.seen[ap]; ok {
		return
	}
	s.seen[ap] = struct{}{}
	s.peers = append(s.peers, ap)
}

// addCompact adds compact peers: 6 bytes (IPv4) or 18 (IPv6) each.
func (s *peerSet) addCompact(b []byte, size int) error {
	if len(b)%size != 0 {
		return fmt.Errorf("%w: compact peers of %d bytes is not a multiple of %d", ErrResponse, len(b), size)
	}
	for ; len(b) >= size; b = b[size:] {
		ip, _ := netip.AddrFromSlice(b[:size-2])
		s.add(ip, binary.BigEndian.Uint16(b[size-2:size]))
	}
	return nil
}

// Source adapts one tracker URL to a peer source: Peers announces (in the
// Client's Mode, saying left bytes are still needed) and returns the
// listed peers.
func (c *Client) Source(rawURL string, left int64) Source {
	return Source{c: c, url: rawURL, left: left}
}

// Source is one tracker as a peer source; see [Client.Source].
type Source struct {
	c    *Client
	url  string
	left int64
}

// URL returns the tracker URL.
func (s Source) URL() string { return s.url }

// Peers returns the peers the tracker lists for ih.
func (s Source) Peers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error) {
	r, err := s.c.Announce(ctx, s.url, ih, s.left)
	return r.Peers, err
}
