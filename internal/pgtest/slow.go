package pgtest

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Slow returns the URL of the database at u reached through a proxy that
// holds every chunk of bytes, each way, for delay before passing it on: a
// database server far away (a round trip costs twice delay; chunks in
// flight overlap, as on a long link). The proxy listens on a unix socket
// in a directory of the test's own and stops when the test ends. u must
// name its server by a unix socket directory (host=/dir), as
// scripts/pgtest.sh does.
func Slow(t testing.TB, u string, delay time.Duration) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("pgtest.Slow: %v", err)
	}
	q := pu.Query()
	host, port := q.Get("host"), q.Get("port")
	if port == "" {
		port = "5432"
	}
	if !filepath.IsAbs(host) {
		t.Skipf("pgtest.Slow: %s names no unix socket directory (host=%q)", Env, host)
	}
	upstream := filepath.Join(host, ".s.PGSQL."+port)
	dir, err := os.MkdirTemp("", "pgslow")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, ".s.PGSQL."+port))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("unix", upstream)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); delayCopy(up, c, delay) }()
			go func() { defer wg.Done(); delayCopy(c, up, delay) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
		os.RemoveAll(dir)
	})
	q.Set("host", dir)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// delayCopy copies from src to dst, each chunk delay after it was read,
// and closes both when either side ends.
func delayCopy(dst, src net.Conn, delay time.Duration) {
	type chunk struct {
		due time.Time
		b   []byte
	}
	ch := make(chan chunk, 256)
	go func() {
		defer close(ch)
		for {
			b := make([]byte, 64<<10)
			n, err := src.Read(b)
			if n > 0 {
				ch <- chunk{time.Now().Add(delay), b[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	defer src.Close()
	defer dst.Close()
	for c := range ch {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.b); err != nil {
			// Drain the reader so that it ends when src is closed.
			go func() {
				for range ch {
				}
			}()
			return
		}
	}
}
