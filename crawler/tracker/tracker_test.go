package tracker

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

var testIH = [20]byte{0xde, 0xad, 0x20, 0x26, '+', ' ', '&', '%'}

func testClient(mode Mode) *Client {
	return New(Config{Mode: mode, AllowPrivate: true, Timeout: 5 * time.Second, UDPRetry: 200 * time.Millisecond, NumWant: 50})
}

// httpTracker records every query it receives and answers announces with
// one compact IPv4 peer, one IPv6 peer and counts (but, like opentracker,
// no peers to a stopped announce unless peersOnStop is set).
type httpTracker struct {
	mu          sync.Mutex
	queries     []url.Values
	peersOnStop bool
}

func (tr *httpTracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tr.mu.Lock()
	tr.queries = append(tr.queries, q)
	tr.mu.Unlock()
	switch r.URL.Path {
	case "/announce":
		peers, peers6 := "\x0a\x00\x00\x01\x1a\xe1\x00\x00\x00\x00\x00\x00", "\x20\x01\x0d\xb8"+string(make([]byte, 11))+"\x01\x1a\xe2"
		if q.Get("event") == "stopped" && !tr.peersOnStop {
			peers, peers6 = "", ""
		}
		w.Write([]byte("d8:completei3e10:incompletei5e8:intervali1800e5:peers" + itoa(len(peers)) + ":" + peers +
			"6:peers6" + itoa(len(peers6)) + ":" + peers6 + "e"))
	case "/scrape":
		ih := q.Get("info_hash")
		w.Write([]byte("d5:filesd20:" + ih + "d8:completei7e10:downloadedi70e10:incompletei9eeee"))
	default:
		http.NotFound(w, r)
	}
}

func itoa(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

func (tr *httpTracker) all() []url.Values {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]url.Values(nil), tr.queries...)
}

// checkNoRegistration asserts what every announce must say: port 0,
// nothing uploaded or downloaded, no ip parameter.
func checkNoRegistration(t *testing.T, q url.Values) {
	t.Helper()
	if q.Get("port") != "0" || q.Get("uploaded") != "0" || q.Get("downloaded") != "0" || q.Has("ip") || q.Has("ipv6") {
		t.Errorf("announce %v registers a reachable peer", q)
	}
	if q.Get("info_hash") != string(testIH[:]) {
		t.Errorf("info_hash %q", q.Get("info_hash"))
	}
}

func TestHTTPAnnounceStoppedOnly(t *testing.T) {
	tr := &httpTracker{peersOnStop: true}
	srv := httptest.NewServer(tr)
	defer srv.Close()
	r, err := testClient(ModeStopped).Announce(context.Background(), srv.URL+"/announce?passkey=x", testIH, 0)
	if err != nil {
		t.Fatal(err)
	}
	qs := tr.all()
	if len(qs) != 1 {
		t.Fatalf("%d requests, want 1", len(qs))
	}
	checkNoRegistration(t, qs[0])
	if qs[0].Get("event") != "stopped" || qs[0].Get("passkey") != "x" || qs[0].Get("numwant") != "50" {
		t.Errorf("query %v: want event=stopped, the passkey kept, numwant=50", qs[0])
	}
	want := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:6881"), netip.MustParseAddrPort("[2001:db8::1]:6882")}
	if len(r.Peers) != 2 || r.Peers[0] != want[0] || r.Peers[1] != want[1] {
		t.Errorf("Peers = %v, want %v", r.Peers, want)
	}
	if !r.HasCounts || r.Seeders != 3 || r.Leechers != 5 || r.Interval != 30*time.Minute {
		t.Errorf("counts %+v", r)
	}
}

func TestHTTPAnnounceLeecher(t *testing.T) {
	tr := &httpTracker{}
	srv := httptest.NewServer(tr)
	defer srv.Close()
	r, err := testClient(ModeLeecher).Announce(context.Background(), srv.URL+"/announce", testIH, 123456)
	if err != nil {
		t.Fatal(err)
	}
	qs := tr.all()
	if len(qs) != 2 {
		t.Fatalf("%d requests, want announce then withdraw", len(qs))
	}
	for _, q := range qs {
		checkNoRegistration(t, q)
	}
	if qs[0].Get("event") != "started" || qs[1].Get("event") != "stopped" {
		t.Errorf("events %q then %q, want started then stopped", qs[0].Get("event"), qs[1].Get("event"))
	}
	if qs[0].Get("left") != "123456" || qs[0].Get("numwant") != "50" {
		t.Errorf("left=%s numwant=%s, want the torrent's size and our numwant", qs[0].Get("left"), qs[0].Get("numwant"))
	}
	if qs[0].Get("peer_id") != qs[1].Get("peer_id") || qs[0].Get("key") != qs[1].Get("key") {
		t.Error("withdraw uses another peer id or key: the tracker would keep the first entry")
	}
	if len(r.Peers) != 2 {
		t.Errorf("Peers = %v", r.Peers)
	}
}

func TestHTTPScrape(t *testing.T) {
	srv := httptest.NewServer(&httpTracker{})
	defer srv.Close()
	c, err := testClient(ModeStopped).Scrape(context.Background(), srv.URL+"/announce", testIH)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{Seeders: 7, Leechers: 9, Completed: 70}) {
		t.Errorf("Counts = %+v", c)
	}
	if _, err := testClient(ModeStopped).Scrape(context.Background(), srv.URL+"/tracker", testIH); !errors.Is(err, ErrNoScrape) {
		t.Errorf("scrape of a non-announce URL: %v", err)
	}
}

func TestHostileHTTPResponses(t *testing.T) {
	for name, body := range map[string]string{
		"failure":        "d14:failure reason6:denied\x07e",
		"not bencode":    "<html>hello</html>",
		"odd compact":    "d5:peers5:abcdee",
		"deep nesting":   string(make([]byte, 0)) + repeat("l", 50) + repeat("e", 50),
		"huge body":      "d5:peers" + "2000000:" + repeat("x", 2000000) + "e",
		"huge integer":   "d8:intervali" + repeat("9", 100) + "ee",
		"wrong type":     "d5:peersi5ee",
		"trailing bytes": "d8:intervali1eextra",
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
			defer srv.Close()
			_, err := testClient(ModeStopped).Announce(context.Background(), srv.URL+"/announce", testIH, 0)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrResponse) && !errors.Is(err, ErrFailure) {
				t.Errorf("error %v wraps neither ErrResponse nor ErrFailure", err)
			}
		})
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func TestForbiddenTargets(t *testing.T) {
	srv := httptest.NewServer(&httpTracker{})
	defer srv.Close()
	c := New(Config{Timeout: 2 * time.Second}) // AllowPrivate off
	for _, u := range []string{srv.URL + "/announce", "udp://127.0.0.1:6969/announce", "udp://[::1]:6969",
		"udp://[64:ff9b::a00:1]:6969/announce",  // NAT64 of 10.0.0.1
		"http://[2002:7f00:1::1]:6969/announce", // 6to4 of 127.0.0.1
		"udp://100.64.0.1:6969/announce",        // carrier-grade NAT
		"http://[64:ff9b::7f00:1]:1/announce"} { // NAT64 of 127.0.0.1
		if _, err := c.Announce(context.Background(), u, testIH, 0); !errors.Is(err, ErrForbiddenAddr) {
			t.Errorf("%s: %v, want ErrForbiddenAddr", u, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "wss://x/announce", "udp://host-without-port/", "http://user:pw@h/announce", "::"} {
		if _, err := c.Announce(context.Background(), u, testIH, 0); !errors.Is(err, ErrURL) {
			t.Errorf("%s: %v, want ErrURL", u, err)
		}
	}
}

// udpTracker is a BEP 15 tracker on loopback that records the announce
// requests it gets.
type udpTracker struct {
	pc        net.PacketConn
	mu        sync.Mutex
	requests  [][]byte
	dropFirst bool
}

func startUDPTracker(t *testing.T, network, addr string, dropFirst bool) *udpTracker {
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	tr := &udpTracker{pc: pc, dropFirst: dropFirst}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		dropped := false
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			b := append([]byte(nil), buf[:n]...)
			if tr.dropFirst && !dropped {
				dropped = true // exercise the client's resend
				continue
			}
			if n < 16 {
				continue
			}
			action, tid := binary.BigEndian.Uint32(b[8:12]), b[12:16]
			var resp []byte
			switch action {
			case udpActionConnect:
				resp = append([]byte{0, 0, 0, 0}, tid...)
				resp = binary.BigEndian.AppendUint64(resp, 0x1122334455667788)
			case udpActionAnnounce:
				tr.mu.Lock()
				tr.requests = append(tr.requests, b)
				tr.mu.Unlock()
				resp = append([]byte{0, 0, 0, 1}, tid...)
				resp = append(resp, 0, 0, 7, 8, 0, 0, 0, 4, 0, 0, 0, 2) // interval 1800, 4 leechers, 2 seeders
				if from.(*net.UDPAddr).IP.To4() != nil {
					resp = append(resp, 192, 0, 2, 1, 0x1a, 0xe1, 192, 0, 2, 1, 0x1a, 0xe1, 192, 0, 2, 2, 0, 0)
				} else {
					resp = append(resp, netip.MustParseAddr("2001:db8::5").AsSlice()...)
					resp = append(resp, 0x1a, 0xe1)
				}
			case udpActionScrape:
				resp = append([]byte{0, 0, 0, 2}, tid...)
				resp = append(resp, 0, 0, 0, 2, 0, 0, 0, 20, 0, 0, 0, 4)
			default:
				resp = append(append([]byte{0, 0, 0, 3}, tid...), "bad action"...)
			}
			pc.WriteTo(resp, from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return tr
}

func TestUDPAnnounceAndScrape(t *testing.T) {
	for _, tc := range []struct{ network, addr, want string }{
		{"udp4", "127.0.0.1:0", "192.0.2.1:6881"},
		{"udp6", "[::1]:0", "[2001:db8::5]:6881"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			tr := startUDPTracker(t, tc.network, tc.addr, true)
			u := "udp://" + tr.pc.LocalAddr().String() + "/announce"
			r, err := testClient(ModeStopped).Announce(context.Background(), u, testIH, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Peers) != 1 || r.Peers[0].String() != tc.want || r.Seeders != 2 || r.Leechers != 4 {
				t.Errorf("Response %+v, want one peer %s (duplicates and port 0 dropped)", r, tc.want)
			}
			tr.mu.Lock()
			reqs := tr.requests
			tr.mu.Unlock()
			if len(reqs) != 1 || len(reqs[0]) != 98 {
				t.Fatalf("announce requests %d", len(reqs))
			}
			req := reqs[0]
			if string(req[16:36]) != string(testIH[:]) {
				t.Error("wrong infohash")
			}
			event, ip, port := binary.BigEndian.Uint32(req[80:84]), binary.BigEndian.Uint32(req[84:88]), binary.BigEndian.Uint16(req[96:98])
			up, down := binary.BigEndian.Uint64(req[72:80]), binary.BigEndian.Uint64(req[56:64])
			if event != 3 || ip != 0 || port != 0 || up != 0 || down != 0 {
				t.Errorf("event=%d ip=%d port=%d up=%d down=%d, want a stopped announce with port 0", event, ip, port, up, down)
			}
			c, err := testClient(ModeStopped).Scrape(context.Background(), u, testIH)
			if err != nil || c != (Counts{Seeders: 2, Completed: 20, Leechers: 4}) {
				t.Errorf("Scrape = %+v, %v", c, err)
			}
		})
	}
}

func TestUDPNoAnswerTimesOut(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := testClient(ModeStopped).Announce(ctx, "udp://"+pc.LocalAddr().String(), testIH, 0); err == nil {
		t.Fatal("no error from a silent tracker")
	}
}

func TestSourceIsPeerSource(t *testing.T) {
	srv := httptest.NewServer(&httpTracker{peersOnStop: true})
	defer srv.Close()
	var src interface {
		Peers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error)
	} = testClient(ModeStopped).Source(srv.URL+"/announce", 0)
	peers, err := src.Peers(context.Background(), testIH)
	if err != nil || len(peers) != 2 {
		t.Errorf("Peers = %v, %v", peers, err)
	}
}
