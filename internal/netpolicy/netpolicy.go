// Package netpolicy is leakhunt's one rule for which network addresses may
// be contacted. Every dialler (web client, tracker client, DHT node,
// metadata fetcher, peer prober) and every source of peer addresses (DHT,
// trackers, PEX, links) asks the same [Policy], at the moment of the dial,
// so that an address allowed once (a local test swarm run with
// --allow-local) is not contacted later without that permission.
//
// Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo)
// are judged by the embedded address too: 64:ff9b::a01:203 is 10.1.2.3.
package netpolicy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrForbidden is wrapped by every refusal ([*AddressError]).
var ErrForbidden = errors.New("address not allowed")

// AddressError names a refused address and why it was refused.
type AddressError struct {
	Addr   netip.Addr
	Reason string // a [Classify] label
}

// Error says which address was refused and why.
func (e *AddressError) Error() string {
	return fmt.Sprintf("connect to %s refused: %s %v", e.Addr, e.Reason, ErrForbidden)
}

// Unwrap returns [ErrForbidden].
func (e *AddressError) Unwrap() error { return ErrForbidden }

// Labels [Classify] returns. Loopback and Private may be allowed by a
// [Policy]; every other label is always refused.
const (
	Public   = ""
	Loopback = "loopback"
	// Private covers RFC 1918, RFC 6598 shared address space (carrier-grade
	// NAT), IPv6 unique-local (fc00::/7), deprecated site-local (fec0::/10)
	// and local-use NAT64 (64:ff9b:1::/48).
	Private     = "private"
	LinkLocal   = "link-local"
	Multicast   = "multicast"
	Unspecified = "unspecified"
	Broadcast   = "broadcast"
	Invalid     = "invalid"
	// Reserved covers documentation, benchmarking, IETF protocol
	// assignments, 0.0.0.0/8, 240.0.0.0/4, IPv4-compatible and discard
	// ranges.
	Reserved = "reserved"
	// Embedded labels an IPv6 address whose embedded IPv4 address is not
	// public.
	Embedded = "embeds a non-public IPv4 address"
)

var (
	sharedSpace  = netip.MustParsePrefix("100.64.0.0/10")
	siteLocal    = netip.MustParsePrefix("fec0::/10")
	nat64        = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local   = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4       = netip.MustParsePrefix("2002::/16")
	teredo       = netip.MustParsePrefix("2001::/32")
	broadcast4   = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	reservedNets = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("240.0.0.0/4"),
		netip.MustParsePrefix("::/96"), // IPv4-compatible (deprecated)
		netip.MustParsePrefix("100::/64"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("3fff::/20"), // documentation (RFC 9637)
	}
)

// Classify returns the label of an address: [Public] ("") for an ordinary
// public unicast address, otherwise why it is special. IPv4-mapped
// addresses are classified as the IPv4 address; zones are ignored.
func Classify(a netip.Addr) string {
	if !a.IsValid() {
		return Invalid
	}
	a = a.Unmap().WithZone("")
	switch {
	case a.IsUnspecified():
		return Unspecified
	case a.IsLoopback():
		return Loopback
	case a.IsPrivate() || sharedSpace.Contains(a) || siteLocal.Contains(a) || nat64Local.Contains(a):
		return Private
	case a.IsLinkLocalUnicast():
		return LinkLocal
	case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
		return Multicast
	case a == broadcast4:
		return Broadcast
	}
	for _, p := range reservedNets {
		if p.Contains(a) {
			return Reserved
		}
	}
	if v4, ok := embeddedIPv4(a); ok && Classify(v4) != Public {
		return Embedded
	}
	return Public
}

// embeddedIPv4 returns the IPv4 address a NAT64 (RFC 6052 well-known
// prefix), 6to4 (RFC 3056) or Teredo (RFC 4380, client address) address
// carries.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixTo4.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case teredo.Contains(a):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), true
	}
	return netip.Addr{}, false
}

// Policy decides which addresses may be contacted. The zero value allows
// public addresses only. A Policy is a value: safe for concurrent use.
type Policy struct {
	// AllowLoopback permits 127.0.0.0/8 and ::1 (local test swarms).
	AllowLoopback bool
	// AllowPrivate permits the [Private] ranges.
	AllowPrivate bool
	// Allow lists prefixes permitted whatever their label.
	Allow []netip.Prefix
}

// Local is the policy of --allow-local: loopback and private addresses are
// permitted too.
func Local() Policy { return Policy{AllowLoopback: true, AllowPrivate: true} }

// Check returns nil when a may be contacted, or an [*AddressError].
func (p Policy) Check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, pre := range p.Allow {
		if pre.Contains(a) {
			return nil
		}
	}
	switch l := Classify(a); {
	case l == Public, l == Loopback && p.AllowLoopback, l == Private && p.AllowPrivate:
		return nil
	case l == Embedded && (p.AllowLoopback || p.AllowPrivate):
		v4, _ := embeddedIPv4(a)
		if p.Check(v4) == nil {
			return nil
		}
		return &AddressError{Addr: a, Reason: l}
	default:
		return &AddressError{Addr: a, Reason: l}
	}
}

// CheckAddrPort is [Policy.Check] for a peer address, which also needs a
// port.
func (p Policy) CheckAddrPort(ap netip.AddrPort) error {
	if ap.Port() == 0 {
		return &AddressError{Addr: ap.Addr(), Reason: "port 0"}
	}
	return p.Check(ap.Addr())
}

// Control is a [net.Dialer] Control function: it runs after the socket is
// created and before connect(2), on the numeric address actually dialled
// (after DNS resolution and redirects), and refuses what the policy
// forbids.
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %q: %w", address, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %q: not a numeric address: %w", address, ErrForbidden)
	}
	return p.Check(a)
}
