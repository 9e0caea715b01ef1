package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/temoto/robotstxt"
	"golang.org/x/time/rate"
)

// robotsTTL is how long a host's robots.txt is trusted.
const robotsTTL = 12 * time.Hour

type robotsEntry struct {
	data    *robotstxt.RobotsData
	fetched time.Time
}

// checkRobots returns nil when robots.txt lets our agent fetch u, an error
// wrapping [ErrRobotsDisallowed] when it does not, or the error that kept us
// from reading robots.txt (then u is not fetched either).
func (c *Client) checkRobots(ctx context.Context, u *url.URL) error {
	data, err := c.robotsData(ctx, u)
	if err != nil {
		return fmt.Errorf("GET %s: robots.txt: %w", redactURL(u), err)
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	if !data.TestAgent(p, c.agent) {
		return fmt.Errorf("GET %s: %w", redactURL(u), ErrRobotsDisallowed)
	}
	return nil
}

// robotsData returns the robots.txt of u's host, fetched once per host
// (concurrent callers wait for it) and kept for robotsTTL.
func (c *Client) robotsData(ctx context.Context, u *url.URL) (*robotstxt.RobotsData, error) {
	h := c.host(u)
	for {
		h.mu.Lock()
		if e := h.robots; e != nil && time.Since(e.fetched) < robotsTTL {
			h.mu.Unlock()
			return e.data, nil
		}
		if ch := h.robotsWait; ch != nil {
			h.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		h.robotsWait = ch
		h.mu.Unlock()

		data, err := c.fetchRobots(ctx, u)

		h.mu.Lock()
		h.robotsWait = nil
		if err == nil {
			h.robots = &robotsEntry{data: data, fetched: time.Now()}
		}
		h.mu.Unlock()
		close(ch)
		if err != nil {
			return nil, err
		}
		if d := data.FindGroup(c.agent).CrawlDelay; d > 0 && d > c.cfg.HostInterval {
			d = min(d, c.cfg.MaxCrawlDelay)
			if d > c.cfg.HostInterval {
				h.lim.SetLimit(rate.Every(d))
			}
		}
		return data, nil
	}
}

// fetchRobots reads /robots.txt: 2xx is parsed (its first MaxRobotsBytes),
// 4xx means no restriction, 5xx means "crawl nothing", as search engines
// treat them. A network error is returned.
func (c *Client) fetchRobots(ctx context.Context, u *url.URL) (*robotstxt.RobotsData, error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	res, err := c.fetch(ctx, ru, fetchOptions{maxBytes: c.cfg.MaxRobotsBytes, truncate: true, skipRobots: true, accept: "text/plain"})
	status := 200
	var body []byte
	if err != nil {
		var se *StatusError
		if !errors.As(err, &se) {
			return nil, err
		}
		status = se.Code
	} else {
		body = res.Body
	}
	data, err := robotstxt.FromStatusAndBytes(status, body)
	if err != nil {
		// An unparsable robots.txt restricts nothing we can read.
		c.log.Debug("robots.txt unparsable", "host", u.Host, "err", err)
		data, _ = robotstxt.FromStatusAndBytes(404, nil)
	}
	return data, nil
}
