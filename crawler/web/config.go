package web

import (
	"errors"
	"log/slog"
	"net/netip"
	"time"
)

// Config configures a [Client], a [Crawler] and a [TorznabSource]. Start from
// [DefaultConfig]; the zero value is not usable.
type Config struct {
	// UserAgent is sent with every request; its product token (the part
	// before "/") is the agent matched against robots.txt groups.
	UserAgent string
	// MaxPages is the most pages followed from one start URL (pagination
	// limit). The start page counts.
	MaxPages int
	// MaxBodyBytes caps a page or feed body after decompression.
	MaxBodyBytes int64
	// MaxTorrentBytes caps a downloaded .torrent file.
	MaxTorrentBytes int64
	// MaxRobotsBytes caps a robots.txt body.
	MaxRobotsBytes int64
	// FetchTorrents downloads .torrent links found on pages and feeds and
	// returns their bytes in Sighting.Torrent.
	FetchTorrents bool
	// MaxTorrentsPerPage bounds the .torrent downloads for one page, feed or
	// search (the links beyond it are still reported, without bytes).
	MaxTorrentsPerPage int
	// MaxLinksPerPage bounds the links extracted from one page.
	MaxLinksPerPage int
	// HostInterval is the least time between two requests to one host
	// (robots.txt Crawl-delay can make it longer, up to MaxCrawlDelay).
	HostInterval time.Duration
	// MaxCrawlDelay bounds the Crawl-delay honoured from robots.txt.
	MaxCrawlDelay time.Duration
	// Retries is how many times a request that failed with a 5xx status, a
	// 429 or a timeout is retried (0: no retry).
	Retries int
	// RetryBaseDelay is the first backoff; it doubles per retry, with
	// jitter, up to RetryMaxDelay.
	RetryBaseDelay time.Duration
	// RetryMaxDelay bounds one backoff (and a Retry-After header).
	RetryMaxDelay time.Duration
	// RequestTimeout bounds one attempt: connecting, headers and body.
	RequestTimeout time.Duration
	// MaxRedirects is the most redirects followed for one fetch.
	MaxRedirects int
	// Concurrency is how many start URLs a [Crawler] crawls at once.
	Concurrency int
	// Interval, when positive, makes Discover repeat its work every Interval
	// until its context is done (re-crawls use conditional GETs). Zero:
	// one round, then Discover returns.
	Interval time.Duration
	// AllowLoopback permits connections to loopback addresses (127.0.0.0/8,
	// ::1). Off by default; tests turn it on.
	AllowLoopback bool
	// AllowPrivate permits connections to private addresses (RFC 1918,
	// RFC 6598 shared space, IPv6 unique local). Off by default.
	AllowPrivate bool
	// AllowAddrs permits these prefixes whatever the two switches above say,
	// e.g. the address of a local Jackett. Link-local, multicast and
	// unspecified addresses are refused unless listed here.
	AllowAddrs []netip.Prefix
	// Profiles are site profiles, matched by host; nil: generic extraction
	// only.
	Profiles *Profiles
	// State remembers ETag and Last-Modified between crawls; nil: an
	// in-memory [MemoryState] private to the client.
	State StateStore
	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a conservative configuration: robots.txt obeyed, one
// request per second per host, 20 pages per start URL, 8 MiB per page, 16 MiB
// per .torrent, 3 retries, 5 redirects, no private or loopback targets.
func DefaultConfig() Config {
	return Config{
		UserAgent:          "leakhunt/dev",
		MaxPages:           20,
		MaxBodyBytes:       8 << 20,
		MaxTorrentBytes:    16 << 20,
		MaxRobotsBytes:     512 << 10,
		FetchTorrents:      true,
		MaxTorrentsPerPage: 50,
		MaxLinksPerPage:    5000,
		HostInterval:       time.Second,
		MaxCrawlDelay:      30 * time.Second,
		Retries:            3,
		RetryBaseDelay:     500 * time.Millisecond,
		RetryMaxDelay:      15 * time.Second,
		RequestTimeout:     30 * time.Second,
		MaxRedirects:       5,
		Concurrency:        2,
	}
}

func (c Config) validate() error {
	switch {
	case c.UserAgent == "":
		return errors.New("web config: empty UserAgent")
	case c.MaxPages < 1:
		return errors.New("web config: MaxPages must be at least 1")
	case c.MaxBodyBytes < 1 || c.MaxTorrentBytes < 1 || c.MaxRobotsBytes < 1:
		return errors.New("web config: body caps must be positive")
	case c.MaxLinksPerPage < 1:
		return errors.New("web config: MaxLinksPerPage must be at least 1")
	case c.Retries < 0 || c.MaxRedirects < 0 || c.MaxTorrentsPerPage < 0:
		return errors.New("web config: Retries, MaxRedirects and MaxTorrentsPerPage must not be negative")
	case c.RequestTimeout <= 0:
		return errors.New("web config: RequestTimeout must be positive")
	case c.Concurrency < 1:
		return errors.New("web config: Concurrency must be at least 1")
	}
	return nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}
