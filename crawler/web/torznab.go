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
	"strconv"
	"strings"
	"sync"
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
// and returns the links of the first page of results; each Link.Page is
// the result's page on the indexed site when the server gives one.
// robots.txt is not consulted for the API itself (it is a user-configured
// service, not a crawl); rate limits, retries, caps and the address policy
// apply. The API key never appears in errors.
func (c *Client) TorznabSearch(ctx context.Context, endpoint, key, query string) ([]Link, error) {
	r, err := c.TorznabSearchPage(ctx, endpoint, key, query, 0, 0)
	return r.Links, err
}

// TorznabResults is one page of a Torznab search.
type TorznabResults struct {
	Links []Link
	// Items is how many results (<item>s) the page held; Total the
	// server's count of results for the query, -1 when it did not say.
	Items, Total int
}

// TorznabSearchPage is [Client.TorznabSearch] for the page of results
// starting at offset, of at most limit results (0: the server's default).
func (c *Client) TorznabSearchPage(ctx context.Context, endpoint, key, query string, offset, limit int) (TorznabResults, error) {
	u, err := TorznabURL(endpoint, key, query)
	if err != nil {
		return TorznabResults{}, err
	}
	if offset > 0 || limit > 0 {
		q := u.Query()
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		u.RawQuery = q.Encode()
	}
	res, err := c.fetch(ctx, u, fetchOptions{
		maxBytes:   c.cfg.MaxBodyBytes,
		skipRobots: true,
		accept:     "application/rss+xml, application/xml;q=0.9, */*;q=0.1",
	})
	if err != nil {
		return TorznabResults{}, fmt.Errorf("torznab search %q: %w", query, err)
	}
	if te := torznabError(res.Body); te != nil {
		return TorznabResults{}, fmt.Errorf("torznab search %q at %s: %w", query, redactURL(u), te)
	}
	links, err := ExtractFeed(res.URL, res.Body)
	if err != nil {
		return TorznabResults{}, fmt.Errorf("torznab search %q: %w", query, err)
	}
	p := parseTorznabPage(res.Body)
	return TorznabResults{Links: links, Items: p.items, Total: p.total}, nil
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
// list of queries, once or every Config.Interval. It asks the server's caps
// once (t=caps: whether it searches, how many results a page holds) and
// follows each query's pages (offset, limit) up to Config.MaxPages pages.
// Sightings have Source "torznab" and URL the result's page on the indexed
// site (or the endpoint, API key redacted). It is safe for concurrent use.
type TorznabSource struct {
	cfg    Config
	tc     TorznabConfig
	client *Client

	capsMu sync.Mutex
	caps   *TorznabCaps // nil until asked
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
func (s *TorznabSource) Name() string { return crawler.SourceTorznab }

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
	caps := s.serverCaps(ctx)
	if !caps.Search {
		return errors.Join(append(errs, fmt.Errorf("torznab endpoint %s offers no search (t=caps)", redactURL(mustTorznabURL(s.tc.Endpoint))))...)
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
		feedURL := *endpoint
		qv := feedURL.Query()
		qv.Set("q", q)
		qv.Del("apikey")
		feedURL.RawQuery = qv.Encode()
		if err := s.search(ctx, q, caps.PageSize(), feedURL.String(), emit); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.client.log.Warn("torznab search failed", "query", q, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// search follows the pages of one query: until a page is short or empty,
// the server's total is reached, or Config.MaxPages pages were read. With
// no page size known (no caps), a page is taken as full when the server
// gives a total beyond it.
func (s *TorznabSource) search(ctx context.Context, q string, limit int, feedURL string, emit func(crawler.Sighting)) error {
	offset := 0
	for page := 0; page < s.cfg.MaxPages; page++ {
		r, err := s.client.TorznabSearchPage(ctx, s.tc.Endpoint, s.tc.APIKey, q, offset, limit)
		if err != nil {
			return err
		}
		budget := s.cfg.MaxTorrentsPerPage
		n := s.client.emitLinks(ctx, r.Links, crawler.SourceTorznab, feedURL, true, &budget, emit)
		s.client.log.Debug("torznab search", "query", q, "offset", offset, "items", r.Items, "total", r.Total, "links", n)
		offset += r.Items
		switch {
		case r.Items == 0,
			r.Total >= 0 && offset >= r.Total,
			limit > 0 && r.Items < limit,
			limit == 0 && r.Total < 0:
			return nil
		}
	}
	return nil
}

// serverCaps asks the server's caps once. A server that cannot say (an
// older indexer, an error) is searched as if it could, one default page
// per query.
func (s *TorznabSource) serverCaps(ctx context.Context) TorznabCaps {
	s.capsMu.Lock()
	defer s.capsMu.Unlock()
	if s.caps != nil {
		return *s.caps
	}
	caps, err := s.client.TorznabCaps(ctx, s.tc.Endpoint, s.tc.APIKey)
	if err != nil {
		if ctx.Err() != nil {
			return TorznabCaps{Search: true}
		}
		s.client.log.Warn("torznab caps unavailable; searching one page per query", "err", err)
		caps = TorznabCaps{Search: true}
	}
	s.caps = &caps
	return caps
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

// mustTorznabURL is the endpoint as a URL without key or query, for
// messages (NewTorznabSource checked that it parses).
func mustTorznabURL(endpoint string) *url.URL {
	u, err := TorznabURL(endpoint, "", "")
	if err != nil {
		return &url.URL{}
	}
	return u
}
