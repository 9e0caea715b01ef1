package dht

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/metainfo"
)

// peerTTL is how long an announced peer is kept (BEP 5 suggests 30 min).
const peerTTL = 30 * time.Minute

// peerStore keeps the peers other nodes announce to us, bounded in
// infohashes and peers per infohash, so that we answer get_peers as a
// normal node. It is safe for concurrent use.
type peerStore struct {
	maxInfohashes, maxPeers int
	now                     func() time.Time

	mu sync.Mutex
	m  map[[20]byte]map[netip.AddrPort]time.Time
}

func newPeerStore(maxInfohashes, maxPeers int) *peerStore {
	return &peerStore{maxInfohashes: maxInfohashes, maxPeers: maxPeers, now: time.Now,
		m: make(map[[20]byte]map[netip.AddrPort]time.Time)}
}

// AddPeer implements peer_store.Interface.
func (s *peerStore) AddPeer(ih metainfo.Hash, na krpc.NodeAddr) {
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok || na.Port <= 0 || na.Port > 65535 {
		return
	}
	ap := netip.AddrPortFrom(ip.Unmap(), uint16(na.Port))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.m[ih]
	if !ok {
		if len(s.m) >= s.maxInfohashes {
			s.expireLocked(now)
			if len(s.m) >= s.maxInfohashes {
				return
			}
		}
		ps = make(map[netip.AddrPort]time.Time)
		s.m[ih] = ps
	}
	if _, ok := ps[ap]; !ok && len(ps) >= s.maxPeers {
		for p, t := range ps {
			if now.Sub(t) > peerTTL {
				delete(ps, p)
			}
		}
		if len(ps) >= s.maxPeers {
			return
		}
	}
	ps[ap] = now
}

// expireLocked drops expired peers and empty infohashes.
func (s *peerStore) expireLocked(now time.Time) {
	for ih, ps := range s.m {
		for p, t := range ps {
			if now.Sub(t) > peerTTL {
				delete(ps, p)
			}
		}
		if len(ps) == 0 {
			delete(s.m, ih)
		}
	}
}

// GetPeers implements peer_store.Interface. It returns at most 50 peers.
func (s *peerStore) GetPeers(ih metainfo.Hash) []krpc.NodeAddr {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []krpc.NodeAddr
	for p, t := range s.m[ih] {
		if now.Sub(t) > peerTTL {
			continue
		}
		out = append(out, krpc.NodeAddr{IP: net.IP(p.Addr().AsSlice()), Port: int(p.Port())})
		if len(out) == 50 {
			break
		}
	}
	return out
}
