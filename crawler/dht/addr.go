package dht

import (
	"net"
	"net/netip"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/iplist"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// policy is leakhunt's address rule for this node: public addresses only,
// unless AllowLocal (loopback and private too).
func (n *Node) policy() netpolicy.Policy {
	if n.cfg.AllowLocal {
		return netpolicy.Local()
	}
	return netpolicy.Policy{}
}

// usableAddr reports whether the node may send to ap.
func (n *Node) usableAddr(ap netip.AddrPort) bool {
	if !ap.IsValid() || ap.Addr().Is6() != n.ipv6 {
		return false
	}
	return n.policy().CheckAddrPort(ap) == nil
}

func (n *Node) want() []krpc.Want {
	if n.ipv6 {
		return []krpc.Want{krpc.WantNodes6}
	}
	return []krpc.Want{krpc.WantNodes}
}

// policyBlocklist makes the dht server drop packets to and from addresses
// the policy refuses.
type policyBlocklist struct{ p netpolicy.Policy }

func (b policyBlocklist) Lookup(ip net.IP) (iplist.Range, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if ok && b.p.Check(a) == nil {
		return iplist.Range{}, false
	}
	return iplist.Range{First: ip, Last: ip, Description: "address refused by policy"}, true
}

func (policyBlocklist) NumRanges() int { return 1 }
