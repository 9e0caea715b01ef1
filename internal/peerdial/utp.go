package peerdial

import (
	"fmt"
	"net"
	"net/netip"
)

// utpBind returns the network and local address a per-probe uTP socket
// binds to: local when valid, else the source IP the kernel would route to
// addr with (learnt by connecting a UDP socket, which sends nothing), so
// that the recorded local address is a real one rather than 0.0.0.0.
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
