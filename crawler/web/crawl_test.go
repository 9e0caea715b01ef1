package web

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
)

// trackerServer serves the three-page tracker fixture with ETags, its
// .torrent files and a robots.txt.
func trackerServer(t *testing.T, log *requestLog) string {
	pages := map[string][]byte{
		"":  readFixture(t, "tracker/page1.html"),
		"1": readFixture(t, "tracker/page1.html"),
		"2": readFixture(t, "tracker/page2.html"),
		"3": readFixture(t, "tracker/page3.html"),
	}
	srv := newServer(t, log, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /admin/\n")
		case r.URL.Path == "/browse":
			body, ok := pages[r.URL.Query().Get("page")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			etag := fmt.Sprintf(`"p%s-%d"`, r.URL.Query().Get("page"), len(body))
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(body)
		case r.URL.Path == "/download/101/Acme_Corp_Payroll_2024.torrent":
			w.Header().Set("Content-Type", "application/x-bittorrent")
			w.Write(fakeTorrent("acme-payroll-2024.pdf"))
		case r.URL.Path == "/download/103/board-minutes.torrent":
			// A login wall instead of a torrent.
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>please log in</html>")
		case r.URL.Path == "/download/201/hr.torrent":
			http.Redirect(w, r, "magnet:?xt=urn:btih:89abcdef0123456789abcdef0123456789abcdef&dn=hr", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	return srv.URL
}

func TestCrawlTrackerPaginationAndConditionalGET(t *testing.T) {
	ctx := testContext(t)
	log := &requestLog{}
	base := trackerServer(t, log)
	state := &MemoryState{}
	cfg := testConfig()
	cfg.State = state
	cr, err := New(cfg, []string{base + "/browse"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	col := &collector{}
	before := time.Now().UTC()
	st, err := cr.Crawl(ctx, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pages != 3 || st.NotModified != 0 || st.Links != 8 {
		t.Fatalf("stats %+v, want 3 pages, 8 links", st)
	}
	got := col.all()
	byLink := map[string]int{}
	for i, s := range got {
		byLink[s.Link] = i
		if s.Source != "web" || s.Time.Before(before) || s.Time.Location() != time.UTC {
			t.Errorf("sighting %d: source %q time %v", i, s.Source, s.Time)
		}
		if !strings.HasPrefix(s.URL, base+"/browse") {
			t.Errorf("sighting %d: URL %q", i, s.URL)
		}
	}
	acme, ok := byLink[base+"/download/101/Acme_Corp_Payroll_2024.torrent"]
	if !ok {
		t.Fatalf("acme torrent not sighted: %v", got)
	}
	if s := got[acme]; !bytes.Equal(s.Torrent, fakeTorrent("acme-payroll-2024.pdf")) || s.Name != "Acme Corp Payroll 2024 (fake)" || s.URL != base+"/browse" {
		t.Errorf("acme sighting: name %q url %q torrent %q", s.Name, s.URL, s.Torrent)
	}
	if i, ok := byLink[base+"/download/103/board-minutes.torrent"]; !ok || got[i].Torrent != nil {
		t.Errorf("login-wall torrent: sighted %v, bytes %q (want sighted, no bytes)", ok, got[i].Torrent)
	}
	if i, ok := byLink["magnet:?xt=urn:btih:89abcdef0123456789abcdef0123456789abcdef&dn=hr"]; !ok || got[i].InfoHash.String() != "89abcdef0123456789abcdef0123456789abcdef" || got[i].URL != base+"/browse?page=2" {
		t.Errorf("torrent link redirected to a magnet not reported as that magnet: %v", got)
	}
	for _, p := range []string{"/browse", "/browse?page=2", "/browse?page=3", "/robots.txt"} {
		if n := log.count(p); n != 1 {
			t.Errorf("%s fetched %d times, want 1", p, n)
		}
	}

	// Second round: every page answers 304; nothing is emitted again, and
	// the pagination is followed from the remembered next links.
	col2 := &collector{}
	st, err = cr.Crawl(ctx, col2.emit)
	if err != nil {
		t.Fatal(err)
	}
	if st.NotModified != 3 || st.Pages != 0 || len(col2.all()) != 0 {
		t.Fatalf("second round: stats %+v, %d sightings; want 3 not modified, none", st, len(col2.all()))
	}
	if n := log.count("/browse?page=3"); n != 2 {
		t.Errorf("page 3 fetched %d times over two rounds, want 2", n)
	}
	if state.Len() != 3 {
		t.Errorf("state holds %d keys, want 3", state.Len())
	}
}

func TestRobotsForbiddenPath(t *testing.T) {
	ctx := testContext(t)
	log := &requestLog{}
	srv := newServer(t, log, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /\n\nUser-agent: leakhunt\nDisallow: /private/\nAllow: /\n")
		case "/public/list":
			fmt.Fprint(w, `<a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">Public Doc</a>
<a href="/private/list?page=2">Next</a> <a href="/private/x.torrent">t</a>`)
		default:
			fmt.Fprint(w, `<a href="magnet:?xt=urn:btih:ffffffffffffffffffffffffffffffffffffffff">Private</a>`)
		}
	})
	cr, err := New(testConfig(), []string{srv.URL + "/public/list", srv.URL + "/private/list"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	col := &collector{}
	st, err := cr.Crawl(ctx, col.emit)
	if !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("err %v, want ErrRobotsDisallowed", err)
	}
	if st.Errors != 2 { // the private start URL and the private next page
		t.Errorf("stats %+v, want 2 errors", st)
	}
	for _, u := range log.list() {
		if strings.HasPrefix(u, "/private/") {
			t.Errorf("forbidden %s was fetched", u)
		}
	}
	got := col.all()
	if len(got) != 2 || got[0].Link != "magnet:?xt=urn:btih:1234567890123456789012345678901234567890" || got[1].Torrent != nil {
		t.Errorf("sightings %+v", got)
	}
	if n := log.count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times, want 1 (cached)", n)
	}
}

func TestRobotsServerError(t *testing.T) {
	ctx := testContext(t)
	log := &requestLog{}
	srv := newServer(t, log, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "page")
	})
	cfg := testConfig()
	cfg.Retries = 1
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Get(ctx, mustURL(t, srv.URL+"/page"))
	if !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("err %v: a 5xx robots.txt must forbid crawling", err)
	}
	if log.count("/page") != 0 || log.count("/robots.txt") != 2 {
		t.Errorf("requests %v", log.list())
	}
}

func TestRedirectToPrivateAddressRefusedAtConnect(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/go":
			http.Redirect(w, r, "http://10.20.30.40:8080/internal", http.StatusFound)
		}
	})
	c, err := NewClient(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var dialled []string
	c.onDial = func(_, address string, verdict error) error {
		mu.Lock()
		dialled = append(dialled, address)
		mu.Unlock()
		// Safety net: should the policy ever allow a non-loopback address,
		// refuse it here anyway, so this test never sends a packet there.
		if verdict == nil && !strings.HasPrefix(address, "127.0.0.1:") {
			return errors.New("test guard: non-loopback address allowed by the policy")
		}
		return verdict
	}
	_, err = c.Get(ctx, mustURL(t, srv.URL+"/go"))
	var ae *AddressError
	if !errors.Is(err, ErrForbiddenAddress) || !errors.As(err, &ae) || ae.Addr != netip.MustParseAddr("10.20.30.40") || ae.Reason != "private" {
		t.Fatalf("err %v, want a refused private address", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The refusal happened in the dialer's Control hook, which runs before
	// connect(2): the address reached the hook and no connection was made.
	if n := countOf(dialled, "10.20.30.40:8080"); n != 1 {
		t.Errorf("dialler saw %v, want 10.20.30.40:8080 once (no retry of a refused address)", dialled)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestLoopbackRefusedByDefault(t *testing.T) {
	ctx := testContext(t)
	log := &requestLog{}
	srv := newServer(t, log, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	for _, host := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		cfg := testConfig()
		cfg.AllowLoopback = false
		c, err := NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Get(ctx, mustURL(t, host+"/"))
		c.Close()
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: err %v, want ErrForbiddenAddress", host, err)
		}
	}
	if n := len(log.list()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestPaginationTrapAndLoop(t *testing.T) {
	ctx := testContext(t)
	log := &requestLog{}
	srv := newServer(t, log, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "/trap/"):
			// Every page links to one more page, forever.
			fmt.Fprintf(w, `<a href="magnet:?xt=urn:btih:%040d">item</a> <a href="/trap/%s0">Next</a>`, len(r.URL.Path), strings.TrimPrefix(r.URL.Path, "/trap/"))
		case r.URL.Path == "/loop/a":
			fmt.Fprint(w, `<a rel="next" href="/loop/b">next</a>`)
		case r.URL.Path == "/loop/b":
			fmt.Fprint(w, `<a rel="next" href="/loop/a?">next</a>`)
		}
	})
	cfg := testConfig()
	cfg.MaxPages = 5
	cfg.Concurrency = 1
	cr, err := New(cfg, []string{srv.URL + "/trap/1", srv.URL + "/loop/a"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	col := &collector{}
	st, err := cr.Crawl(ctx, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	trap, loop := 0, 0
	for _, u := range log.list() {
		switch {
		case strings.HasPrefix(u, "/trap/"):
			trap++
		case strings.HasPrefix(u, "/loop/"):
			loop++
		}
	}
	if trap != 5 || len(col.all()) != 5 {
		t.Errorf("trap: %d pages fetched, %d sightings; want MaxPages = 5", trap, len(col.all()))
	}
	if loop != 2 || st.Loops != 1 {
		t.Errorf("loop: %d pages fetched, %d loops detected; want 2 and 1 (%v)", loop, st.Loops, log.list())
	}
}

// bomb is a gzip stream of n zero bytes.
func bomb(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := zw.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// brotliBomb is a brotli stream of n zero bytes.
func brotliBomb(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	bw := brotli.NewWriterLevel(&buf, brotli.BestSpeed) // zeros compress well at any level
	chunk := make([]byte, 1<<20)
	for ; n > 0; n -= len(chunk) {
		if _, err := bw.Write(chunk[:min(n, len(chunk))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCompressedBodies(t *testing.T) {
	brBomb := brotliBomb(t, 64<<20)
	ctx := testContext(t)
	page := []byte(`<a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">Gzipped Doc 1 MB</a>`)
	var gz, zl bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(page)
	zw.Close()
	zlw := zlib.NewWriter(&zl)
	zlw.Write(page)
	zlw.Close()
	var br bytes.Buffer
	bw := brotli.NewWriter(&br)
	bw.Write(page)
	bw.Close()
	bombBody := bomb(t, 64<<20) // 64 MiB of zeros in ~64 KiB
	var bombServed sync.WaitGroup
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		case "/deflate":
			w.Header().Set("Content-Encoding", "deflate")
			w.Write(zl.Bytes())
		case "/br":
			w.Header().Set("Content-Encoding", "br")
			w.Write(br.Bytes())
		case "/zstd":
			w.Header().Set("Content-Encoding", "zstd")
			w.Write([]byte("\x28\xb5\x2f\xfd"))
		case "/brbomb":
			w.Header().Set("Content-Encoding", "br")
			w.Write(brBomb)
		case "/bomb":
			bombServed.Add(1)
			defer bombServed.Done()
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "text/html")
			w.Write(bombBody)
		}
	})
	cfg := testConfig()
	cfg.MaxBodyBytes = 1 << 20
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range []string{"/gzip", "/deflate", "/br"} {
		res, err := c.Get(ctx, mustURL(t, srv.URL+p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
		} else if !bytes.Equal(res.Body, page) {
			t.Errorf("%s: body %q", p, res.Body)
		}
	}
	if _, err := c.Get(ctx, mustURL(t, srv.URL+"/zstd")); !errors.Is(err, ErrUnsupportedEncoding) {
		t.Errorf("zstd: err %v, want ErrUnsupportedEncoding", err)
	}
	if _, err := c.Get(ctx, mustURL(t, srv.URL+"/brbomb")); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("brotli bomb (64 MiB in %d bytes): err %v, want ErrBodyTooLarge", len(brBomb), err)
	}
	start := time.Now()
	_, err = c.Get(ctx, mustURL(t, srv.URL+"/bomb"))
	if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "after decompression") {
		t.Fatalf("bomb: err %v, want ErrBodyTooLarge after decompression", err)
	}
	t.Logf("gzip bomb (64 MiB inflated, cap 1 MiB) refused in %v: %v", time.Since(start), err)
	// The stream is cut at the cap, and a too-large body is not retried.
	bombServed.Wait()
}

func TestServerErrorsBoundedRetries(t *testing.T) {
	ctx := testContext(t)
	badLog, goodLog := &requestLog{}, &requestLog{}
	bad := newServer(t, badLog, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	good := newServer(t, goodLog, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<li>Good Doc 1 GB <a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">magnet</a></li>`)
	})
	flakyN := 0
	var flakyMu sync.Mutex
	flaky := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		flakyMu.Lock()
		flakyN++
		n := flakyN
		flakyMu.Unlock()
		if n <= 2 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `<li>Flaky Doc <a href="magnet:?xt=urn:btih:abcdefabcdefabcdefabcdefabcdefabcdefabcd">m</a></li>`)
	})
	cfg := testConfig()
	cfg.Retries = 2
	cr, err := New(cfg, []string{bad.URL + "/list", good.URL + "/list", flaky.URL + "/list"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	col := &collector{}
	st, err := cr.Crawl(ctx, col.emit)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusInternalServerError || !strings.Contains(err.Error(), bad.URL) {
		t.Fatalf("err %v, want HTTP 500 from %s", err, bad.URL)
	}
	if n := badLog.count("/list"); n != 3 {
		t.Errorf("500 host: %d attempts, want 1 + 2 retries", n)
	}
	if st.Errors != 1 || len(col.all()) != 2 {
		t.Errorf("stats %+v, %d sightings; the other hosts must still be crawled", st, len(col.all()))
	}
}

func TestMagnetRedirectAndTorrentCap(t *testing.T) {
	ctx := testContext(t)
	big := append([]byte("d4:infod4:name"), bytes.Repeat([]byte("x"), 3000)...)
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/m.torrent":
			http.Redirect(w, r, "magnet:?xt=urn:btih:CERDGRCVMZ3YRGIACERDGRCVMZ3YRGIA", http.StatusFound)
		case "/big.torrent":
			w.Write(big)
		case "/ok.torrent":
			w.Write(fakeTorrent("ok.bin"))
		}
	})
	cfg := testConfig()
	cfg.MaxTorrentBytes = 2048
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, m, err := c.DownloadTorrent(ctx, mustURL(t, srv.URL+"/m.torrent"))
	if err != nil || b != nil || m != "magnet:?xt=urn:btih:CERDGRCVMZ3YRGIACERDGRCVMZ3YRGIA" {
		t.Errorf("magnet redirect: %q %q %v", b, m, err)
	}
	if _, _, err := c.DownloadTorrent(ctx, mustURL(t, srv.URL+"/big.torrent")); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("big torrent: err %v, want ErrBodyTooLarge", err)
	}
	b, _, err = c.DownloadTorrent(ctx, mustURL(t, srv.URL+"/ok.torrent"))
	if err != nil || fingerprint.CheckBencode(b, fingerprint.TorrentFileLimits()) != nil {
		t.Errorf("ok torrent: %q %v", b, err)
	}
}

func TestTooManyRedirects(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	cfg := testConfig()
	cfg.MaxRedirects = 3
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Get(ctx, mustURL(t, srv.URL+"/r")); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("err %v, want ErrTooManyRedirects", err)
	}
}

func TestShiftJISBoardCrawl(t *testing.T) {
	ctx := testContext(t)
	body := readFixture(t, "bbs_sjis.html")
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/test/read/4.html":
			w.Header().Set("Content-Type", "text/html; charset=Shift_JIS")
			w.Write(body)
		default:
			http.NotFound(w, r)
		}
	})
	cr, err := New(testConfig(), []string{srv.URL + "/test/read/4.html"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	col := &collector{}
	_, err = cr.Crawl(ctx, col.emit)
	// The "次へ" page does not exist: the chain ends on a 404 after the
	// first page's sightings.
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Fatalf("err %v, want the 404 of the next page", err)
	}
	names := map[string]int64{}
	for _, s := range col.all() {
		names[s.Name] = s.Size
	}
	if names["顧客名簿_架空.csv"] != 734003200 || names["社内資料_テスト.xlsx"] != 1288490 || names["議事録まとめ"] != 2*gib+gib/2 {
		t.Errorf("names and sizes %v", names)
	}
}

func TestFeedCrawl(t *testing.T) {
	ctx := testContext(t)
	feed := readFixture(t, "feed.rss")
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(feed)
		case "/dl/777":
			w.Write(fakeTorrent("rel.bin"))
		default:
			http.NotFound(w, r)
		}
	})
	cr, err := New(testConfig(), []string{srv.URL + "/rss"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	col := &collector{}
	if _, err := cr.Crawl(ctx, col.emit); err != nil {
		t.Fatal(err)
	}
	got := col.all()
	if len(got) != 4 {
		t.Fatalf("%d sightings, want 4: %+v", len(got), got)
	}
	for _, s := range got {
		if s.Source != "rss" || s.URL != srv.URL+"/rss" {
			t.Errorf("sighting source %q URL %q", s.Source, s.URL)
		}
	}
	if got[2].InfoHash.String() != "89abcdef0123456789abcdef0123456789abcdef" || got[2].Link != "" || got[2].Size != 2*gib+gib/2 {
		t.Errorf("hash-only item: %+v", got[2])
	}
	if got[3].Link != srv.URL+"/dl/777" || !bytes.Equal(got[3].Torrent, fakeTorrent("rel.bin")) {
		t.Errorf("relative enclosure: %+v", got[3])
	}
}

func TestDiscoverInterval(t *testing.T) {
	log := &requestLog{}
	srv := newServer(t, log, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<a href="magnet:?xt=urn:btih:1234567890123456789012345678901234567890">Doc</a>`)
	})
	cfg := testConfig()
	cfg.Interval = time.Millisecond
	cr, err := New(cfg, []string{srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	ctx := testContext(t)
	col := &collector{}
	done := make(chan error, 1)
	ctx2, cancel := contextWithCancel(ctx)
	go func() { done <- cr.Discover(ctx2, col.emit) }()
	if !interop.Until(ctx, func() bool { return log.count("/") >= 3 }) {
		t.Fatal("Discover did not repeat")
	}
	cancel()
	if err := <-done; !errors.Is(err, errCanceled) {
		t.Fatalf("Discover returned %v, want context.Canceled", err)
	}
	if cr.Name() != "web" {
		t.Error("name")
	}
}

func TestTimeoutRetried(t *testing.T) {
	ctx := testContext(t)
	var mu sync.Mutex
	calls := 0
	srv := newServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			// Stall past the client's timeout, then give up.
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		fmt.Fprint(w, "ok")
	})
	cfg := testConfig()
	cfg.RequestTimeout = 200 * time.Millisecond
	cfg.Retries = 1
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Get(ctx, mustURL(t, srv.URL+"/slow"))
	if err != nil || string(res.Body) != "ok" {
		t.Fatalf("err %v: a timed-out attempt must be retried", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}
