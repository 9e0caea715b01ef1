package localswarm

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/metainfo"
)

// store is a node's peer store. It implements peer_store.Interface and hands
// out BEP 51 samples in a rotating order. It is safe for concurrent use.
type store struct {
	mu     sync.Mutex
	peers  map[[20]byte][]netip.AddrPort
	order  [][20]byte // insertion order, for samples
	cursor int
	// last sample_infohashes reply per querying address, to count early queries.
	last map[netip.AddrPort]sampleState
}

type sampleState struct {
	at      time.Time
	samples []byte
}

func newStore() *store {
	return &store{peers: make(map[[20]byte][]netip.AddrPort), last: make(map[netip.AddrPort]sampleState)}
}

func (s *store) add(ih [20]byte, peer netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.peers[ih]
	if !ok {
		s.order = append(s.order, ih)
	}
	if peer.IsValid() {
		for _, p := range ps {
			if p == peer {
				return
			}
		}
		ps = append(ps, peer)
	}
	s.peers[ih] = ps
}

// AddPeer implements peer_store.Interface.
func (s *store) AddPeer(ih metainfo.Hash, na krpc.NodeAddr) {
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok || na.Port <= 0 || na.Port > 65535 {
		return
	}
	s.add(ih, netip.AddrPortFrom(ip.Unmap(), uint16(na.Port)))
}

// GetPeers implements peer_store.Interface.
func (s *store) GetPeers(ih metainfo.Hash) []krpc.NodeAddr {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.peers[ih]
	out := make([]krpc.NodeAddr, 0, len(ps))
	for _, p := range ps {
		out = append(out, krpc.NodeAddr{IP: net.IP(p.Addr().AsSlice()), Port: int(p.Port())})
	}
	return out
}

// sample returns the compact samples for a query from src, the total number
// of infohashes held, and whether the query came before the interval passed
// since src's previous query (in which case the previous samples are
// repeated, as libtorrent does).
func (s *store) sample(src netip.AddrPort, max int, interval time.Duration, now time.Time) (samples []byte, num int, early bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	num = len(s.order)
	if st, ok := s.last[src]; ok && now.Sub(st.at) < interval-interval/20 {
		return st.samples, num, true
	}
	n := min(max, num)
	samples = make([]byte, 0, 20*n)
	for i := 0; i < n; i++ {
		ih := s.order[(s.cursor+i)%num]
		samples = append(samples, ih[:]...)
	}
	if num > 0 {
		s.cursor = (s.cursor + n) % num
	}
	s.last[src] = sampleState{at: now, samples: samples}
	return samples, num, false
}
