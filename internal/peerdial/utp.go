package peerdial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/anacrolix/utp"
)

// dialUTP dials addr over uTP (pure-Go anacrolix/utp) from a socket of its
// own. The socket's Accept is never called, so no incoming connection is
// ever acknowledged; it is closed with the connection.
func dialUTP(ctx context.Context, local netip.Addr, addr netip.AddrPort) (net.Conn, error) {
	network, bind, err := utpBind(local, addr)
	if err != nil {
		return nil, err
	}
	s, err := utp.NewSocket(network, bind)
	if err != nil {
		return nil, err
	}
	c, err := s.DialContext(ctx, network, addr.String())
	if err != nil {
		s.Close()
		return nil, err
	}
	return &utpConn{Conn: c, sock: s}, nil
}

// utpHoldAfterClose is how long a peer's address stays held after we
// close a uTP connection the peer had not closed: libtorrent 2.0 keeps
// such a connection for about 3 s after our FIN (measured on loopback) and
// meanwhile refuses every other connection from our address as a
// duplicate.
const utpHoldAfterClose = 4 * time.Second

type utpConn struct {
	net.Conn
	sock       *utp.Socket
	peerClosed atomic.Bool // a read saw the connection end
}

func (c *utpConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.peerClosed.Store(true)
	}
	return n, err
}

func (c *utpConn) Close() error {
	err := c.Conn.Close()
	c.sock.Close()
	return err
}

// releaseAfter is when the address of a closed connection may be dialled
// again.
func releaseAfter(c net.Conn) time.Duration {
	if uc, ok := c.(*utpConn); ok && !uc.peerClosed.Load() {
		return utpHoldAfterClose
	}
	return 0
}

// utpBind returns the network and local address a per-connection uTP
// socket binds to: local when valid, else the source IP the kernel would
// route to addr with (learnt by connecting a UDP socket, which sends
// nothing), so that the recorded local address is a real one rather than
// 0.0.0.0.
func utpBind(local netip.Addr, addr netip.AddrPort) (network, bind string, err error) {
	network = "udp4"
	if addr.Addr().Is6() {
		network = "udp6"
	}
	if !local.IsValid() {
		c, err := net.DialUDP(network, nil, net.UDPAddrFromAddrPort(addr))
		if err != nil {
			return "", "", fmt.Errorf("route to %v: %w", addr, err)
		}
		local = c.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
		c.Close()
	}
	return network, netip.AddrPortFrom(local.Unmap(), 0).String(), nil
}
