//go:build cgo && !disable_libutp

package peerdial

import (
	"context"
	"net"
	"net/netip"

	utp "github.com/anacrolix/go-libutp"
	alog "github.com/anacrolix/log"
)

// dialUTP dials addr over uTP from a socket of its own that refuses every
// incoming connection; the closer closes the connection and the socket.
// This build uses libutp (cgo), as anacrolix/torrent does by default.
func dialUTP(ctx context.Context, local netip.Addr, addr netip.AddrPort) (net.Conn, func(), error) {
	network, bind, err := utpBind(local, addr)
	if err != nil {
		return nil, nil, err
	}
	s, err := utp.NewSocket(network, bind, utp.WithLogger(alog.Default.WithFilterLevel(alog.Disabled)))
	if err != nil {
		return nil, nil, err
	}
	s.SetSyncFirewallCallback(func(net.Addr) bool { return true }) // never accept
	c, err := s.DialContext(ctx, network, addr.String())
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); s.Close() }, nil
}
