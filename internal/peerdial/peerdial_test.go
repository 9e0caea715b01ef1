package peerdial

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/mse"

	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

func listen(t *testing.T) (net.Listener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).AddrPort()
}

// TestOneConnectionPerAddress: a second dial to an address with an open
// connection waits until that connection is closed.
func TestOneConnectionPerAddress(t *testing.T) {
	ln, addr := listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	d := &Dialer{Policy: netpolicy.Local()}
	ctx := context.Background()
	first, err := d.Dial(ctx, TCP, addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// While the first is open, a dial bounded by a cancelled context fails
	// without connecting.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if c, err := d.Dial(cctx, TCP, addr, time.Second); err == nil {
		c.Close()
		t.Fatal("second connection opened while the first was open")
	}
	second := make(chan error, 1)
	go func() {
		c, err := d.Dial(ctx, UTP, addr, time.Second) // any transport: the address is held
		if c != nil {
			c.Close()
		}
		second <- err
	}()
	select {
	case err := <-second:
		t.Fatalf("second dial returned (%v) while the first connection was open", err)
	case <-time.After(100 * time.Millisecond):
	}
	first.Close()
	first.Close() // closing twice releases once
	select {
	case <-second: // uTP to a TCP-only port fails; what matters is that it was let through
	case <-time.After(10 * time.Second):
		t.Fatal("second dial still waiting after the first connection closed")
	}
	// The address is free again.
	c, err := d.Dial(ctx, TCP, addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestHoldKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"203.0.113.7:6881", "203.0.113.7:51413"},
		{"[2001:db8::1]:1", "[2001:db8::1]:2"},
	} {
		t.Run(tc.a, func(t *testing.T) {
			if holdKey(netip.MustParseAddrPort(tc.a)) != holdKey(netip.MustParseAddrPort(tc.b)) {
				t.Errorf("%s and %s are held separately; one IP is one host", tc.a, tc.b)
			}
		})
	}
	if holdKey(netip.MustParseAddrPort("127.0.0.1:1")) == holdKey(netip.MustParseAddrPort("127.0.0.1:2")) {
		t.Error("loopback peers on different ports share a hold")
	}
}

func TestDialRefusesByPolicy(t *testing.T) {
	_, addr := listen(t)
	var d Dialer
	if _, err := d.Dial(context.Background(), TCP, addr, time.Second); !errors.Is(err, netpolicy.ErrForbidden) {
		t.Fatalf("dial to loopback without permission: %v", err)
	}
	if _, err := d.Dial(context.Background(), "udp", netip.MustParseAddrPort("192.0.2.1:1"), time.Second); err == nil {
		t.Fatal("unknown transport accepted")
	}
}

// tapConn records what is written to a connection.
type tapConn struct {
	net.Conn
	mu      sync.Mutex
	written bytes.Buffer
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.written.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// TestEncrypt runs our MSE initiator against anacrolix's receiver: the
// handshake completes for the right infohash, what crosses the wire is not
// the plaintext, and the stream above it is.
func TestEncrypt(t *testing.T) {
	ih := [20]byte{1, 2, 3}
	hello := []byte("\x13BitTorrent protocol and more")
	for _, tc := range []struct {
		name     string
		selector mse.CryptoSelector
		skey     [20]byte
		wantErr  bool
	}{
		{"rc4", func(mse.CryptoMethod) mse.CryptoMethod { return mse.CryptoMethodRC4 }, ih, false},
		{"plaintext after header", func(mse.CryptoMethod) mse.CryptoMethod { return mse.CryptoMethodPlaintext }, ih, false},
		{"other torrent", mse.DefaultCryptoSelector, [20]byte{9}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, addr := listen(t)
			got := make(chan []byte, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- nil
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				skeys := func(cb func([]byte) bool) { cb(tc.skey[:]) }
				rw, _, err := mse.ReceiveHandshake(context.Background(), c, skeys, tc.selector)
				if err != nil {
					got <- nil
					return
				}
				b := make([]byte, len(hello))
				if _, err := io.ReadFull(rw, b); err != nil {
					got <- nil
					return
				}
				got <- b
			}()
			raw, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			tap := &tapConn{Conn: raw}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Encrypt(ctx, tap, ih)
			if tc.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("handshake with a peer keyed for another torrent succeeded")
				}
				if !errors.Is(err, ErrEncryption) || !Retry(err) {
					t.Errorf("error %v: want ErrEncryption, worth retrying in plaintext", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(hello); err != nil {
				t.Fatal(err)
			}
			if b := <-got; !bytes.Equal(b, hello) {
				t.Fatalf("receiver read %q, want %q", b, hello)
			}
			tap.mu.Lock()
			wire := tap.written.Bytes()
			tap.mu.Unlock()
			if bytes.Contains(wire, []byte("BitTorrent protocol")) != (tc.name == "plaintext after header") {
				t.Errorf("%s: plaintext on the wire = %v", tc.name, !bytes.Contains(wire, []byte("BitTorrent protocol")))
			}
			if len(wire) < 96+len(hello) {
				t.Errorf("only %d bytes on the wire: no key exchange", len(wire))
			}
		})
	}
}

func TestAttempts(t *testing.T) {
	for _, tc := range []struct {
		e    Encryption
		want string
	}{
		{EncryptFallback, "tcp tcp+mse"},
		{EncryptPrefer, "tcp+mse tcp"},
		{EncryptRequire, "tcp+mse"},
		{EncryptNever, "tcp"},
	} {
		var names []string
		for _, a := range tc.e.Attempts(TCP) {
			names = append(names, a.String())
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.e, got, tc.want)
		}
		if e, err := ParseEncryption(tc.e.String()); err != nil || e != tc.e {
			t.Errorf("ParseEncryption(%q) = %v, %v", tc.e.String(), e, err)
		}
	}
	if _, err := ParseEncryption("maybe"); err == nil {
		t.Error("ParseEncryption accepted nonsense")
	}
	if !strings.HasPrefix(string(func() []byte { id := NewPeerID(); return id[:] }()), PeerIDPrefix) {
		t.Error("NewPeerID does not start with PeerIDPrefix")
	}
}

func TestRetry(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{io.ErrUnexpectedEOF, true},
		{&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, false}, // text alone is not a reset
		{ErrEncryption, true},
		{context.DeadlineExceeded, false},
		{errors.New("peer reset"), true},
		{nil, false},
	} {
		if got := Retry(tc.err); got != tc.want {
			t.Errorf("Retry(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestPeerIDUnknownToLibtorrent: libtorrent's client table does not know
// our code, so it names us by the code itself rather than as another
// program (as it did "-LH": "LH-ABC").
func TestPeerIDUnknownToLibtorrent(t *testing.T) {
	if got := interop.IdentifyClient(t, NewPeerID()); got != "LX 0.1.0" {
		t.Errorf("libtorrent names our peer id %q, want the bare code LX 0.1.0", got)
	}
	var old [20]byte
	copy(old[:], "-LH0001-abcdefghijkl")
	if got := interop.IdentifyClient(t, old); got == "LH 0.0.0.1" {
		t.Errorf("libtorrent names -LH0001- %q: the check above proves nothing", got)
	}
}
