package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/leakhunt/leakhunt/crawler"
)

const testAPIKey = "SECRETKEY"

// torznabServer is a fake Jackett: /api checks apikey and answers
// t=search with the fixture; /dl/example/ serves a .torrent.
func torznabServer(t *testing.T, queries *[]string, mu *sync.Mutex) string {
	fixture := readFixture(t, "torznab.xml")
	var base string
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/api/v2.0/indexers/all/results/torznab/api":
			q := r.URL.Query()
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			if q.Get("apikey") != testAPIKey {
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><error code="100" description="Incorrect user credentials"/>`)
				return
			}
			if q.Get("t") != "search" || q.Get("cat") != "8000" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			mu.Lock()
			*queries = append(*queries, q.Get("q"))
			mu.Unlock()
			if !strings.Contains(strings.ToLower(q.Get("q")), "acme") {
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>none</title></channel></rss>`)
				return
			}
			w.Write(bytes.ReplaceAll(fixture, []byte("{{BASE}}"), []byte(base)))
		case "/dl/example/":
			if r.URL.Query().Get("jackett_apikey") != testAPIKey {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			w.Write(fakeTorrent("acme-payroll.pdf"))
		default:
			http.NotFound(w, r)
		}
	})
	base = srv.URL
	return srv.URL
}

func TestTorznabSearch(t *testing.T) {
	ctx := testContext(t)
	var mu sync.Mutex
	var queries []string
	base := torznabServer(t, &queries, &mu)
	endpoint := base + "/api/v2.0/indexers/all/results/torznab/?cat=8000"
	c, err := NewClient(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	links, err := c.TorznabSearch(ctx, endpoint, testAPIKey, "Acme payroll 2024")
	if err != nil {
		t.Fatal(err)
	}
	checkLinks(t, links, []wantLink{
		{LinkTorrent, base + "/dl/example/?jackett_apikey=SECRETKEY", "0123456789abcdef0123456789abcdef01234567", "Acme Payroll 2024 leak (fake)", 1288490189},
		{LinkMagnet, "magnet:?xt=urn:btih:feedface", "feedfacefeedfacefeedfacefeedfacefeedface", "Acme payroll scan", 1048576},
	})
	if links[0].Page != "https://indexer.example/details/5001" || links[1].Page != "https://indexer.example/details/5002" {
		t.Errorf("pages %q %q", links[0].Page, links[1].Page)
	}
	if len(queries) != 1 || queries[0] != "Acme payroll 2024" {
		t.Errorf("server saw queries %q", queries)
	}

	_, err = c.TorznabSearch(ctx, endpoint, "wrong", "Acme")
	var te *TorznabError
	if !errors.As(err, &te) || te.Code != "100" {
		t.Fatalf("wrong key: err %v, want torznab error 100", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the API key: %v", err)
	}
}

func TestTorznabSource(t *testing.T) {
	ctx := testContext(t)
	var mu sync.Mutex
	var queries []string
	base := torznabServer(t, &queries, &mu)
	cfg := testConfig()
	cfg.AllowLoopback = false // the endpoint's own address is allowed
	src, err := NewTorznabSource(cfg, TorznabConfig{
		Endpoint: base + "/api/v2.0/indexers/all/results/torznab/api?cat=8000",
		APIKey:   testAPIKey,
		Queries:  []string{"Acme payroll", "acme PAYROLL", " "},
		QueryFunc: func(context.Context) ([]string, error) {
			return []string{QueryFromName("secret_minutes-2024.docx")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var _ crawler.Source = src
	col := &collector{}
	if err := src.Discover(ctx, col.emit); err != nil {
		t.Fatal(err)
	}
	if strings.Join(queries, "|") != "Acme payroll|secret minutes 2024" {
		t.Errorf("queries searched %q (duplicates and blanks must be skipped)", queries)
	}
	got := col.all()
	if len(got) != 2 {
		t.Fatalf("%d sightings, want 2: %+v", len(got), got)
	}
	first := got[0]
	if first.Source != "torznab" || first.URL != "https://indexer.example/details/5001" ||
		!bytes.Equal(first.Torrent, fakeTorrent("acme-payroll.pdf")) || first.InfoHash.String() != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("first sighting %+v", first)
	}
	for _, s := range got {
		if strings.Contains(s.Link+s.URL, testAPIKey) {
			t.Errorf("sighting leaks the API key: %q %q", s.Link, s.URL)
		}
	}
}

func TestTorznabURL(t *testing.T) {
	tests := []struct{ endpoint, want string }{
		{"http://127.0.0.1:9117/api/v2.0/indexers/all/results/torznab/", "http://127.0.0.1:9117/api/v2.0/indexers/all/results/torznab/api?apikey=k&q=a+b&t=search"},
		{"http://localhost:9696/1/api", "http://localhost:9696/1/api?apikey=k&q=a+b&t=search"},
		{"https://idx.example", "https://idx.example/api?apikey=k&q=a+b&t=search"},
		{"https://idx.example/api?cat=8000&t=caps", "https://idx.example/api?apikey=k&cat=8000&q=a+b&t=search"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			u, err := TorznabURL(tt.endpoint, "k", "a b")
			if err != nil || u.String() != tt.want {
				t.Errorf("TorznabURL(%q) = %v, %v; want %s", tt.endpoint, u, err, tt.want)
			}
		})
	}
	if _, err := TorznabURL("ftp://x/api", "k", "q"); !errors.Is(err, ErrScheme) {
		t.Errorf("ftp endpoint: %v", err)
	}
}

func TestQueryFromName(t *testing.T) {
	for in, want := range map[string]string{
		"secret_minutes-2024.docx": "secret minutes 2024",
		"dir/社内資料_テスト.xlsx":        "社内資料 テスト",
		`C:\x\Report.Final.pdf`:    "Report Final",
		"noext":                    "noext",
	} {
		if got := QueryFromName(in); got != want {
			t.Errorf("QueryFromName(%q) = %q, want %q", in, got, want)
		}
	}
}

// pagingServer is a Torznab server with caps (pages of at most 2 results)
// holding n results for any query; it records the offset and limit of
// every search.
func pagingServer(t *testing.T, n int, searchAvailable string, pages *[]string, mu *sync.Mutex) string {
	return newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path != "/api":
			http.NotFound(w, r)
		case q.Get("t") == "caps":
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><caps><server title="fake"/><limits max="2" default="2"/>
<searching><search available="%s" supportedParams="q"/><tv-search available="no" supportedParams="q"/></searching>
<categories><category id="8000" name="Other"><subcat id="8010" name="Misc"/></category></categories></caps>`, searchAvailable)
		case q.Get("t") == "search":
			mu.Lock()
			*pages = append(*pages, q.Get("offset")+"/"+q.Get("limit"))
			mu.Unlock()
			offset, _ := strconv.Atoi(q.Get("offset"))
			limit, _ := strconv.Atoi(q.Get("limit"))
			if limit == 0 {
				limit = 2
			}
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:newznab="http://www.newznab.com/DTD/2010/feeds/attributes/"><channel><title>r</title><newznab:response offset="%d" total="%d"/>`, offset, n)
			for i := offset; i < min(offset+limit, n); i++ {
				fmt.Fprintf(w, `<item><title>Acme result %d</title><link>magnet:?xt=urn:btih:%040x</link></item>`, i, i+1)
			}
			fmt.Fprint(w, `</channel></rss>`)
		default:
			http.Error(w, "bad request", http.StatusBadRequest)
		}
	}).URL
}

// TestTorznabPaging asks the server's caps, then follows a query's pages
// with the page size the caps allow, up to MaxPages.
func TestTorznabPaging(t *testing.T) {
	for _, tc := range []struct {
		maxPages  int
		wantPages string
		wantFound int
	}{
		{20, "/2|2/2|4/2", 5},
		{2, "/2|2/2", 4},
	} {
		t.Run(fmt.Sprintf("MaxPages %d", tc.maxPages), func(t *testing.T) {
			ctx := testContext(t)
			var mu sync.Mutex
			var pages []string
			base := pagingServer(t, 5, "yes", &pages, &mu)
			cfg := testConfig()
			cfg.MaxPages = tc.maxPages
			src, err := NewTorznabSource(cfg, TorznabConfig{Endpoint: base + "/api", APIKey: testAPIKey, Queries: []string{"acme"}})
			if err != nil {
				t.Fatal(err)
			}
			col := &collector{}
			if err := src.Discover(ctx, col.emit); err != nil {
				t.Fatal(err)
			}
			src.Close()
			if got := strings.Join(pages, "|"); got != tc.wantPages {
				t.Errorf("MaxPages %d: pages asked %q, want %q", tc.maxPages, got, tc.wantPages)
			}
			if got := len(col.all()); got != tc.wantFound {
				t.Errorf("MaxPages %d: %d sightings, want %d", tc.maxPages, got, tc.wantFound)
			}
		})
	}

	// Caps that say the server does not search.
	var mu sync.Mutex
	var pages []string
	base := pagingServer(t, 5, "no", &pages, &mu)
	src, err := NewTorznabSource(testConfig(), TorznabConfig{Endpoint: base + "/api", Queries: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Discover(testContext(t), (&collector{}).emit); err == nil || !strings.Contains(err.Error(), "no search") {
		t.Errorf("a server without search: err %v", err)
	}
	if len(pages) != 0 {
		t.Errorf("searched %q a server that does not search", pages)
	}
}

func TestParseTorznabCaps(t *testing.T) {
	caps, err := parseTorznabCaps([]byte(`<caps><limits max="100" default="50"/><searching><search available="yes" supportedParams="q, imdbid"/></searching>
<categories><category id="2000" name="Movies"><subcat id="2010" name="Foreign &#9; Films"/></category></categories></caps>`))
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Search || caps.MaxLimit != 100 || caps.DefaultLimit != 50 || caps.PageSize() != 100 ||
		strings.Join(caps.SearchParams, ",") != "q,imdbid" || len(caps.Categories) != 2 || caps.Categories[1].Name != "Foreign Films" {
		t.Errorf("caps %+v", caps)
	}
	if c, err := parseTorznabCaps([]byte(`<caps><limits max="99999999"/></caps>`)); err != nil || c.PageSize() != maxTorznabLimit {
		t.Errorf("a huge max limit gives page size %d (%v)", c.PageSize(), err)
	}
	if _, err := parseTorznabCaps([]byte(`<rss/>`)); err == nil {
		t.Error("an RSS document taken for caps")
	}
}
