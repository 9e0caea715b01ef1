// Package peerdial opens connections to BitTorrent peers, over TCP or uTP,
// in plaintext or with MSE/PE (BEP 8 message stream encryption), for the
// metadata fetcher and the prober alike.
//
// Every dial is checked against leakhunt's address policy first
// (internal/netpolicy), so an address that came from a DHT answer, a
// tracker, PEX, a link or an earlier run is contacted only when the policy
// of this run allows it.
//
// A [Dialer] keeps at most one connection open to each remote IP address:
// clients such as Transmission drop a second connection from an address
// they are already connected to, so a metadata fetch and a probe (or a TCP
// and a uTP attempt) racing to the same host would turn a seeder into a
// failed probe. After we close a uTP connection the address stays held a
// few seconds more, as long as libtorrent keeps the connection on its side.
// Loopback addresses are the exception, keyed by address and port: peers
// of a local test swarm share 127.0.0.1.
//
// uTP is anacrolix's pure-Go implementation: the C libutp that anacrolix
// bundles drops the FIN packet libtorrent sends when it closes a uTP
// connection (it carries a close-reason extension, type 3), so every
// connection a libtorrent peer closed waited for its full timeout.
package peerdial

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// Transports a [Dialer] speaks.
const (
	TCP = "tcp"
	UTP = "utp"
)

// PeerIDPrefix starts every peer id leakhunt sends (probes, metadata
// fetches, tracker announces): Azureus style, client code "LX", version
// 0.1.0.0. No client list we know of assigns LX (libtorrent's
// identify_client, Transmission's clients.cc, the BitTorrent specification
// wiki), so peers log leakhunt under its own code rather than another
// program's name.
const PeerIDPrefix = "-LX0100-"

// NewPeerID returns PeerIDPrefix followed by 12 random bytes.
func NewPeerID() [20]byte {
	var id [20]byte
	n := copy(id[:], PeerIDPrefix)
	_, _ = rand.Read(id[n:]) // crypto/rand.Read never fails
	return id
}

// Dialer opens peer connections. Its exported fields are read-only once it
// is in use; it is safe for concurrent use and must not be copied after
// first use. The zero value dials public addresses only.
type Dialer struct {
	// Policy says which addresses may be contacted.
	Policy netpolicy.Policy
	// LocalAddr, when valid, is the local IP connections are made from.
	LocalAddr netip.Addr
	// OnDial, if set, is called with the local address of every
	// connection opened, before anything is sent on it.
	OnDial func(local net.Addr)

	mu   sync.Mutex
	busy map[netip.AddrPort]chan struct{} // closed when the holder releases
}

// Dial connects to addr over transport (TCP or UTP). It first waits, as
// long as ctx allows, until no other connection of this Dialer to the
// same IP address is open; the returned connection holds the address until
// it is closed. timeout, when positive, bounds the connection set-up alone
// (TCP connect, uTP SYN/ACK), not the wait. A uTP connection has a socket
// of its own that accepts no incoming connection; closing the connection
// closes the socket.
func (d *Dialer) Dial(ctx context.Context, transport string, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if err := d.Policy.CheckAddrPort(addr); err != nil {
		return nil, err
	}
	if transport != TCP && transport != UTP {
		return nil, fmt.Errorf("unknown transport %q", transport)
	}
	release, err := d.hold(ctx, addr)
	if err != nil {
		return nil, err
	}
	dctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var c net.Conn
	if transport == TCP {
		nd := net.Dialer{Control: d.Policy.Control}
		if d.LocalAddr.IsValid() {
			nd.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(d.LocalAddr, 0))
		}
		c, err = nd.DialContext(dctx, "tcp", addr.String())
	} else {
		c, err = dialUTP(dctx, d.LocalAddr, addr)
	}
	if err != nil {
		release()
		return nil, err
	}
	if d.OnDial != nil {
		d.OnDial(c.LocalAddr())
	}
	return &heldConn{Conn: c, release: release}, nil
}

// holdKey is what one connection at a time is allowed to: the IP address,
// or address and port on loopback.
func holdKey(addr netip.AddrPort) netip.AddrPort {
	if addr.Addr().IsLoopback() {
		return addr
	}
	return netip.AddrPortFrom(addr.Addr(), 0)
}

// hold waits until the address of addr is free and takes it.
func (d *Dialer) hold(ctx context.Context, addr netip.AddrPort) (func(), error) {
	key := holdKey(addr)
	for {
		d.mu.Lock()
		if d.busy == nil {
			d.busy = map[netip.AddrPort]chan struct{}{}
		}
		wait, taken := d.busy[key]
		if !taken {
			done := make(chan struct{})
			d.busy[key] = done
			d.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					d.mu.Lock()
					delete(d.busy, key)
					d.mu.Unlock()
					close(done)
				})
			}, nil
		}
		d.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the open connection to %v to end: %w", addr.Addr(), ctx.Err())
		}
	}
}

// heldConn releases its address when closed (a little later for a uTP
// connection the peer may still hold: see utpHoldAfterClose).
type heldConn struct {
	net.Conn
	release func()
}

func (c *heldConn) Close() error {
	err := c.Conn.Close()
	if d := releaseAfter(c.Conn); d > 0 {
		time.AfterFunc(d, c.release)
	} else {
		c.release()
	}
	return err
}

// Closed reports whether err says the peer ended a connection that was up
// (EOF, reset, broken pipe) rather than a timeout or a refused connect:
// what a peer that requires encryption does to a plaintext handshake, and
// one that refuses encryption to an encrypted one.
func Closed(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, errEOF) || errors.Is(err, errUnexpectedEOF) || isReset(err)
}
