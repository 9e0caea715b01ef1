package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// Profile tells the extractor how to read one site: CSS selectors for the
// rows of its listing and, inside a row, the name, the size and the links,
// plus the next-page link. Empty selectors fall back to the generic rules.
type Profile struct {
	// ID names the profile in logs.
	ID string `json:"id"`
	// Hosts are the hosts it applies to; "example.org" also matches
	// "www.example.org" and other subdomains.
	Hosts []string `json:"hosts"`
	// Row selects one element per listed item (required).
	Row string `json:"row"`
	// Name selects, inside a row, the element whose text is the name.
	Name string `json:"name,omitempty"`
	// Size selects, inside a row, the element whose text holds the size.
	Size string `json:"size,omitempty"`
	// Link selects, inside a row, the anchors to read (default: every
	// anchor that is a magnet, ed2k or .torrent link).
	Link string `json:"link,omitempty"`
	// Next selects, in the page, the next-page anchor.
	Next string `json:"next,omitempty"`

	row, name, size, link, next cascadia.Selector
}

// Profiles is a set of site profiles. It is immutable once loaded and safe
// for concurrent use.
type Profiles struct {
	list []*Profile
}

type profilesFile struct {
	Profiles []*Profile `json:"profiles"`
}

const maxProfileFile = 1 << 20

// LoadProfiles reads site profiles from a JSON file of the form
//
//	{"profiles": [{"id": "example", "hosts": ["tracker.example"],
//	  "row": "table.list tr", "name": "td.name a", "size": "td.size",
//	  "link": "a[href^='magnet:']", "next": "a.next"}]}
func LoadProfiles(path string) (*Profiles, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxProfileFile+1))
	if err != nil {
		return nil, fmt.Errorf("load profiles %q: %w", path, err)
	}
	if len(b) > maxProfileFile {
		return nil, fmt.Errorf("load profiles %q: file larger than %d bytes", path, maxProfileFile)
	}
	p, err := ParseProfiles(b)
	if err != nil {
		return nil, fmt.Errorf("load profiles %q: %w", path, err)
	}
	return p, nil
}

// ParseProfiles parses the JSON form [LoadProfiles] reads and compiles every
// selector, so a typo is reported now rather than matching nothing later.
func ParseProfiles(data []byte) (*Profiles, error) {
	var pf profilesFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pf); err != nil {
		return nil, fmt.Errorf("parse profiles: %w", err)
	}
	for i, p := range pf.Profiles {
		if p == nil {
			return nil, fmt.Errorf("profile %d: null", i)
		}
		if err := p.compile(); err != nil {
			return nil, fmt.Errorf("profile %d (%q): %w", i, p.ID, err)
		}
	}
	return &Profiles{list: pf.Profiles}, nil
}

func (p *Profile) compile() error {
	if len(p.Hosts) == 0 {
		return errors.New("no hosts")
	}
	for i, h := range p.Hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || strings.ContainsAny(h, "/ ") {
			return fmt.Errorf("bad host %q", p.Hosts[i])
		}
		p.Hosts[i] = h
	}
	if p.Row == "" {
		return errors.New("no row selector")
	}
	for _, s := range []struct {
		name string
		src  string
		dst  *cascadia.Selector
	}{{"row", p.Row, &p.row}, {"name", p.Name, &p.name}, {"size", p.Size, &p.size}, {"link", p.Link, &p.link}, {"next", p.Next, &p.next}} {
		if s.src == "" {
			continue
		}
		sel, err := cascadia.Compile(s.src)
		if err != nil {
			return fmt.Errorf("%s selector %q: %w", s.name, s.src, err)
		}
		*s.dst = sel
	}
	return nil
}

// Match returns the profile for host (a URL's Host, port ignored), or nil.
func (ps *Profiles) Match(host string) *Profile {
	if ps == nil {
		return nil
	}
	host = strings.ToLower(host)
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(h, "]") && !strings.HasPrefix(host, "[") {
		host = h
	} else if strings.HasPrefix(host, "[") {
		if i := strings.Index(host, "]"); i > 0 {
			host = host[1:i]
		}
	}
	for _, p := range ps.list {
		for _, h := range p.Hosts {
			if host == h || strings.HasSuffix(host, "."+h) {
				return p
			}
		}
	}
	return nil
}

// Len returns the number of profiles.
func (ps *Profiles) Len() int {
	if ps == nil {
		return 0
	}
	return len(ps.list)
}

// profile extracts links with p's selectors.
func (e *extractor) profile(p *Profile) {
	if p.row == nil {
		return
	}
	var cands []candidate
	var rows []*html.Node
	e.doc.FindMatcher(p.row).Each(func(_ int, row *goquery.Selection) {
		rn := row.Nodes[0]
		var anchors []*html.Node
		if p.link != nil {
			anchors = row.FindMatcher(p.link).Nodes
		} else {
			anchors = row.Find("a[href], area[href]").Nodes
		}
		for _, a := range anchors {
			if kind, link := classify(e.base, attr(a, "href")); kind != 0 {
				cands = append(cands, e.newCandidate(a, true, kind, link))
				rows = append(rows, rn)
			}
		}
	})
	e.countBoxes(cands)
	for i, c := range cands {
		row := goquery.NewDocumentFromNode(rows[i]).Selection
		if c.link.Name == "" && p.name != nil {
			if n := row.FindMatcher(p.name).First(); n.Length() > 0 {
				c.link.Name = cleanText(textOf(n.Nodes[0], 1024, 200))
			}
		}
		if c.link.Size == 0 && p.size != nil {
			if n := row.FindMatcher(p.size).First(); n.Length() > 0 {
				c.link.Size, _ = FindSize(textOf(n.Nodes[0], 256, 50))
			}
		}
		if !e.add(c) {
			return
		}
	}
}

// profileNext returns the next-page link p selects, or nil.
func (e *extractor) profileNext(p *Profile) *url.URL {
	n := e.doc.FindMatcher(p.next).First()
	if n.Length() == 0 {
		return nil
	}
	return e.nextURL(n.AttrOr("href", ""))
}
