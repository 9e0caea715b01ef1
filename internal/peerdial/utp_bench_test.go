//go:build cgo

package peerdial

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	libutp "github.com/anacrolix/go-libutp"
	alog "github.com/anacrolix/log"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/interop"
)

// BenchmarkUTPClosedHandshake measures how long it takes to learn that a
// libtorrent peer closed a uTP connection (libtorrent requiring encryption
// ends a plaintext handshake with a FIN carrying its close-reason
// extension): with the pure-Go uTP this package uses, and with the C libutp
// anacrolix bundles, which drops that FIN, so that only a deadline ends the
// wait (handshakeDeadline here; the whole probe timeout, 60 s, before
// there was one). Reported as s/close. Run: scripts/bench-utp.sh.
func BenchmarkUTPClosedHandshake(b *testing.B) {
	const handshakeDeadline = 10 * time.Second
	tor := interop.NewTorrent(b, "doc.bin", 100_000, 16<<10, 9)
	peer := interop.Start(b, interop.Libtorrent, tor, interop.Options{Transport: "utp", Encryption: interop.Required, NoTracker: true})
	for _, impl := range []struct {
		name string
		dial func(ctx context.Context, addr netip.AddrPort) (net.Conn, func(), error)
	}{
		{"pure-go", func(ctx context.Context, addr netip.AddrPort) (net.Conn, func(), error) {
			c, err := dialUTP(ctx, netip.Addr{}, addr)
			return c, func() {}, err
		}},
		{"libutp", func(ctx context.Context, addr netip.AddrPort) (net.Conn, func(), error) {
			s, err := libutp.NewSocket("udp4", "127.0.0.1:0", libutp.WithLogger(alog.Default.WithFilterLevel(alog.Disabled)))
			if err != nil {
				return nil, nil, err
			}
			c, err := s.DialContext(ctx, "udp4", addr.String())
			if err != nil {
				s.Close()
				return nil, nil, err
			}
			return c, func() { s.Close() }, nil
		}},
	} {
		b.Run(impl.name, func(b *testing.B) {
			var total time.Duration
			closed := 0
			for range b.N {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c, done, err := impl.dial(ctx, peer.Addr)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				hs := append(append(append([]byte(pp.Protocol), make([]byte, 8)...), tor.InfoHash[:]...), PeerIDPrefix+"abcdefghijkl"...)
				start := time.Now()
				c.Write(hs)
				c.SetReadDeadline(start.Add(handshakeDeadline))
				_, err = io.ReadFull(c, make([]byte, 68))
				total += time.Since(start)
				if Closed(err) {
					closed++
				}
				c.Close()
				done()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/close")
			b.ReportMetric(float64(closed)/float64(b.N), "seen-closed/op")
		})
	}
}
