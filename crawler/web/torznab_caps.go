package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Limits on Torznab documents beyond the body cap.
const (
	// maxTorznabTokens bounds the XML tokens read from one caps document
	// or one result page when counting its items.
	maxTorznabTokens = 200_000
	// maxTorznabCategories bounds the categories kept from caps.
	maxTorznabCategories = 1000
	// maxTorznabLimit bounds the page size we ask for, whatever the
	// server allows.
	maxTorznabLimit = 500
)

// TorznabCaps is what a Torznab server says it can do (t=caps).
type TorznabCaps struct {
	// Search is whether t=search is available, with the parameters it
	// supports ("q", "imdbid", ...).
	Search       bool
	SearchParams []string
	// DefaultLimit and MaxLimit are how many results a page holds by
	// default and at most (0: not said).
	DefaultLimit, MaxLimit int
	// Categories are the categories (and subcategories) the server lists.
	Categories []TorznabCategory
}

// TorznabCategory is one category of a Torznab server.
type TorznabCategory struct {
	ID   int
	Name string
}

// PageSize is the number of results to ask for per page: MaxLimit when
// said, else DefaultLimit, at most 500; 0 when the server said neither
// (then no limit is sent and the server's default applies).
func (c TorznabCaps) PageSize() int {
	n := c.MaxLimit
	if n <= 0 {
		n = c.DefaultLimit
	}
	return min(max(n, 0), maxTorznabLimit)
}

// TorznabCaps asks a Torznab endpoint what it can do (t=caps). The API key
// never appears in errors.
func (c *Client) TorznabCaps(ctx context.Context, endpoint, key string) (TorznabCaps, error) {
	u, err := torznabRequest(endpoint, key, url.Values{"t": {"caps"}})
	if err != nil {
		return TorznabCaps{}, err
	}
	res, err := c.fetch(ctx, u, fetchOptions{maxBytes: c.cfg.MaxBodyBytes, skipRobots: true,
		accept: "application/xml, text/xml;q=0.9, */*;q=0.1"})
	if err != nil {
		return TorznabCaps{}, fmt.Errorf("torznab caps: %w", err)
	}
	if te := torznabError(res.Body); te != nil {
		return TorznabCaps{}, fmt.Errorf("torznab caps at %s: %w", redactURL(u), te)
	}
	return parseTorznabCaps(res.Body)
}

// torznabRequest builds an API URL from the endpoint (as [TorznabURL]
// does) with the given parameters.
func torznabRequest(endpoint, key string, params url.Values) (*url.URL, error) {
	u, err := TorznabURL(endpoint, key, "")
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Del("q")
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u, nil
}

// newTorznabDecoder returns a lenient XML decoder over body (charsets are
// the body's own business: the feed parser decodes them).
func newTorznabDecoder(body []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return d
}

// parseTorznabCaps reads a caps document: <caps><limits max= default=/>
// <searching><search available= supportedParams=/></searching>
// <categories><category id= name=><subcat id= name=/></category>...
func parseTorznabCaps(body []byte) (TorznabCaps, error) {
	var caps TorznabCaps
	d := newTorznabDecoder(body)
	sawCaps := false
	for range maxTorznabTokens {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return caps, fmt.Errorf("torznab caps: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(name string) string {
			for _, a := range se.Attr {
				if a.Name.Local == name {
					return a.Value
				}
			}
			return ""
		}
		switch se.Name.Local {
		case "caps":
			sawCaps = true
		case "limits":
			caps.MaxLimit, caps.DefaultLimit = atoiPositive(attr("max")), atoiPositive(attr("default"))
		case "search":
			caps.Search = attr("available") == "yes"
			for p := range strings.SplitSeq(attr("supportedParams"), ",") {
				if p = strings.TrimSpace(p); p != "" && len(caps.SearchParams) < 32 {
					caps.SearchParams = append(caps.SearchParams, truncateRunes(cleanText(p), 32))
				}
			}
		case "category", "subcat":
			if id := atoiPositive(attr("id")); id > 0 && len(caps.Categories) < maxTorznabCategories {
				caps.Categories = append(caps.Categories, TorznabCategory{ID: id, Name: truncateRunes(cleanText(attr("name")), 100)})
			}
		}
	}
	if !sawCaps {
		return TorznabCaps{}, fmt.Errorf("torznab caps: not a caps document")
	}
	return caps, nil
}

// torznabPage is what a result page says about paging.
type torznabPage struct {
	items int // <item> elements on the page
	total int // the server's total for the query, or -1 when not given
}

// parseTorznabPage counts a result page's items and reads its
// <newznab:response offset= total=/> (or torznab:response).
func parseTorznabPage(body []byte) torznabPage {
	p := torznabPage{total: -1}
	d := newTorznabDecoder(body)
	for range maxTorznabTokens {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "item":
			p.items++
		case "response":
			for _, a := range se.Attr {
				if a.Name.Local == "total" {
					if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n >= 0 {
						p.total = n
					}
				}
			}
		}
	}
	return p
}

func atoiPositive(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 1<<30 {
		return 0
	}
	return n
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
