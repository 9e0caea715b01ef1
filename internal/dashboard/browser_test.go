package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/demo"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// Names from the network that run script where a page does not escape
// them: an alert through an image's error handler, and a flag set by a
// script element.
const (
	hostileAlert  = `<img src=x onerror=alert(1)>`
	hostileScript = `<script>window.__pwned=1</script>`
)

// chromium finds Debian's chromium, or says why the browser tests skip.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: drives a browser against a hunt of the local swarm (about 30 s)")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (Debian: apt-get install chromium fonts-ipafont-gothic): the browser test needs it")
	return ""
}

// swarmHunt is a hunt of the demo swarm in this process, served by a
// dashboard on loopback, with matches named to attack pages added.
type swarmHunt struct {
	sc   *demo.Scenario
	s    *store.Store
	base string
	key  string // the signing key's fingerprint
}

func startSwarmHunt(t *testing.T, ctx context.Context) *swarmHunt {
	t.Helper()
	sc, err := demo.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	dir := shortTempDir(t)
	s, err := store.Open(filepath.Join(dir, "b.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for name, b := range sc.Documents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		fp, err := fingerprint.File(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddDocument(store.Document{Name: name, Fingerprint: fp}, p); err != nil {
			t.Fatal(err)
		}
	}
	addHostileMatches(t, s)
	keys, err := evidence.OpenKeys(s, evidence.KeyOptions{Name: evidence.KeyName("browser-test"), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	opt := hunt.DefaultOptions()
	opt.Listen, opt.Bootstrap, opt.AllowLocal, opt.DHTRate, opt.Predict = "127.0.0.1:0", sc.Bootstrap(), true, 2000, false
	opt.Fetches, opt.Probes, opt.ProbeInterval, opt.Keys = 16, 8, 2*time.Second, keys
	rec, err := hunt.NewRecorder(s)
	if err != nil {
		t.Fatal(err)
	}
	hu, err := hunt.Assemble(s, rec, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: s, Hunt: hu.Pipeline, DHT: hu.DHT, Sources: hu.SourceNames(), Version: "test",
		Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Keys:   func() (*evidence.Keys, error) { return keys, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	huntDone, webDone := make(chan error, 1), make(chan error, 1)
	go func() { huntDone <- hu.Run(rctx) }()
	go func() { webDone <- srv.Run(rctx, nil, &Web{ln: ln}) }()
	t.Cleanup(func() {
		cancel()
		<-huntDone
		if err := <-webDone; err != nil {
			t.Errorf("dashboard: %v", err)
		}
		hu.Close()
	})
	return &swarmHunt{sc: sc, s: s, base: "http://" + ln.Addr().String(), key: keys.Fingerprint}
}

// addHostileMatches records a proven match of a torrent named to raise an
// alert, listed on a page whose title sets a flag by script, and one of
// a torrent with a Japanese name.
func addHostileMatches(t *testing.T, s *store.Store) {
	t.Helper()
	docs, err := s.Documents()
	if err != nil || len(docs) == 0 {
		t.Fatalf("documents %v %v", docs, err)
	}
	d, t0 := docs[0], time.Now().UTC()
	for _, m := range []fingerprint.Match{
		{InfoHash: ihHostile, TorrentName: hostileAlert, File: hostileAlert + ".csv"},
		{InfoHash: ihProven, TorrentName: japaneseName, File: japaneseName},
	} {
		m.Document, m.DocumentName, m.Method, m.PiecesChecked, m.PiecesMatched, m.Verdict = d.SHA256, d.Name, fingerprint.MethodV1Pieces, 2, 2, fingerprint.VerdictProven
		m.FileLength = d.Size
		if _, err := s.PutMatch(store.Match{Match: m, Source: "web:http://index.example/list", Time: t0}); err != nil {
			t.Fatal(err)
		}
	}
	sg := crawler.Sighting{Time: t0, InfoHash: ihHostile, Source: crawler.SourceWeb, URL: "http://index.example/other", Name: hostileScript}
	if err := s.AddSightings([]crawler.Sighting{sg}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser drives chromium headless through the dashboard of a hunt
// of the local swarm: the live counters change while the hunt runs, the
// peers page lists every host the swarm serves the leak from at L4
// (rows arriving without a reload), hostile names show as text and run
// nothing, Japanese names render in a Japanese font, and a report made
// from the reports page verifies. Each page is saved as a screenshot in
// $LEAKHUNT_ARTIFACTS (a temporary directory when unset).
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sh := startSwarmHunt(t, ctx)
	shots := os.Getenv("LEAKHUNT_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000),
		// Nothing but the dashboard on loopback: no name resolves.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-domain-reliability", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	var dialogs atomic.Int32
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}))
	defer bcancel()
	b := &browser{t: t, ctx: bctx, base: sh.base, shots: shots, reports: sh.s.Path() + ".reports", key: sh.key}
	b.do(chromedp.Navigate(sh.base + "/"))
	t.Run("live counters", func(t *testing.T) { b.liveCounters(t) })
	t.Run("peers at L4", func(t *testing.T) { b.peersAtL4(t, sh.sc) })
	t.Run("hostile names", func(t *testing.T) { b.hostileNames(t) })
	t.Run("japanese names", func(t *testing.T) { b.japaneseNames(t) })
	t.Run("report", func(t *testing.T) { b.report(t) })
	for _, p := range []string{"/", "/documents", "/isps", "/reports"} {
		b.do(chromedp.Navigate(sh.base + p))
		b.screenshot(p)
	}
	if n := dialogs.Load(); n > 0 {
		t.Errorf("%d JavaScript dialog(s) opened: a hostile name ran", n)
	}
}

// browser is one tab of chromium on the dashboard.
type browser struct {
	t       *testing.T
	reports string // the reports directory
	key     string // the hunt's key fingerprint
	ctx     context.Context
	base    string
	shots   string
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// poll waits until a JavaScript expression is true on the page.
func (b *browser) poll(t *testing.T, what, expr string, limit time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(limit), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.innerText"))
		t.Fatalf("%s: not within %s (%v); the page says:\n%.3000s", what, limit, err, body)
	}
}

func (b *browser) text(t *testing.T, expr string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// screenshot saves the page as a PNG named after its path.
func (b *browser) screenshot(path string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(path, "-"), "-")
	if name == "" {
		name = "overview"
	}
	if err := os.WriteFile(filepath.Join(b.shots, "dashboard-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// liveCounters: the log size in the header changes without a reload.
func (b *browser) liveCounters(t *testing.T) {
	sel := `document.querySelector('[data-live="log_size"]').textContent`
	b.poll(t, "the page has a log size", sel+` !== ""`, 10*time.Second)
	first := b.text(t, sel)
	b.poll(t, "the log size changes while the hunt runs", fmt.Sprintf("%s !== %q", sel, first), 90*time.Second)
	if n := b.text(t, `String(performance.getEntriesByType('navigation').length)`); n != "1" {
		t.Errorf("the page was loaded %s times", n)
	}
}

// peersAtL4: every host the swarm serves a leak from at L4 is listed on
// the peers page filtered at L4, the rows arriving live.
func (b *browser) peersAtL4(t *testing.T, sc *demo.Scenario) {
	b.do(chromedp.Navigate(b.base + "/peers?min_level=L4"))
	var want []string
	for _, tor := range sc.Torrents {
		for ap, lvl := range tor.Peers {
			if lvl == evidence.L4Served {
				want = append(want, fmt.Sprintf("%s port %d", ap.Addr(), ap.Port()))
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the scenario has no L4 host")
	}
	var checks []string
	for _, w := range want {
		checks = append(checks, fmt.Sprintf("rows.includes(%q)", w))
	}
	expr := "(function(){var rows=document.querySelector('tbody[data-live-peers]').innerText; return " + strings.Join(checks, " && ") + ";})()"
	b.poll(t, fmt.Sprintf("the L4 hosts %v listed", want), expr, 120*time.Second)
	if rows := b.text(t, `document.querySelector('tbody[data-live-peers]').innerText`); regexp.MustCompile(`\bL[0-3] `).MatchString(rows) {
		t.Errorf("the L4 filter lists lower levels:\n%s", rows)
	}
	b.screenshot("/peers")
	// The first host's own page: its timeline, each observation with its
	// log record, the L4 one among them.
	href := b.text(t, `document.querySelector('tbody[data-live-peers] a').href`)
	b.do(chromedp.Navigate(href))
	b.poll(t, "the peer's timeline lists its L4 observation with its log record",
		`Array.from(document.querySelectorAll('table.timeline tr.lv4 td.n')).some(function(td){return /^\d+$/.test(td.textContent);})`, 10*time.Second)
	b.screenshot("/peer")
}

// hostileNames: the hostile torrent name and page title show as text on
// the matches and documents pages, and nothing they hold ran.
func (b *browser) hostileNames(t *testing.T) {
	for _, p := range []string{"/matches", "/documents"} {
		b.do(chromedp.Navigate(b.base + p))
		body := b.text(t, "document.body.innerText")
		for _, name := range []string{hostileAlert, hostileScript} {
			if !strings.Contains(body, name) {
				t.Errorf("%s does not show %q as text", p, name)
			}
		}
		if got := b.text(t, `String(window.__pwned) + " " + document.querySelectorAll('main img, main script').length`); got != "undefined 0" {
			t.Errorf("%s: a hostile name became markup or ran (%s)", p, got)
		}
		if p == "/matches" {
			b.screenshot(p)
		}
	}
}

// japaneseNames: a Japanese torrent name is shown as it is, drawn with a
// font that has Japanese glyphs.
func (b *browser) japaneseNames(t *testing.T) {
	b.do(chromedp.Navigate(b.base + "/matches"))
	if body := b.text(t, "document.body.innerText"); !strings.Contains(body, japaneseName) {
		t.Fatalf("/matches does not show %s", japaneseName)
	}
	// Mark the element whose own text holds the name: the fonts of a node
	// are those of its own text.
	mark := fmt.Sprintf(`(function(){var w=document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
while(w.nextNode()){if(w.currentNode.textContent.includes(%q)){w.currentNode.parentElement.id='ja-name';return 'ok';}}return 'none';})()`, japaneseName)
	if got := b.text(t, mark); got != "ok" {
		t.Fatalf("no element holds %s as its own text", japaneseName)
	}
	nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.ID("ja-name")))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("#ja-name: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, css.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Call(b.ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: nodes[0].NodeID})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range res.Fonts {
		names = append(names, f.FamilyName)
		if regexp.MustCompile(`(?i)IPA|CJK|Gothic|Mincho|Takao|VL `).MatchString(f.FamilyName) && f.GlyphCount > 0 {
			return
		}
	}
	t.Errorf("no Japanese font drew the page (fonts used: %v); install fonts-ipafont-gothic", names)
}

// report: a report made from the reports page is made, verified and
// offered for download.
func (b *browser) report(t *testing.T) {
	b.do(chromedp.Navigate(b.base+"/reports"), chromedp.Click(chromedp.ID("make-report")))
	// The form's answer navigates the tab: ask again until the page that
	// follows says the report verified.
	done := `(function(){var s=document.querySelector('tr[data-report] .status'); return !!s && s.textContent.startsWith('verified');})()`
	deadline := time.Now().Add(120 * time.Second)
	for {
		_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](done, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("the report made from the page did not verify within 2m (%v):\n%.3000s", err, body)
		}
	}
	if href := b.text(t, `document.querySelector('tr[data-report] a[download]').getAttribute('href')`); !strings.HasSuffix(href, "/bundle.zip") {
		t.Errorf("download link %q", href)
	}
	// What the page calls verified verifies on its own, as `leakhunt
	// verify` checks it, against the hunt's key.
	id := b.text(t, `document.querySelector('tr[data-report]').dataset.report`)
	probs, err := report.VerifyBundle(filepath.Join(b.reports, id), report.VerifyOptions{Key: b.key})
	if err != nil || len(probs) > 0 {
		t.Errorf("bundle %s: %v %v", id, probs, err)
	}
	b.screenshot("/reports")
}
