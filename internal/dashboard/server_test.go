package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// webPaths are the pages and API answers every listener test visits.
var webPaths = []string{"/", "/documents", "/matches", "/peers", "/peers?min_level=L4", "/isps", "/reports",
	"/static/app.js", "/static/app.css", "/chart/levels.svg", "/chart/rates.svg", "/metrics",
	"/api/overview", "/api/documents", "/api/matches", "/api/peers", "/api/reports", "/api/hello"}

// TestPagesEscapeAndHeaders: every page answers with the security headers,
// and network-supplied names (a torrent named to run script, a client
// string) appear escaped as text, never as markup; Japanese names are
// sent as they are, in UTF-8.
func TestPagesEscapeAndHeaders(t *testing.T) {
	sv := serve(t, newFixture(t), Config{}, "")
	for _, p := range webPaths {
		t.Run(p, func(t *testing.T) {
			resp, body := sv.get(t, p)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s\n%s", p, resp.Status, body)
			}
			h := resp.Header
			if h.Get("Content-Security-Policy") != csp || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: headers %v", p, h)
			}
			if strings.Contains(body, hostileName) {
				t.Errorf("%s: the hostile name appears unescaped", p)
			}
			if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				if bad := activeMarkup(body); bad != "" {
					t.Errorf("%s: %s", p, bad)
				}
			}
		})
	}
	_, matches := sv.get(t, "/matches")
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", japaneseName, "Leads — not evidence", "claims 7 seeders"} {
		if !strings.Contains(matches, want) {
			t.Errorf("/matches lacks %q", want)
		}
	}
	if i, j := strings.Index(matches, "Leads — not evidence"), strings.Index(matches, "name-size"); i < 0 || j < i {
		t.Errorf("the lead is not in the leads section (%d, %d)", i, j)
	}
	for _, p := range []string{"/peers", "/reports"} {
		_, page := sv.get(t, p)
		if !strings.Contains(page, `<option value="L4"`) || strings.Contains(page, `"LL`) {
			t.Errorf("%s: the level choices do not read back as levels", p)
		}
	}
	_, peers := sv.get(t, "/peers?min_level=L4")
	if !strings.Contains(peers, `<tr class="lv4">`) {
		t.Errorf("/peers?min_level=L4: no row of class lv4")
	}
	if !strings.Contains(peers, "L4 served") || !strings.Contains(peers, "L5 full copy") || strings.Contains(peers, "L3 claims</td>") {
		t.Errorf("/peers?min_level=L4 lists the wrong levels:\n%s", peers)
	}
}

// TestAccess covers who gets in: a loopback listener answers to loopback
// names only (no DNS rebinding); with a token, nothing is served without
// it, the token in a URL becomes a cookie, and a bearer token works.
func TestAccess(t *testing.T) {
	f := newFixture(t)
	const token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	open := serve(t, f, Config{}, "")
	tests := []struct {
		name   string
		sv     *served
		path   string
		hdr    []string
		status int
	}{
		{"loopback by IP", open, "/", nil, http.StatusOK},
		{"loopback as localhost", open, "/", []string{"Host", "localhost:8080"}, http.StatusOK},
		{"rebinding name refused", open, "/api/overview", []string{"Host", "evil.example:8080"}, http.StatusMisdirectedRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.sv.get(t, tc.path, tc.hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %s, want %d\n%s", tc.path, resp.Status, tc.status, body)
			}
		})
	}
	f2 := newFixture(t)
	locked := serve(t, f2, Config{}, token)
	for _, tc := range []struct {
		name   string
		path   string
		hdr    []string
		status int
	}{
		{"no token", "/", nil, http.StatusUnauthorized},
		{"no token, static", "/static/app.js", nil, http.StatusUnauthorized},
		{"no token, metrics", "/metrics", nil, http.StatusUnauthorized},
		{"wrong bearer", "/api/overview", []string{"Authorization", "Bearer " + strings.Repeat("0", 64)}, http.StatusUnauthorized},
		{"bearer", "/api/overview", []string{"Authorization", "Bearer " + token}, http.StatusOK},
		{"wrong token in URL", "/?token=abc", nil, http.StatusUnauthorized},
		{"cookie", "/peers", []string{"Cookie", tokenCookie + "=" + token}, http.StatusOK},
		{"any host with the token", "/", []string{"Host", "dashboard.example", "Authorization", "Bearer " + token}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := locked.get(t, tc.path, tc.hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %s, want %d\n%s", tc.path, resp.Status, tc.status, body)
			}
		})
	}
	resp, _ := locked.get(t, "/peers?min_level=L4&token="+token)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/peers?min_level=L4" {
		t.Fatalf("token in URL: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == tokenCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Value != token {
		t.Fatalf("cookie %+v", cookie)
	}
}

// TestChangesNeedCSRFAndSameOrigin: a POST that changes something needs
// the page's CSRF token, and a cross-site one fails even with it.
func TestChangesNeedCSRFAndSameOrigin(t *testing.T) {
	sv := serve(t, newFixture(t), Config{}, "")
	form := func(csrf string) *strings.Reader {
		return strings.NewReader(url.Values{"csrf": {csrf}, "min_level": {"L4"}, "lang": {"en"}, "kind": {"takedown"}}.Encode())
	}
	ct := "application/x-www-form-urlencoded"
	location := "" // where the accepted form's answer leads
	tests := []struct {
		name   string
		csrf   string
		hdr    []string
		status int
	}{
		{"no token", "", nil, http.StatusForbidden},
		{"wrong token", strings.Repeat("a", 64), nil, http.StatusForbidden},
		{"cross-site", sv.srv.csrf, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"other origin", sv.srv.csrf, []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"same origin with token", sv.srv.csrf, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := append([]string{"Content-Type", ct}, tc.hdr...)
			resp, body := sv.do(t, http.MethodPost, "/reports", form(tc.csrf), hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s, want %d\n%s", resp.Status, tc.status, body)
			}
			if resp.StatusCode == http.StatusSeeOther {
				location = resp.Header.Get("Location")
			}
		})
	}
	// The report asked for above is listed, made or being made, and the
	// page the form's answer leads to shows it.
	for _, p := range []string{"/reports", location} {
		if resp, body := sv.get(t, p); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<tr data-report="report-`) {
			t.Fatalf("%s after a report was asked for: %s\n%s", p, resp.Status, body)
		}
	}
	big := strings.NewReader("csrf=" + sv.srv.csrf + "&x=" + strings.Repeat("a", maxBody))
	if resp, _ := sv.do(t, http.MethodPost, "/reports", big, "Content-Type", ct); resp.StatusCode < 400 {
		t.Fatalf("a body over %d bytes: %s", maxBody, resp.Status)
	}
	// Catalogue changes are not on the web at all.
	if resp, _ := sv.do(t, http.MethodPost, "/api/documents", strings.NewReader("{}"), "X-CSRF-Token", sv.srv.csrf); resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /api/documents on the web: %s", resp.Status)
	}
}

// TestRateLimit: a client that asks too fast is told to slow down.
func TestRateLimit(t *testing.T) {
	sv := serve(t, newFixture(t), Config{}, "")
	limited := 0
	for range requestBurst + 20 {
		if resp, _ := sv.get(t, "/static/app.css"); resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatalf("%d requests at once were all served", requestBurst+20)
	}
}
