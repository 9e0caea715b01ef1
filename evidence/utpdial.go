package evidence

import (
	"context"
	"net"
	"net/netip"
	"sync"
)

// DialUTP opens a uTP connection to addr from a socket of its own that
// accepts no incoming connection; closing the connection closes the
// socket. Other packages (the metadata fetcher) use it to reach peers that
// do not accept TCP. Safe for concurrent use.
func DialUTP(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	c, closeFn, err := dialUTP(ctx, netip.Addr{}, addr)
	if err != nil {
		return nil, err
	}
	return &utpConn{Conn: c, closeFn: closeFn}, nil
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
