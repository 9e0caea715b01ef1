package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/store"
)

// RDAPConfig configures the [RDAP] client.
type RDAPConfig struct {
	// Base, when set, sends every look-up to this RDAP server
	// (Base + "ip/" + address) instead of the one IANA's bootstrap names.
	Base string
	// BootstrapV4 and BootstrapV6 are IANA's bootstrap files.
	BootstrapV4, BootstrapV6 string
	// Timeout bounds each HTTP request.
	Timeout time.Duration
	// MaxBody caps each response body in bytes.
	MaxBody int64
	// Concurrency bounds look-ups in flight.
	Concurrency int
	// CacheTTL is how long a cached answer is used.
	CacheTTL time.Duration
	// Client is the HTTP client; nil means one with no cookies and at most
	// 5 redirects.
	Client *http.Client
	// Logger receives look-up failures at debug level; nil discards.
	Logger *slog.Logger
}

// DefaultRDAPConfig uses IANA's bootstrap, 15 s per request, 1 MiB
// bodies, 4 look-ups at a time and a 30-day cache.
func DefaultRDAPConfig() RDAPConfig {
	return RDAPConfig{
		BootstrapV4: "https://data.iana.org/rdap/ipv4.json",
		BootstrapV6: "https://data.iana.org/rdap/ipv6.json",
		Timeout:     15 * time.Second,
		MaxBody:     1 << 20,
		Concurrency: 4,
		CacheTTL:    30 * 24 * time.Hour,
	}
}

// RDAPCache is where answers are kept between runs: store.Store.KV("rdap:")
// is one.
type RDAPCache interface {
	Get(key string) ([]byte, bool)
	Put(key string, val []byte) error
}

var _ RDAPCache = store.KV{}

// RDAP looks up abuse contacts of IP networks (RFC 9083). It is safe for
// concurrent use; at most Concurrency requests are in flight.
type RDAP struct {
	cfg   RDAPConfig
	cache RDAPCache
	sem   chan struct{}
	log   *slog.Logger

	bootMu sync.Mutex
	boot   map[bool][]bootService // by "is IPv6"
	bootOK map[bool]error
}

type bootService struct {
	prefix netip.Prefix
	base   string
}

// NewRDAP makes a client. cache may be nil.
func NewRDAP(cfg RDAPConfig, cache RDAPCache) *RDAP {
	def := DefaultRDAPConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = def.MaxBody
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = def.Concurrency
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = def.CacheTTL
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		}}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RDAP{cfg: cfg, cache: cache, sem: make(chan struct{}, cfg.Concurrency), log: log,
		boot: map[bool][]bootService{}, bootOK: map[bool]error{}}
}

// rdapCached is a cache entry.
type rdapCached struct {
	Contact Contact   `json:"contact"`
	Time    time.Time `json:"time"`
}

// cacheKey is the database's network for ip, or its /24 (IPv4) or /48.
func cacheKey(ip netip.Addr, network string) string {
	if p, err := netip.ParsePrefix(network); err == nil && p.Contains(ip) {
		return p.Masked().String()
	}
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p.String()
}

// Lookup returns the abuse contact for ip. network, if known, is the
// prefix the address belongs to (from the ASN database) and keys the
// cache. Special-purpose addresses are refused without any request.
func (r *RDAP) Lookup(ctx context.Context, ip netip.Addr, network string) (Contact, error) {
	ip = ip.Unmap()
	if s := Classify(ip); s != "" {
		return Contact{}, fmt.Errorf("rdap %s: %s address, not looked up", ip, s)
	}
	key := cacheKey(ip, network)
	if r.cache != nil {
		if b, ok := r.cache.Get(key); ok {
			var c rdapCached
			if json.Unmarshal(b, &c) == nil && time.Since(c.Time) < r.cfg.CacheTTL {
				return c.Contact, nil
			}
		}
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return Contact{}, ctx.Err()
	}
	defer func() { <-r.sem }()
	base, err := r.baseFor(ctx, ip)
	if err != nil {
		return Contact{}, err
	}
	u, err := url.JoinPath(base, "ip", ip.String())
	if err != nil {
		return Contact{}, fmt.Errorf("rdap %s: base %q: %w", ip, base, err)
	}
	b, err := r.get(ctx, u)
	if err != nil {
		r.log.Debug("rdap look-up failed", "ip", ip.String(), "err", err)
		return Contact{}, fmt.Errorf("rdap %s: %w", ip, err)
	}
	c, err := ParseRDAP(b)
	if err != nil {
		return Contact{}, fmt.Errorf("rdap %s: %w", ip, err)
	}
	if host, err := url.Parse(base); err == nil {
		c.Source = "rdap " + host.Host
	}
	if r.cache != nil {
		if v, err := json.Marshal(rdapCached{Contact: c, Time: time.Now().UTC()}); err == nil {
			if err := r.cache.Put(key, v); err != nil {
				r.log.Debug("rdap cache write failed", "err", err)
			}
		}
	}
	return c, nil
}

// get fetches one URL with the request timeout and body cap.
func (r *RDAP) get(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/rdap+json, application/json")
	req.Header.Set("User-Agent", "leakhunt (abuse-contact look-up)")
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(b)) > r.cfg.MaxBody {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", u, r.cfg.MaxBody)
	}
	return b, nil
}

// baseFor is the RDAP server for ip: the configured Base, or the IANA
// bootstrap's longest matching prefix.
func (r *RDAP) baseFor(ctx context.Context, ip netip.Addr) (string, error) {
	if r.cfg.Base != "" {
		return r.cfg.Base, nil
	}
	v6 := !ip.Is4()
	r.bootMu.Lock()
	defer r.bootMu.Unlock()
	if _, done := r.bootOK[v6]; !done {
		src := r.cfg.BootstrapV4
		if v6 {
			src = r.cfg.BootstrapV6
		}
		b, err := r.get(ctx, src)
		if err == nil {
			r.boot[v6], err = parseBootstrap(b)
		}
		if err != nil && ctx.Err() != nil {
			return "", err // try again next time
		}
		r.bootOK[v6] = err
	}
	if err := r.bootOK[v6]; err != nil {
		return "", fmt.Errorf("rdap bootstrap: %w", err)
	}
	best := -1
	base := ""
	for _, s := range r.boot[v6] {
		if s.prefix.Contains(ip) && s.prefix.Bits() > best {
			best, base = s.prefix.Bits(), s.base
		}
	}
	if base == "" {
		return "", fmt.Errorf("rdap bootstrap: no RDAP server for %s", ip)
	}
	return base, nil
}

// parseBootstrap reads an IANA RDAP bootstrap file (RFC 9224), preferring
// https servers.
func parseBootstrap(b []byte) ([]bootService, error) {
	var f struct {
		Services [][][]string `json:"services"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("bootstrap file: %w", err)
	}
	var out []bootService
	for _, svc := range f.Services {
		if len(svc) != 2 || len(svc[1]) == 0 {
			continue
		}
		base := svc[1][0]
		for _, u := range svc[1] {
			if strings.HasPrefix(u, "https://") {
				base = u
				break
			}
		}
		for _, p := range svc[0] {
			if pr, err := netip.ParsePrefix(p); err == nil {
				out = append(out, bootService{pr.Masked(), base})
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bootstrap file names no services")
	}
	return out, nil
}

// rdapEntity is the part of an RDAP entity leakhunt reads.
type rdapEntity struct {
	Roles      []string          `json:"roles"`
	VCardArray []json.RawMessage `json:"vcardArray"`
	Entities   []rdapEntity      `json:"entities"`
	Handle     string            `json:"handle"`
}

// ParseRDAP finds the abuse contact in an RDAP IP network response: the
// first entity (at any depth, breadth first) with the role "abuse" and an
// e-mail address in its vCard.
func ParseRDAP(b []byte) (Contact, error) {
	var resp struct {
		ObjectClassName string       `json:"objectClassName"`
		Name            string       `json:"name"`
		Handle          string       `json:"handle"`
		Entities        []rdapEntity `json:"entities"`
		ErrorCode       int          `json:"errorCode"`
		Title           string       `json:"title"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return Contact{}, fmt.Errorf("not an RDAP response: %w", err)
	}
	if resp.ErrorCode != 0 {
		return Contact{}, fmt.Errorf("RDAP error %d: %.200s", resp.ErrorCode, resp.Title)
	}
	queue := resp.Entities
	for depth := 0; depth < 8 && len(queue) > 0; depth++ {
		var next []rdapEntity
		for _, e := range queue {
			if hasRole(e.Roles, "abuse") {
				if email, fn := vcardEmail(e.VCardArray); email != "" {
					if fn == "" {
						fn = resp.Name
					}
					return Contact{Email: email, Name: fn}, nil
				}
			}
			next = append(next, e.Entities...)
		}
		queue = next
	}
	return Contact{Name: resp.Name}, fmt.Errorf("no abuse contact in RDAP record %.100q", resp.Handle)
}

func hasRole(roles []string, want string) bool {
	for _, r := range roles {
		if strings.EqualFold(r, want) {
			return true
		}
	}
	return false
}

// vcardEmail reads ["vcard", [[name, params, type, value], ...]] (jCard,
// RFC 7095) for the first valid email and the fn.
func vcardEmail(arr []json.RawMessage) (email, fn string) {
	if len(arr) < 2 {
		return "", ""
	}
	var props [][]json.RawMessage
	if json.Unmarshal(arr[1], &props) != nil {
		return "", ""
	}
	for _, p := range props {
		if len(p) < 4 {
			continue
		}
		var name, val string
		if json.Unmarshal(p[0], &name) != nil || json.Unmarshal(p[3], &val) != nil {
			continue
		}
		switch strings.ToLower(name) {
		case "email":
			if a, err := mail.ParseAddress(val); err == nil && email == "" && len(a.Address) <= 254 {
				email = a.Address
			}
		case "fn":
			if fn == "" {
				fn = val
			}
		}
	}
	return email, fn
}
