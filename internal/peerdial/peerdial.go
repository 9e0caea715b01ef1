// Package peerdial opens connections to BitTorrent peers, over TCP or uTP,
// for the metadata fetcher and the prober alike. Every dial is checked
// against leakhunt's address policy first (internal/netpolicy), so an
// address that came from a DHT answer, a tracker, PEX, a link or an earlier
// run is contacted only when the policy of this run allows it.
package peerdial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// Transports a [Dialer] speaks.
const (
	TCP = "tcp"
	UTP = "utp"
)

// Dialer opens peer connections. Its fields are read-only once it is in
// use; it is safe for concurrent use.
type Dialer struct {
	// Policy says which addresses may be contacted.
	Policy netpolicy.Policy
	// LocalAddr, when valid, is the local IP connections are made from.
	LocalAddr netip.Addr
	// OnDial, if set, is called with the local address of every
	// connection opened, before anything is sent on it.
	OnDial func(local net.Addr)
}

// Dial connects to addr over transport (TCP or UTP). A uTP connection has
// a socket of its own that accepts no incoming connection; closing the
// connection closes the socket.
func (d *Dialer) Dial(ctx context.Context, transport string, addr netip.AddrPort) (net.Conn, error) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if err := d.Policy.CheckAddrPort(addr); err != nil {
		return nil, err
	}
	var c net.Conn
	switch transport {
	case TCP:
		nd := net.Dialer{Control: d.Policy.Control}
		if d.LocalAddr.IsValid() {
			nd.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(d.LocalAddr, 0))
		}
		tc, err := nd.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			return nil, err
		}
		c = tc
	case UTP:
		uc, closeFn, err := dialUTP(ctx, d.LocalAddr, addr)
		if err != nil {
			return nil, err
		}
		c = &utpConn{Conn: uc, closeFn: closeFn}
	default:
		return nil, fmt.Errorf("unknown transport %q", transport)
	}
	if d.OnDial != nil {
		d.OnDial(c.LocalAddr())
	}
	return c, nil
}

// DialTCPThenUTP connects over TCP and, when that fails, over uTP: many
// peers (behind NAT, or with TCP off) only answer on uTP. Its signature is
// that of a net.Dialer's DialContext; network is ignored beyond "tcp*".
func (d *Dialer) DialTCPThenUTP(ctx context.Context, _, addr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("peer address %q: %w", addr, err)
	}
	c, err := d.Dial(ctx, TCP, ap)
	if err == nil || ctx.Err() != nil || errors.Is(err, netpolicy.ErrForbidden) {
		return c, err
	}
	uc, uerr := d.Dial(ctx, UTP, ap)
	if uerr != nil {
		return nil, fmt.Errorf("%w; utp: %v", err, uerr)
	}
	return uc, nil
}

type utpConn struct {
	net.Conn
	once    sync.Once
	closeFn func()
}

func (c *utpConn) Close() error {
	c.once.Do(c.closeFn)
	return nil
}
