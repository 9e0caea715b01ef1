package interop

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tracker is an opentracker on 127.0.0.1, over HTTP and UDP.
type Tracker struct {
	// HTTP and UDP are announce URLs.
	HTTP, UDP string
	port      int
}

// StartOpentracker runs opentracker for the given infohashes (Debian
// builds it with a whitelist: other torrents are refused).
func StartOpentracker(t testing.TB, infohashes ...[20]byte) *Tracker {
	t.Helper()
	bin := Need(t, "opentracker")
	dir := t.TempDir()
	var wl strings.Builder
	for _, ih := range infohashes {
		wl.WriteString(hex.EncodeToString(ih[:]) + "\n")
	}
	wlPath := filepath.Join(dir, "whitelist")
	if err := os.WriteFile(wlPath, []byte(wl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t, Loopback)
	// It changes root to its working directory when it can (-d .) and
	// reads the whitelist afterwards: name it relative to that directory.
	p := start(t, dir, false, bin, "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-P", fmt.Sprint(port),
		"-w", filepath.Base(wlPath), "-d", ".", "-u", "nobody")
	tr := &Tracker{HTTP: fmt.Sprintf("http://127.0.0.1:%d/announce", port), UDP: fmt.Sprintf("udp://127.0.0.1:%d", port), port: port}
	p.waitFor(t, "opentracker", func() (bool, error) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil, err
	})
	return tr
}

// Announce announces 127.0.0.1:port over HTTP as a peer of ih with left
// bytes to go (0: a seeder) and the event ("" for none) and returns the
// answer's body.
func (tr *Tracker) Announce(ctx context.Context, ih [20]byte, port uint16, left int, event string) ([]byte, error) {
	q := fmt.Sprintf("info_hash=%s&peer_id=-XX0001-%012d&port=%d&uploaded=0&downloaded=0&left=%d&compact=1&numwant=200",
		url.QueryEscape(string(ih[:])), port, port, left)
	if event != "" {
		q += "&event=" + event
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tr.HTTP+"?"+q, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// Peers asks the tracker, over HTTP, for the peers of ih the way a leecher
// of the swarm would (announcing ourPort, then withdrawing), and returns
// what it listed apart from ourPort: every entry, usable or not.
func (tr *Tracker) Peers(ctx context.Context, ih [20]byte, ourPort uint16) ([]netip.AddrPort, error) {
	body, err := tr.Announce(ctx, ih, ourPort, 1, "started")
	if err != nil {
		return nil, err
	}
	if _, err := tr.Announce(ctx, ih, ourPort, 0, "stopped"); err != nil {
		return nil, err
	}
	// The compact list follows "5:peers<n>:" in opentracker's answer.
	i := strings.Index(string(body), "5:peers")
	if i < 0 {
		return nil, fmt.Errorf("opentracker answered %q", body)
	}
	rest := body[i+len("5:peers"):]
	j := strings.IndexByte(string(rest), ':')
	if j < 0 {
		return nil, fmt.Errorf("opentracker answered %q", body)
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil || n%6 != 0 || len(rest) < j+1+n {
		return nil, fmt.Errorf("opentracker answered %q", body)
	}
	var out []netip.AddrPort
	for b := rest[j+1 : j+1+n]; len(b) >= 6; b = b[6:] {
		ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), binary.BigEndian.Uint16(b[4:6]))
		if ap.Port() != ourPort {
			out = append(out, ap)
		}
	}
	return out, nil
}

// WaitPeers waits until the tracker lists at least want peers of ih (the
// clients announce on their own schedule) and returns them.
func (tr *Tracker) WaitPeers(t testing.TB, ih [20]byte, want int) []netip.AddrPort {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := tr.Peers(ctx, ih, 1)
		if err == nil && len(got) >= want {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("opentracker lists %v (%v), want %d peers", got, err, want)
		case <-tick.C:
		}
	}
}
