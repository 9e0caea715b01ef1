package emulefixture

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
)

// PublishKad sends the publish request m to the Kad node at to from a UDP
// socket on from (as the node at that address would publish), and returns
// the node's answer. aMule publishes its own files only minutes after it
// starts; tests publish for it with this.
func PublishKad(from netip.Addr, to netip.AddrPort, m kad.Message) (*kad.PublishRes, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.WriteToUDPAddrPort(kad.Marshal(m), to); err != nil {
		return nil, err
	}
	buf := make([]byte, kad.MaxPacket)
	for {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil, fmt.Errorf("no publish answer from %v: %w", to, err)
		}
		ans, err := kad.Unmarshal(buf[:n])
		if res, ok := ans.(*kad.PublishRes); ok && err == nil {
			return res, nil
		}
		// aMule's own requests (ping, firewall check) come first at times.
	}
}

// NearID returns a Kad ID sharing the first four bytes of target (random
// after): a node with it is among those that index target.
func NearID(target kad.ID) kad.ID {
	id := kad.RandomID()
	copy(id[:4], target[:4])
	return id
}
