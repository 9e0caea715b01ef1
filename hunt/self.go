package hunt

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// selfTTL is how long a local address of one of our connections is
// remembered.
const selfTTL = 2 * time.Hour

// SelfSet remembers the local addresses of our own connections. Peers
// report our connections back to us (PEX lists every connected peer, our
// metadata fetches and probes included), and leakhunt must never record
// itself as a peer. Safe for concurrent use; the zero value is not usable,
// use [NewSelfSet].
type SelfSet struct {
	mu sync.Mutex
	m  map[netip.AddrPort]time.Time
}

// NewSelfSet returns an empty set.
func NewSelfSet() *SelfSet { return &SelfSet{m: map[netip.AddrPort]time.Time{}} }

// Add remembers a local address of one of our connections.
func (s *SelfSet) Add(ap netip.AddrPort) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if len(s.m) > 100_000 {
		for k, t := range s.m {
			if now.Sub(t) > selfTTL {
				delete(s.m, k)
			}
		}
	}
	s.m[ap] = now
}

// Contains reports whether ap is, or recently was, the local address of
// one of our connections.
func (s *SelfSet) Contains(ap netip.AddrPort) bool {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[ap]
	return ok && time.Since(t) < selfTTL
}

// AddNet remembers the local address of one of our connections, TCP or
// UDP (uTP).
func (s *SelfSet) AddNet(a net.Addr) {
	switch a := a.(type) {
	case *net.TCPAddr:
		s.Add(a.AddrPort())
	case *net.UDPAddr:
		s.Add(a.AddrPort())
	default:
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			s.Add(ap)
		}
	}
}
