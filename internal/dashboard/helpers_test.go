package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// hostileName is a torrent name that runs script if a page does not
// escape it.
const hostileName = `<img src=x onerror=alert(1)>`

// japaneseName is a torrent name in Japanese.
const japaneseName = "2026年度_授業料_全学生.csv"

var (
	ihProven  = fingerprint.InfoHash{0xa1}
	ihHostile = fingerprint.InfoHash{0xb2}
	ihLead    = fingerprint.InfoHash{0xc3}
)

// fixture is a store with a catalogued document, proven matches (one
// torrent named to attack pages, one in Japanese), a lead, and peers at
// every level, with a signing key.
type fixture struct {
	db   string
	s    *store.Store
	keys *evidence.Keys
	doc  store.Document
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := shortTempDir(t)
	f := &fixture{db: filepath.Join(dir, "lh.db")}
	var err error
	if f.s, err = store.Open(f.db, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.s.Close() })
	if f.keys, err = evidence.OpenKeys(f.s, evidence.KeyOptions{Name: evidence.KeyName("test"), Version: "test"}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "名簿.tsv")
	if err := os.WriteFile(src, []byte(strings.Repeat("name\taddress\n", 3000)), 0o600); err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.File(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.doc, _, err = f.s.AddDocument(store.Document{Name: "名簿.tsv", Case: "c", Fingerprint: fp}, src); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, m := range []store.Match{
		{Match: fingerprint.Match{InfoHash: ihProven, TorrentName: japaneseName, File: japaneseName, Document: f.doc.SHA256, DocumentName: f.doc.Name,
			Method: fingerprint.MethodV1Pieces, PiecesChecked: 3, PiecesMatched: 3, Verdict: fingerprint.VerdictProven}, Source: "web:http://index.example/list", Time: t0},
		{Match: fingerprint.Match{InfoHash: ihHostile, TorrentName: hostileName, File: hostileName + ".tsv", Document: f.doc.SHA256, DocumentName: f.doc.Name,
			Method: fingerprint.MethodV1Pieces, PiecesChecked: 3, PiecesMatched: 3, Verdict: fingerprint.VerdictProven}, Source: "dht-sample", Time: t0},
		{Match: fingerprint.Match{InfoHash: ihLead, TorrentName: "名簿.tsv", File: "名簿.tsv", Document: f.doc.SHA256, DocumentName: f.doc.Name,
			Method: fingerprint.MethodNameSize, FileIndex: 0, Verdict: fingerprint.VerdictLead}, Source: "dht-sample", Time: t0},
	} {
		if _, err := f.s.PutMatch(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.PutTorrent(store.Torrent{InfoHash: ihHostile, Name: hostileName, Source: "dht-sample", Trackers: []string{"udp://tracker.example:80"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.PutScrapes(ihHostile, []store.Scrape{{Tracker: "udp://tracker.example:80", Time: t0, Seeders: 7, Leechers: 2, Completed: 30}}); err != nil {
		t.Fatal(err)
	}
	var obs []evidence.Observation
	for i, lvl := range []evidence.Level{1, 2, 3, 4, 4, 5} {
		o := evidence.Observation{Time: t0.Add(time.Duration(i) * time.Minute), ClockOffset: "unsynchronized", Level: lvl, Source: "probe",
			IP: fmt.Sprintf("127.0.0.%d", 10+i), Port: 6881 + i, InfoHash: ihHostile, Document: f.doc.SHA256, Version: "test",
			Client: hostileName, Transport: "tcp"}
		if lvl >= 4 {
			o.PiecesVerified = []int{0, 1}
		}
		obs = append(obs, o)
	}
	if _, err := f.s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := evidence.SignCheckpoint(f.s, f.keys); err != nil {
		t.Fatal(err)
	}
	return f
}

// testLog writes a server's warnings to the test's log.
type testLog struct{ t testing.TB }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// shortTempDir is a temporary directory with a path short enough for a
// Unix socket inside it.
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lhd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// served is a running server with its web address and control client.
type served struct {
	srv    *Server
	url    string
	web    *Web
	client *Client
	hc     *http.Client
}

// serve runs a server over f's store (web on loopback, with token when
// token is set) until the test ends.
func serve(t testing.TB, f *fixture, cfg Config, token string) *served {
	t.Helper()
	cfg.Store = f.s
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if cfg.Keys == nil {
		cfg.Keys = func() (*evidence.Keys, error) { return f.keys, nil }
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web := &Web{ln: ln, token: token}
	ctl, err := ListenControl(f.db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ctl, web) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	cl, err := Dial(dctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	jar := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &served{srv: srv, url: "http://" + ln.Addr().String(), web: web, client: cl, hc: jar}
}

// get fetches a path from the web listener with the given headers.
func (sv *served) get(t testing.TB, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	return sv.do(t, http.MethodGet, path, nil, hdr...)
}

func (sv *served) do(t testing.TB, method, path string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, sv.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := sv.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatal(err)
	}
	return resp, string(b)
}

// activeMarkup returns what in a page could run script or load from
// elsewhere: a script element with content or a source outside /static/,
// an event-handler attribute, a javascript: URL, an image outside
// /chart/, a frame or an object. Empty when there is none.
func activeMarkup(page string) string {
	z := html.NewTokenizer(strings.NewReader(page))
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ""
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				return "inline script"
			}
		case html.EndTagToken:
			inScript = false
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "img":
				if src := attr(tok, "src"); !strings.HasPrefix(src, "/chart/") {
					return "an image not from /chart/: " + src
				}
			case "iframe", "object", "embed":
				return "a <" + tok.Data + "> element"
			case "script":
				inScript = tt == html.StartTagToken
				if src := attr(tok, "src"); !strings.HasPrefix(src, "/static/") {
					return "a script not from /static/: " + src
				}
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					return "event handler " + a.Key + " on <" + tok.Data + ">"
				}
				if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
					return "javascript: URL in " + a.Key
				}
			}
		}
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
