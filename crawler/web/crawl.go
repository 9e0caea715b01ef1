package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/crawler"
)

// Crawler is a [crawler.Source] that crawls a list of start URLs: each page
// is fetched with the [Client], feeds are read with [ExtractFeed], HTML pages
// with [ExtractPageProfile] (the profile matching the page's host, if any),
// and next-page links are followed up to Config.MaxPages per start URL, each
// URL at most once per round. It is safe for concurrent use.
type Crawler struct {
	cfg    Config
	client *Client
	starts []*url.URL
}

var _ crawler.Source = (*Crawler)(nil)

// Stats counts what one crawl round did.
type Stats struct {
	Pages       int // pages and feeds fetched and parsed
	NotModified int // pages answered 304 to a conditional GET
	Links       int // sightings emitted
	Loops       int // next links not followed because already seen
	Errors      int // start URLs whose chain ended on an error
}

// New returns a Crawler for startURLs (http or https).
func New(cfg Config, startURLs []string) (*Crawler, error) {
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	cr := &Crawler{cfg: cfg, client: c}
	for _, s := range startURLs {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("start URL %q: %w", s, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("start URL %q: %w", s, ErrScheme)
		}
		u.Fragment = ""
		cr.starts = append(cr.starts, u)
	}
	return cr, nil
}

// Name returns "web".
func (c *Crawler) Name() string { return crawler.SourceWeb }

// Client returns the crawler's client (for Torznab searches or single
// fetches sharing its rate limits and robots.txt cache).
func (c *Crawler) Client() *Client { return c.client }

// Close releases idle connections.
func (c *Crawler) Close() { c.client.Close() }

// Discover crawls the start URLs once, or every Config.Interval until ctx is
// done, emitting a sighting per link found (Source "web" for pages, "rss"
// for feeds). A start URL that fails does not stop the others; in one-round
// mode the failures are returned joined, otherwise they are logged.
func (c *Crawler) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	for {
		_, err := c.Crawl(ctx, emit)
		if c.cfg.Interval <= 0 {
			return err
		}
		if err != nil && ctx.Err() == nil {
			c.client.log.Warn("web crawl round had errors", "err", err)
		}
		t := time.NewTimer(c.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Crawl runs one round over the start URLs, Config.Concurrency at a time.
func (c *Crawler) Crawl(ctx context.Context, emit func(crawler.Sighting)) (Stats, error) {
	r := &round{c: c, seen: make(map[string]bool)}
	var g errgroup.Group
	g.SetLimit(c.cfg.Concurrency)
	for _, u := range c.starts {
		g.Go(func() error {
			if err := r.chain(ctx, u, emit); err != nil {
				r.mu.Lock()
				r.errs = append(r.errs, fmt.Errorf("crawl %s: %w", redactURL(u), err))
				r.stats.Errors++
				r.mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return nil; errors are collected
	if ctx.Err() != nil {
		return r.stats, ctx.Err()
	}
	return r.stats, errors.Join(r.errs...)
}

// round is the state of one crawl round.
type round struct {
	c     *Crawler
	mu    sync.Mutex
	seen  map[string]bool
	stats Stats
	errs  []error
}

// visit marks u seen and reports whether it was new.
func (r *round) visit(u *url.URL) bool {
	k := seenKey(u)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[k] {
		r.stats.Loops++
		return false
	}
	r.seen[k] = true
	return true
}

func (r *round) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// pageState is what the StateStore keeps per page URL.
type pageState struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Next         string `json:"next,omitempty"`
}

const stateKeyPrefix = "web/page/"

func (c *Crawler) loadState(u *url.URL) pageState {
	var ps pageState
	if b, ok := c.client.state.Get(stateKeyPrefix + u.String()); ok {
		if err := json.Unmarshal(b, &ps); err != nil {
			return pageState{}
		}
	}
	return ps
}

func (c *Crawler) saveState(u *url.URL, ps pageState) {
	if ps.ETag == "" && ps.LastModified == "" {
		return
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return
	}
	c.client.state.Put(stateKeyPrefix+u.String(), b)
}

// chain crawls one start URL and the pages after it. An error on a later
// page ends the chain and is returned too.
func (r *round) chain(ctx context.Context, start *url.URL, emit func(crawler.Sighting)) error {
	c := r.c
	log := c.client.log
	u := start
	for page := 0; page < c.cfg.MaxPages; page++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !r.visit(u) {
			log.Debug("page already seen", "url", redactURL(u))
			return nil
		}
		prev := c.loadState(u)
		res, err := c.client.fetch(ctx, u, fetchOptions{
			maxBytes:     c.cfg.MaxBodyBytes,
			accept:       "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1",
			etag:         prev.ETag,
			lastModified: prev.LastModified,
		})
		if err != nil {
			return err
		}
		if res.Magnet != "" {
			return fmt.Errorf("GET %s: redirected to a magnet URI", redactURL(u))
		}
		if res.NotModified {
			r.count(func(s *Stats) { s.NotModified++ })
			log.Debug("not modified", "url", redactURL(u))
			next, err := url.Parse(prev.Next)
			if prev.Next == "" || err != nil {
				return nil
			}
			u = next
			continue
		}
		if res.URL.String() != u.String() && !r.visit(res.URL) {
			return nil // redirected onto a page already crawled
		}
		budget := c.cfg.MaxTorrentsPerPage
		if IsFeed(res.ContentType, res.Body) {
			links, err := ExtractFeed(res.URL, res.Body)
			if err != nil {
				return fmt.Errorf("%s: %w", redactURL(res.URL), err)
			}
			links = links[:min(len(links), c.cfg.MaxLinksPerPage)]
			n := c.client.emitLinks(ctx, links, crawler.SourceRSS, redactURL(res.URL), false, &budget, emit)
			r.count(func(s *Stats) { s.Pages++; s.Links += n })
			if ctx.Err() == nil {
				c.saveState(u, pageState{ETag: res.ETag, LastModified: res.LastModified})
			}
			return nil
		}
		pr, err := ExtractPageProfile(res.URL, res.Body, res.ContentType, c.cfg.Profiles.Match(res.URL.Host))
		if err != nil {
			return fmt.Errorf("%s: %w", redactURL(res.URL), err)
		}
		links := pr.Links[:min(len(pr.Links), c.cfg.MaxLinksPerPage)]
		n := c.client.emitLinks(ctx, links, crawler.SourceWeb, redactURL(res.URL), false, &budget, emit)
		r.count(func(s *Stats) { s.Pages++; s.Links += n })
		log.Debug("page", "url", redactURL(res.URL), "links", n, "charset", pr.Charset)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ps := pageState{ETag: res.ETag, LastModified: res.LastModified}
		if pr.Next != nil {
			ps.Next = pr.Next.String()
		}
		c.saveState(u, ps)
		if pr.Next == nil {
			return nil
		}
		u = pr.Next
	}
	log.Debug("page limit reached", "start", redactURL(start), "max_pages", c.cfg.MaxPages)
	return nil
}

// seenKey normalizes u for loop detection: scheme and host lower case,
// default port, empty query and fragment dropped, empty path as "/".
func seenKey(u *url.URL) string {
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	n.Host = strings.ToLower(n.Host)
	if (n.Scheme == "http" && strings.HasSuffix(n.Host, ":80")) || (n.Scheme == "https" && strings.HasSuffix(n.Host, ":443")) {
		n.Host = n.Host[:strings.LastIndexByte(n.Host, ':')]
	}
	n.ForceQuery = false
	n.Fragment, n.RawFragment = "", ""
	if n.Path == "" && n.RawPath == "" {
		n.Path = "/"
	}
	return n.String()
}
