package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
)

// TorznabError is an error a Torznab server answered with
// (<error code="100" description="Incorrect user credentials"/>).
type TorznabError struct {
	Code        string
	Description string
}

// Error returns the server's code and description.
func (e *TorznabError) Error() string {
	return fmt.Sprintf("torznab error %s: %s", e.Code, e.Description)
}

// TorznabURL builds the search URL for endpoint (the Torznab API URL; when
// its path ends in "/", "api" is appended, as Jackett's copied feed URLs
// need), key and query. Other query parameters of endpoint (cat=...) are
// kept.
func TorznabURL(endpoint, key, query string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		return nil, fmt.Errorf("torznab endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("torznab endpoint %q: %w", redactURL(u), ErrScheme)
	}
	if u.Path == "" || strings.HasSuffix(u.Path, "/") {
		u.Path = path.Join(u.Path, "api")
		if !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
	}
	q := u.Query()
	q.Set("t", "search")
	q.Set("q", query)
	if key != "" {
		q.Set("apikey", key)
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u, nil
}

// TorznabSearch searches a Torznab endpoint (Jackett, Prowlarr) for query
// and returns the links of the results; each Link.Page is the result's page
// on the indexed site when the server gives one. robots.txt is not consulted
// for the API itself (it is a user-configured service, not a crawl); rate
// limits, retries, caps and the address policy apply. The API key never
// appears in errors.
func (c *Client) TorznabSearch(ctx context.Context, endpoint, key, query string) ([]Link, error) {
	u, err := TorznabURL(endpoint, key, query)
	if err != nil {
		return nil, err
	}
	res, err := c.fetch(ctx, u, fetchOptions{
		maxBytes:   c.cfg.MaxBodyBytes,
		skipRobots: true,
		accept:     "application/rss+xml, application/xml;q=0.9, */*;q=0.1",
	})
	if err != nil {
		return nil, fmt.Errorf("torznab search %q: %w", query, err)
	}
	if te := torznabError(res.Body); te != nil {
		return nil, fmt.Errorf("torznab search %q at %s: %w", query, redactURL(u), te)
	}
	links, err := ExtractFeed(res.URL, res.Body)
	if err != nil {
		return nil, fmt.Errorf("torznab search %q: %w", query, err)
	}
	return links, nil
}

// torznabError returns the error document a Torznab server sent, or nil.
func torznabError(body []byte) *TorznabError {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for range 64 {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "error" {
				return nil
			}
			te := &TorznabError{}
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "code":
					te.Code = a.Value
				case "description":
					te.Description = a.Value
				}
			}
			return te
		}
	}
	return nil
}

// TorznabConfig configures a [TorznabSource].
type TorznabConfig struct {
	// Endpoint is the Torznab API URL, e.g.
	// http://127.0.0.1:9117/api/v2.0/indexers/all/results/torznab/api.
	Endpoint string
	// APIKey is sent as apikey=; it is redacted from errors, logs and
	// sightings.
	APIKey string
	// Queries are searched every round: the catalog's document names (see
	// [QueryFromName]) and per-case keywords.
	Queries []string
	// QueryFunc, when set, is called at the start of every round for more
	// queries (the catalog may change between rounds).
	QueryFunc func(ctx context.Context) ([]string, error)
}

// TorznabSource is a [crawler.Source] that searches a Torznab endpoint for a
// list of queries, once or every Config.Interval. Sightings have Source
// "torznab" and URL the result's page on the indexed site (or the endpoint,
// API key redacted). It is safe for concurrent use.
type TorznabSource struct {
	cfg    Config
	tc     TorznabConfig
	client *Client
}

var _ crawler.Source = (*TorznabSource)(nil)

// NewTorznabSource returns a source for tc. When the endpoint's host is an
// IP literal or "localhost" (a local Jackett), connections to that address
// are allowed even if Config does not allow loopback or private addresses:
// the user named it.
func NewTorznabSource(cfg Config, tc TorznabConfig) (*TorznabSource, error) {
	u, err := TorznabURL(tc.Endpoint, tc.APIKey, "")
	if err != nil {
		return nil, err
	}
	switch h := u.Hostname(); {
	case strings.EqualFold(h, "localhost"):
		cfg.AllowAddrs = append(cfg.AllowAddrs[:len(cfg.AllowAddrs):len(cfg.AllowAddrs)],
			netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128"))
	default:
		if a, err := netip.ParseAddr(h); err == nil {
			a = a.Unmap().WithZone("")
			cfg.AllowAddrs = append(cfg.AllowAddrs[:len(cfg.AllowAddrs):len(cfg.AllowAddrs)], netip.PrefixFrom(a, a.BitLen()))
		}
	}
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &TorznabSource{cfg: cfg, tc: tc, client: c}, nil
}

// Name returns "torznab".
func (s *TorznabSource) Name() string { return "torznab" }

// Close releases idle connections.
func (s *TorznabSource) Close() { s.client.Close() }

// Discover runs the searches (once, or every Config.Interval until ctx is
// done) and emits a sighting per result link. A failed query is logged and
// the others still run; in one-round mode the failures are returned joined.
func (s *TorznabSource) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	for {
		err := s.round(ctx, emit)
		if s.cfg.Interval <= 0 {
			return err
		}
		if err != nil && ctx.Err() == nil {
			s.client.log.Warn("torznab round failed", "err", err)
		}
		t := time.NewTimer(s.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *TorznabSource) round(ctx context.Context, emit func(crawler.Sighting)) error {
	queries := append([]string(nil), s.tc.Queries...)
	var errs []error
	if s.tc.QueryFunc != nil {
		more, err := s.tc.QueryFunc(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("torznab queries: %w", err))
		}
		queries = append(queries, more...)
	}
	seen := make(map[string]bool)
	endpoint, _ := TorznabURL(s.tc.Endpoint, "", "")
	for _, q := range queries {
		q = strings.TrimSpace(q)
		if q == "" || seen[strings.ToLower(q)] {
			continue
		}
		seen[strings.ToLower(q)] = true
		if ctx.Err() != nil {
			return ctx.Err()
		}
		links, err := s.client.TorznabSearch(ctx, s.tc.Endpoint, s.tc.APIKey, q)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.client.log.Warn("torznab search failed", "query", q, "err", err)
			errs = append(errs, err)
			continue
		}
		feedURL := *endpoint
		qv := feedURL.Query()
		qv.Set("q", q)
		qv.Del("apikey")
		feedURL.RawQuery = qv.Encode()
		budget := s.cfg.MaxTorrentsPerPage
		n := s.client.emitLinks(ctx, links, "torznab", feedURL.String(), true, &budget, emit)
		s.client.log.Debug("torznab search", "query", q, "results", n)
	}
	return errors.Join(errs...)
}

// QueryFromName turns a document's file name into a search query: the
// extension dropped and separators ("_", ".", "-") turned into spaces.
func QueryFromName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if ext := path.Ext(name); len(ext) > 1 && len(ext) <= 6 {
		name = strings.TrimSuffix(name, ext)
	}
	name = strings.NewReplacer("_", " ", ".", " ", "-", " ").Replace(name)
	return strings.Join(strings.Fields(name), " ")
}
