package web

import (
	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// ErrForbiddenAddress is wrapped by the error returned when a connection
// would reach an address that [Config] does not allow (private, loopback,
// link-local, multicast, unspecified or reserved, or an IPv6 address
// embedding such an IPv4 address). The check runs in the dialer, on the
// address actually dialled, before any packet is sent.
var ErrForbiddenAddress = netpolicy.ErrForbidden

// AddressError names the refused address and why it was refused.
type AddressError = netpolicy.AddressError
