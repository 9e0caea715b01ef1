package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// TokenPath is where the access token of the store at db is kept.
func TokenPath(db string) string { return db + ".token" }

// tokenBytes is the access token's entropy.
const tokenBytes = 32

// LoadOrCreateToken returns the access token kept at path, making one
// (from crypto/rand, written with mode 0600) the first time. A token file
// readable by others is refused: it would let them in.
func LoadOrCreateToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		fi, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("access token %s is readable by others (mode %v): chmod 600 it, or delete it to make a new one", path, fi.Mode().Perm())
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) != 2*tokenBytes {
			return "", fmt.Errorf("access token %s: not a token leakhunt wrote: delete it to make a new one", path)
		}
		return tok, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("access token: %w", err)
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("access token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	return tok, nil
}

// newSecret is a random hex string (the per-process CSRF token).
func newSecret() string {
	raw := make([]byte, tokenBytes)
	rand.Read(raw) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(raw)
}

// equalSecret compares a presented secret with the expected one in
// constant time.
func equalSecret(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// tokenCookie carries the access token after the first request that gave
// it in the URL.
const tokenCookie = "leakhunt_token"

// access is how a web listener admits requests.
type access struct {
	// token is required on every request when set (non-loopback binds).
	token string
	// csrf must accompany every state-changing request (or the token in
	// an Authorization header).
	csrf string
}

// bearer is the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// admit checks a request's credentials. It answers (and returns false)
// when the request may not go on: no or a wrong token, or a token given
// in the URL, which is moved into a cookie by a redirect so that it does
// not stay in the address bar and the history.
func (a access) admit(w http.ResponseWriter, r *http.Request) bool {
	if a.token == "" {
		if !loopbackHost(r.Host) {
			// A loopback listener answers to loopback names only: a page
			// elsewhere cannot reach it through a name it controls (DNS
			// rebinding).
			http.Error(w, "this dashboard answers to 127.0.0.1, [::1] or localhost only", http.StatusMisdirectedRequest)
			return false
		}
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" && r.Method == http.MethodGet {
		if !equalSecret(q, a.token) {
			http.Error(w, "wrong access token", http.StatusUnauthorized)
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: a.token, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		u := *r.URL
		v := u.Query()
		v.Del("token")
		u.RawQuery = v.Encode()
		http.Redirect(w, r, (&url.URL{Path: u.Path, RawQuery: u.RawQuery}).String(), http.StatusSeeOther)
		return false
	}
	if equalSecret(bearer(r), a.token) {
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && equalSecret(c.Value, a.token) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="leakhunt"`)
	http.Error(w, "access token required: open the address leakhunt printed (it carries ?token=), or send Authorization: Bearer TOKEN (the token is in the file beside the store)", http.StatusUnauthorized)
	return false
}

// changeAllowed reports whether a state-changing request carries the
// CSRF token (form field csrf or header X-CSRF-Token) or the access token
// in an Authorization header (which browsers never add on their own).
func (a access) changeAllowed(r *http.Request) bool {
	if a.token != "" && equalSecret(bearer(r), a.token) {
		return true
	}
	if equalSecret(r.Header.Get("X-CSRF-Token"), a.csrf) {
		return true
	}
	return equalSecret(r.PostFormValue("csrf"), a.csrf)
}

// loopbackHost reports whether a Host header names a loopback address or
// localhost.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// IsLoopback reports whether a listen address (host:port) binds loopback
// only; an empty host binds every address.
func IsLoopback(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	if err != nil || h == "" {
		return false
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
