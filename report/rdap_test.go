package report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rdapNested is an RIR-style answer: the abuse entity inside the registrant.
const rdapNested = `{"objectClassName":"ip network","handle":"EXAMPLE-NET","name":"EXAMPLE-NET-JP",
 "startAddress":"85.10.0.0","endAddress":"85.10.255.255",
 "entities":[{"objectClassName":"entity","handle":"ORG-1","roles":["registrant"],
   "vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Example Net KK"]]],
   "entities":[{"objectClassName":"entity","handle":"AB-1","roles":["abuse"],
     "vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Example Net Abuse"],["email",{"type":"work"},"text","abuse@examplenet.example"]]]}]}]}`

// rdapServer answers /ip/ADDR: 85.10.* with an abuse entity, 91.20.* with
// 500, 85.11.* slowly, 85.12.* with a huge body, others 404.
type rdapServer struct {
	*httptest.Server
	hits, inFlight, maxInFlight atomic.Int64
}

func newRDAPServer(t *testing.T) *rdapServer {
	rs := &rdapServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.hits.Add(1)
		n := rs.inFlight.Add(1)
		defer rs.inFlight.Add(-1)
		for {
			m := rs.maxInFlight.Load()
			if n <= m || rs.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		ip := strings.TrimPrefix(r.URL.Path, "/ip/")
		switch {
		case strings.HasPrefix(ip, "85.10."):
			w.Header().Set("Content-Type", "application/rdap+json")
			fmt.Fprint(w, rdapNested)
		case strings.HasPrefix(ip, "91.20."):
			http.Error(w, "boom", http.StatusInternalServerError)
		case strings.HasPrefix(ip, "85.11."):
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case strings.HasPrefix(ip, "85.12."):
			fmt.Fprint(w, `{"name":"`+strings.Repeat("x", 1<<20+64<<10)+`"}`)
		case strings.HasPrefix(ip, "85.13."):
			fmt.Fprint(w, `{"errorCode":404,"title":"not found"}`)
		case strings.HasPrefix(ip, "85.14."):
			fmt.Fprint(w, `{"entities":[{"roles":["abuse"],"vcardArray":["vcard",[["email",{},"text","not-an-address"]]]}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memCache) Get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *memCache) Put(k string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return nil
}

func TestRDAPLookup(t *testing.T) {
	rs := newRDAPServer(t)
	cache := &memCache{m: map[string][]byte{}}
	// The timeout is long enough for a 1 MiB body under -race on a loaded
	// machine, and short enough that the slow case ends soon.
	r := NewRDAP(RDAPConfig{Base: rs.URL + "/", Timeout: 2 * time.Second, MaxBody: 1 << 20, Concurrency: 2}, cache)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		ip, email, errPart string
	}{
		{"85.10.1.5", "abuse@examplenet.example", ""},
		{"91.20.3.4", "", "500"},
		{"85.11.0.1", "", "deadline"},
		{"85.12.0.1", "", "larger than"},
		{"85.13.0.1", "", "RDAP error 404"},
		{"85.14.0.1", "", "no abuse contact"},
		{"85.15.0.1", "", "404"},
		{"127.0.0.1", "", "not looked up"},
		{"10.1.2.3", "", "not looked up"},
		{"::1", "", "not looked up"},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			c, err := r.Lookup(ctx, mustAddr(t, tt.ip), "")
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("err = %v, want %q", err, tt.errPart)
				}
				return
			}
			if err != nil || c.Email != tt.email || !strings.HasPrefix(c.Source, "rdap ") {
				t.Fatalf("Lookup = %+v, %v; want %s", c, err, tt.email)
			}
		})
	}
	hits := rs.hits.Load()
	if hits != 7 {
		t.Errorf("%d requests, want 7 (none for special addresses)", hits)
	}
	// Cached: same /24 answers without a request.
	if c, err := r.Lookup(ctx, mustAddr(t, "85.10.1.77"), ""); err != nil || c.Email != "abuse@examplenet.example" {
		t.Errorf("cached look-up = %+v, %v", c, err)
	}
	if rs.hits.Load() != hits {
		t.Error("cached answer fetched again")
	}
	if _, ok := cache.m["85.10.1.0/24"]; !ok {
		t.Errorf("cache keys %v", cache.m)
	}
}

// countingTransport counts the requests a client has in flight: from the
// start of RoundTrip until the response body is closed (or RoundTrip
// fails). That is what RDAPConfig.Concurrency bounds; a count kept by the
// server would also include handlers still running after the client gave
// up on them, which the client cannot bound.
type countingTransport struct {
	inFlight, maxInFlight, started atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.started.Add(1)
	n := c.inFlight.Add(1)
	for m := c.maxInFlight.Load(); n > m && !c.maxInFlight.CompareAndSwap(m, n); m = c.maxInFlight.Load() {
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.inFlight.Add(-1)
		return nil, err
	}
	resp.Body = &countedBody{ReadCloser: resp.Body, done: func() { c.inFlight.Add(-1) }}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

func TestRDAPConcurrencyBound(t *testing.T) {
	rs := newRDAPServer(t)
	ct := &countingTransport{}
	r := NewRDAP(RDAPConfig{Base: rs.URL, Timeout: 200 * time.Millisecond, Concurrency: 2,
		Client: &http.Client{Transport: ct}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Lookup(ctx, mustAddr(t, fmt.Sprintf("85.11.%d.1", i)), "") // slow: all time out
		}()
	}
	wg.Wait()
	if m := ct.maxInFlight.Load(); m != 2 {
		t.Errorf("%d requests in flight at once, want 2 (the bound, reached by 8 callers)", m)
	}
	if n := ct.started.Load(); n != 8 {
		t.Errorf("%d requests made, want 8", n)
	}
	if n := ct.inFlight.Load(); n != 0 {
		t.Errorf("%d requests still open after every Lookup returned", n)
	}
}

func TestRDAPBootstrap(t *testing.T) {
	rs := newRDAPServer(t)
	boot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"version":"1.0","services":[[["85.0.0.0/8"],["http://127.0.0.1:1/nowhere/","%s/"]],[["85.10.0.0/16"],["%s/"]]]}`, rs.URL, rs.URL)
	}))
	defer boot.Close()
	cfg := DefaultRDAPConfig()
	cfg.BootstrapV4, cfg.BootstrapV6 = boot.URL+"/ipv4.json", boot.URL+"/ipv6.json"
	r := NewRDAP(cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := r.Lookup(ctx, mustAddr(t, "85.10.9.9"), "85.10.0.0/16")
	if err != nil || c.Email != "abuse@examplenet.example" {
		t.Fatalf("Lookup = %+v, %v", c, err)
	}
	if _, err := r.Lookup(ctx, mustAddr(t, "1.2.3.4"), ""); err == nil || !strings.Contains(err.Error(), "no RDAP server") {
		t.Errorf("address outside the bootstrap: %v", err)
	}
	if _, err := r.Lookup(ctx, mustAddr(t, "2a0a:1000::1"), ""); err == nil {
		t.Error("IPv6 bootstrap (404) accepted")
	}
}

func TestGenerateWithRDAP(t *testing.T) {
	rs := newRDAPServer(t)
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	opt.Contacts.RDAP = NewRDAP(RDAPConfig{Base: rs.URL, Timeout: 2 * time.Second}, s.KV("rdap:"))
	sum, err := Generate(context.Background(), s, keys, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ContactsUnknown != 1 { // only the loopback host
		t.Errorf("contacts unknown = %d, want 1", sum.ContactsUnknown)
	}
	b, _ := os.ReadFile(filepath.Join(opt.OutDir, "letters", "isp-001.txt"))
	if !strings.Contains(string(b), "Abuse contact: abuse@examplenet.example") {
		t.Errorf("letter lacks the RDAP contact:\n%.600s", b)
	}
	if v, ok := s.KV("rdap:").Get("85.10.0.0/16"); !ok || !strings.Contains(string(v), "abuse@examplenet.example") {
		t.Errorf("rdap cache in store: %q, %v", v, err)
	}
}

func FuzzParseRDAP(f *testing.F) {
	f.Add([]byte(rdapNested))
	f.Add([]byte(`{"errorCode":404,"title":"x"}`))
	f.Add([]byte(`{"entities":[{"roles":["abuse"],"vcardArray":["vcard",[["email",{},"text",1]]]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) { ParseRDAP(b) })
}

func FuzzParseBootstrap(f *testing.F) {
	f.Add([]byte(`{"services":[[["85.0.0.0/8"],["https://rdap.example/"]]]}`))
	f.Fuzz(func(t *testing.T, b []byte) { parseBootstrap(b) })
}
