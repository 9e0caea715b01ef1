package dht

import (
	"net"
	"net/netip"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/iplist"
)

// publicAddr reports whether a is a global unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate()
}

// usableAddr reports whether the node may send to ap.
func (n *Node) usableAddr(ap netip.AddrPort) bool {
	if !ap.IsValid() || ap.Port() == 0 || ap.Addr().Is6() != n.ipv6 {
		return false
	}
	if n.cfg.AllowLocal {
		return !ap.Addr().IsUnspecified() && !ap.Addr().IsMulticast()
	}
	return publicAddr(ap.Addr())
}

func (n *Node) want() []krpc.Want {
	if n.ipv6 {
		return []krpc.Want{krpc.WantNodes6}
	}
	return []krpc.Want{krpc.WantNodes}
}

// localBlocklist makes the dht server drop packets to and from addresses
// that are not global unicast.
type localBlocklist struct{}

func (localBlocklist) Lookup(ip net.IP) (iplist.Range, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || publicAddr(a) {
		return iplist.Range{}, false
	}
	return iplist.Range{First: ip, Last: ip, Description: "not a public address"}, true
}

func (localBlocklist) NumRanges() int { return 1 }
