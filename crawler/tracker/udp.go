package tracker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"time"
)

// BEP 15 constants.
const (
	udpProtocolID     = 0x41727101980
	udpActionConnect  = 0
	udpActionAnnounce = 1
	udpActionScrape   = 2
	udpActionError    = 3
	udpMaxPacket      = 64 << 10
	udpMaxJunk        = 64 // unrelated packets tolerated per request
)

// udpDial resolves the tracker's host and connects a UDP socket to the
// first address we may contact.
func (c *Client) udpDial(ctx context.Context, u *url.URL) (*net.UDPConn, error) {
	port, err := net.LookupPort("udp", u.Port())
	if err != nil || port == 0 {
		return nil, fmt.Errorf("%w: port %q", ErrURL, u.Port())
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", u.Hostname(), err)
	}
	var lastErr error = fmt.Errorf("%w: %s has no address", ErrForbiddenAddr, u.Hostname())
	for _, ip := range ips {
		if err := c.checkAddr(ip); err != nil {
			lastErr = err
			continue
		}
		conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(port))))
		if err != nil {
			lastErr = err
			continue
		}
		return conn, nil
	}
	return nil, lastErr
}

// udpRoundTrip sends req until a reply with its transaction id arrives or
// ctx ends, resending every UDPRetry. It returns the reply, which starts
// with want's action (an error reply becomes ErrFailure).
func (c *Client) udpRoundTrip(ctx context.Context, conn *net.UDPConn, req []byte, tid, want uint32, buf []byte) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	junk := 0
	for {
		if _, err := conn.Write(req); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(c.cfg.UDPRetry))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break // resend
				}
				return nil, fmt.Errorf("receive: %w", err)
			}
			b := buf[:n]
			if n < 8 || binary.BigEndian.Uint32(b[4:8]) != tid {
				if junk++; junk > udpMaxJunk {
					return nil, fmt.Errorf("%w: too many unrelated packets", ErrResponse)
				}
				continue
			}
			switch action := binary.BigEndian.Uint32(b[:4]); action {
			case want:
				return b, nil
			case udpActionError:
				return nil, fmt.Errorf("%w: %s", ErrFailure, clean(string(b[8:])))
			default:
				return nil, fmt.Errorf("%w: action %d, want %d", ErrResponse, action, want)
			}
		}
	}
}

// udpConnect obtains a connection id.
func (c *Client) udpConnect(ctx context.Context, conn *net.UDPConn, buf []byte) (uint64, error) {
	tid := randUint32()
	req := binary.BigEndian.AppendUint64(nil, udpProtocolID)
	req = binary.BigEndian.AppendUint32(req, udpActionConnect)
	req = binary.BigEndian.AppendUint32(req, tid)
	b, err := c.udpRoundTrip(ctx, conn, req, tid, udpActionConnect, buf)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	if len(b) < 16 {
		return 0, fmt.Errorf("%w: connect reply of %d bytes", ErrResponse, len(b))
	}
	return binary.BigEndian.Uint64(b[8:16]), nil
}

func (c *Client) udpAnnounce(ctx context.Context, u *url.URL, a announce) (Response, error) {
	conn, err := c.udpDial(ctx, u)
	if err != nil {
		return Response{}, err
	}
	defer conn.Close()
	buf := make([]byte, udpMaxPacket)
	cid, err := c.udpConnect(ctx, conn, buf)
	if err != nil {
		return Response{}, err
	}
	tid := randUint32()
	req := udpAnnounceRequest(cid, tid, a)
	b, err := c.udpRoundTrip(ctx, conn, req, tid, udpActionAnnounce, buf)
	if err != nil {
		return Response{}, fmt.Errorf("announce: %w", err)
	}
	v6 := conn.RemoteAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().Is6()
	return parseUDPAnnounce(b, v6, c.cfg.MaxPeers)
}

// udpAnnounceRequest encodes a BEP 15 announce: downloaded, uploaded, ip
// and port are all 0.
func udpAnnounceRequest(cid uint64, tid uint32, a announce) []byte {
	req := binary.BigEndian.AppendUint64(make([]byte, 0, 98), cid)
	req = binary.BigEndian.AppendUint32(req, udpActionAnnounce)
	req = binary.BigEndian.AppendUint32(req, tid)
	req = append(req, a.ih[:]...)
	req = append(req, a.peerID[:]...)
	req = binary.BigEndian.AppendUint64(req, 0)              // downloaded
	req = binary.BigEndian.AppendUint64(req, uint64(a.left)) // left
	req = binary.BigEndian.AppendUint64(req, 0)              // uploaded
	req = binary.BigEndian.AppendUint32(req, uint32(a.event))
	req = binary.BigEndian.AppendUint32(req, 0) // ip: the sender's
	req = binary.BigEndian.AppendUint32(req, a.key)
	req = binary.BigEndian.AppendUint32(req, uint32(int32(a.numWant)))
	return binary.BigEndian.AppendUint16(req, 0) // port 0
}

func (c *Client) udpScrape(ctx context.Context, u *url.URL, ih [20]byte) (Counts, error) {
	conn, err := c.udpDial(ctx, u)
	if err != nil {
		return Counts{}, err
	}
	defer conn.Close()
	buf := make([]byte, udpMaxPacket)
	cid, err := c.udpConnect(ctx, conn, buf)
	if err != nil {
		return Counts{}, err
	}
	tid := randUint32()
	req := binary.BigEndian.AppendUint64(nil, cid)
	req = binary.BigEndian.AppendUint32(req, udpActionScrape)
	req = binary.BigEndian.AppendUint32(req, tid)
	req = append(req, ih[:]...)
	b, err := c.udpRoundTrip(ctx, conn, req, tid, udpActionScrape, buf)
	if err != nil {
		return Counts{}, err
	}
	return parseUDPScrape(b)
}

// parseUDPAnnounce parses a BEP 15 announce reply; peers are 6 bytes each,
// or 18 when the tracker was reached over IPv6.
func parseUDPAnnounce(b []byte, v6 bool, maxPeers int) (Response, error) {
	if len(b) < 20 || binary.BigEndian.Uint32(b) != udpActionAnnounce {
		return Response{}, fmt.Errorf("%w: announce reply of %d bytes", ErrResponse, len(b))
	}
	interval := binary.BigEndian.Uint32(b[8:12])
	out := Response{
		Leechers:  clampCount(int64(binary.BigEndian.Uint32(b[12:16]))),
		Seeders:   clampCount(int64(binary.BigEndian.Uint32(b[16:20]))),
		HasCounts: true,
	}
	if interval < 1<<31 {
		out.Interval = time.Duration(interval) * time.Second
	}
	size := 6
	if v6 {
		size = 18
	}
	ps := newPeerSet(maxPeers)
	if err := ps.addCompact(b[20:], size); err != nil {
		return Response{}, err
	}
	out.Peers = ps.peers
	return out, nil
}

// parseUDPScrape parses a BEP 15 scrape reply for one infohash.
func parseUDPScrape(b []byte) (Counts, error) {
	if len(b) < 20 || binary.BigEndian.Uint32(b) != udpActionScrape {
		return Counts{}, fmt.Errorf("%w: scrape reply of %d bytes", ErrResponse, len(b))
	}
	return Counts{
		Seeders:   clampCount(int64(binary.BigEndian.Uint32(b[8:12]))),
		Completed: clampCount(int64(binary.BigEndian.Uint32(b[12:16]))),
		Leechers:  clampCount(int64(binary.BigEndian.Uint32(b[16:20]))),
	}, nil
}
