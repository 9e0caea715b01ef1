package web

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// ErrForbiddenAddress is wrapped by the error returned when a connection
// would reach an address that [Config] does not allow (private, loopback,
// link-local, multicast, unspecified or reserved). The check runs in the
// dialer, on the address actually dialled, before any packet is sent.
var ErrForbiddenAddress = errors.New("address not allowed")

// AddressError names the refused address.
type AddressError struct {
	Addr   netip.Addr
	Reason string
}

// Error says which address was refused and why.
func (e *AddressError) Error() string {
	return fmt.Sprintf("connect to %s refused: %s %v", e.Addr, e.Reason, ErrForbiddenAddress)
}

// Unwrap returns [ErrForbiddenAddress].
func (e *AddressError) Unwrap() error { return ErrForbiddenAddress }

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598
	siteLocal   = netip.MustParsePrefix("fec0::/10")     // deprecated IPv6 site-local
	alwaysDeny  = []struct {
		p      netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
		{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
		{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
		{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
		{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
		{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
		{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
		{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
		{netip.MustParsePrefix("100::/64"), "discard"},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	}
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// addrPolicy decides which addresses may be dialled. It is immutable.
type addrPolicy struct {
	loopback, private bool
	allow             []netip.Prefix
}

// check returns nil when a may be dialled, or an *AddressError.
func (p addrPolicy) check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, pre := range p.allow {
		if pre.Contains(a) {
			return nil
		}
	}
	deny := func(reason string) error { return &AddressError{Addr: a, Reason: reason} }
	// Addresses that embed an IPv4 address are judged by it too.
	if a.Is6() && (nat64.Contains(a) || sixTo4.Contains(a)) {
		b := a.As16()
		var v4 [4]byte
		if nat64.Contains(a) {
			copy(v4[:], b[12:16])
		} else {
			copy(v4[:], b[2:6])
		}
		if err := p.check(netip.AddrFrom4(v4)); err != nil {
			return deny("embeds a refused IPv4 address")
		}
	}
	switch {
	case !a.IsValid():
		return deny("invalid")
	case a.IsUnspecified():
		return deny("unspecified")
	case a.IsLoopback():
		if p.loopback {
			return nil
		}
		return deny("loopback")
	case a.IsPrivate() || sharedSpace.Contains(a) || siteLocal.Contains(a):
		if p.private {
			return nil
		}
		return deny("private")
	case a.IsLinkLocalUnicast():
		return deny("link-local")
	case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
		return deny("multicast")
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return deny("broadcast")
	}
	for _, d := range alwaysDeny {
		if d.p.Contains(a) {
			return deny(d.reason)
		}
	}
	return nil
}

// control checks the numeric address a net.Dialer.Control function is
// given (host:port). Control runs after the socket is created and before
// connect(2), so it sees the address after DNS resolution and redirects.
func (p addrPolicy) control(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %q: %w", address, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %q: not a numeric address: %w", address, ErrForbiddenAddress)
	}
	return p.check(a)
}
