//go:build !cgo || disable_libutp

package peerdial

import (
	"context"
	"net"
	"net/netip"

	"github.com/anacrolix/utp"
)

// dialUTP dials addr over uTP from a socket of its own (pure-Go
// anacrolix/utp, used when cgo is off or with -tags disable_libutp); the
// socket's Accept is never called and it is closed with the connection.
func dialUTP(ctx context.Context, local netip.Addr, addr netip.AddrPort) (net.Conn, func(), error) {
	network, bind, err := utpBind(local, addr)
	if err != nil {
		return nil, nil, err
	}
	s, err := utp.NewSocket(network, bind)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.DialContext(ctx, network, addr.String())
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); s.Close() }, nil
}
