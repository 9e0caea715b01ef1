package dashboard

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAccessToken: the token is made once from crypto/rand, written with
// mode 0600 and read back the same; a token file others can read, or one
// leakhunt did not write, is refused.
func TestAccessToken(t *testing.T) {
	dir := t.TempDir()
	path := TokenPath(filepath.Join(dir, "lh.db"))
	tok, err := LoadOrCreateToken(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want mode 0600", fi, err)
	}
	if len(tok) != 2*tokenBytes || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Fatalf("token %q is not %d hex bytes", tok, tokenBytes)
	}
	if again, err := LoadOrCreateToken(path); err != nil || again != tok {
		t.Fatalf("second load: %q %v, want the same token", again, err)
	}
	other, err := LoadOrCreateToken(TokenPath(filepath.Join(dir, "other.db")))
	if err != nil || other == tok {
		t.Fatalf("another store's token: %q %v, want a different one", other, err)
	}
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"readable by others", tok + "\n", 0o644, "readable by others"},
		{"group readable", tok + "\n", 0o640, "readable by others"},
		{"not a token", "hunter2\n", 0o600, "not a token leakhunt wrote"},
		{"empty", "", 0o600, "not a token leakhunt wrote"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".token")
			if err := os.WriteFile(p, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			if _, err := LoadOrCreateToken(p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLoopbackBind: only a loopback address counts as loopback; an empty
// host, the unspecified addresses and names other than localhost need the
// token. The dashboard listening on loopback needs none.
func TestLoopbackBind(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"LocalHost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"192.0.2.1:8080", false},
		{"dashboard.example:8080", false},
		{"localhost.example:8080", false},
		{"127.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if got := IsLoopback(tc.addr); got != tc.want {
				t.Fatalf("IsLoopback(%q) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
	db := filepath.Join(t.TempDir(), "lh.db")
	w, err := ListenWeb("127.0.0.1:0", db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Token() != "" || strings.Contains(w.URL(), "token") {
		t.Fatalf("a loopback listener asks for a token: %s", w.URL())
	}
	if _, err := os.Stat(TokenPath(db)); !os.IsNotExist(err) {
		t.Fatalf("a loopback listener made a token file: %v", err)
	}
}

// FuzzParsePeerFilter: any query string is parsed or refused with an
// error naming the parameter; what is accepted stays within the bounds.
func FuzzParsePeerFilter(f *testing.F) {
	for _, q := range []string{"min_level=L4", "level=3&document=abcdef0123&country=JP", "asn=AS64500&isp=NTT",
		"since=2026-03-01&until=2026-03-02T10:00", "ip=::ffff:127.0.0.1&port=6881", "offset=100&limit=100",
		"infohash=" + strings.Repeat("ab", 20), "limit=0", "port=70000", "isp=" + strings.Repeat("x", 300), "country=日本"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		pf, err := ParsePeerFilter(vals, maxPageRows)
		if err != nil {
			if !strings.Contains(err.Error(), "=") {
				t.Fatalf("error %q names no parameter", err)
			}
			return
		}
		switch {
		case pf.Limit < 1 || pf.Limit > maxPageRows:
			t.Fatalf("limit %d out of 1..%d", pf.Limit, maxPageRows)
		case pf.Offset < 0 || pf.Offset > maxOffset:
			t.Fatalf("offset %d", pf.Offset)
		case !pf.MinLevel.Valid() || pf.Level != -1 && !pf.Level.Valid():
			t.Fatalf("levels %d %d", pf.MinLevel, pf.Level)
		case pf.Port < 0 || pf.Port > 65535:
			t.Fatalf("port %d", pf.Port)
		case len(pf.ISP) > maxFilterText || !utf8.ValidString(pf.ISP):
			t.Fatalf("isp %q", pf.ISP)
		}
	})
}
