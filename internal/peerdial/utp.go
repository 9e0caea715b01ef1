package peerdial

import (
	"context"
	"fmt"
	"net"
	"net/netip"

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

type utpConn struct {
	net.Conn
	sock *utp.Socket
}

func (c *utpConn) Close() error {
	err := c.Conn.Close()
	c.sock.Close()
	return err
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
