package emulefixture

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// KadBehaviour is how a fixture Kad node behaves.
type KadBehaviour int

const (
	// KadHonest answers like aMule: bootstrap, hello, routing and search
	// requests, within aMule's per-IP flood limits.
	KadHonest KadBehaviour = iota
	// KadSilent never answers.
	KadSilent
	// KadGarbage answers every request with a malformed packet.
	KadGarbage
	// KadBomb answers every request with a packed packet that inflates far
	// beyond any limit.
	KadBomb
	// KadLiar answers routing requests with contacts that do not exist and
	// search requests with sources and hits for other targets.
	KadLiar
)

// KadOptions configure [StartKad].
type KadOptions struct {
	// Nodes is the number of nodes (at most 250), on 127.0.0.2, 127.0.0.3...
	Nodes int
	// Near lists targets to place nodes near: for each, two nodes get IDs
	// within aMule's search tolerance of it, so that they index it.
	Near []kad.ID
	// Hostile maps node indexes to a behaviour other than KadHonest.
	Hostile map[int]KadBehaviour
	// Seed makes IDs reproducible.
	Seed uint64
}

// KadStats count what one fixture node saw, with aMule's flood accounting.
type KadStats struct {
	Requests map[byte]int // requests received by opcode
	Dropped  int          // requests over aMule's per-IP limit (aMule drops them)
	Banned   int          // requests over five times the limit (aMule bans)
}

// KadNode is one fixture node.
type KadNode struct {
	ID        kad.ID
	Addr      netip.AddrPort
	Behaviour KadBehaviour

	net  *KadNetwork
	conn *net.UDPConn

	mu       sync.Mutex
	stats    KadStats
	flood    *FloodCounter
	sources  map[kad.ID][]kad.SearchResult
	keywords map[kad.ID][]kad.SearchResult
}

// KadNetwork is a set of fixture Kad nodes on loopback. It is safe for
// concurrent use; Close stops every node and waits for them.
type KadNetwork struct {
	Nodes []*KadNode
	wg    sync.WaitGroup
}

// StartKad starts a fixture Kad network on loopback addresses 127.0.0.2
// and up (Linux routes all of 127.0.0.0/8 to the loopback interface).
func StartKad(o KadOptions) (*KadNetwork, error) {
	if o.Nodes <= 0 || o.Nodes > 250 {
		return nil, fmt.Errorf("fixture Kad network of %d nodes: 1 to 250", o.Nodes)
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	n := &KadNetwork{}
	for i := range o.Nodes {
		var id kad.ID
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		if t := i / 2; t < len(o.Near) {
			// Same first four bytes as the target: well within tolerance.
			copy(id[:4], o.Near[t][:4])
		}
		ip := netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + i)})
		conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("fixture Kad node %d: %w", i, err)
		}
		node := &KadNode{
			ID: id, Addr: conn.LocalAddr().(*net.UDPAddr).AddrPort(), Behaviour: o.Hostile[i],
			net: n, conn: conn, flood: NewFloodCounter(),
			sources: make(map[kad.ID][]kad.SearchResult), keywords: make(map[kad.ID][]kad.SearchResult),
			stats: KadStats{Requests: make(map[byte]int)},
		}
		n.Nodes = append(n.Nodes, node)
	}
	for _, node := range n.Nodes {
		n.wg.Add(1)
		go func() { // owned by n: Close closes the socket and waits
			defer n.wg.Done()
			node.serve()
		}()
	}
	return n, nil
}

// Close stops every node.
func (n *KadNetwork) Close() {
	for _, node := range n.Nodes {
		node.conn.Close()
	}
	n.wg.Wait()
}

// Contacts returns every node as a Kad contact.
func (n *KadNetwork) Contacts() []kad.Contact {
	cs := make([]kad.Contact, len(n.Nodes))
	for i, node := range n.Nodes {
		cs[i] = node.contact()
	}
	return cs
}

func (node *KadNode) contact() kad.Contact {
	return kad.Contact{ID: node.ID, Addr: node.Addr, TCPPort: 4662, Version: 8}
}

// closest returns the n honest-or-not nodes closest to target.
func (n *KadNetwork) closest(target kad.ID, k int, except *KadNode) []kad.Contact {
	nodes := slices.Clone(n.Nodes)
	slices.SortFunc(nodes, func(a, b *KadNode) int { return a.ID.Xor(target).Cmp(b.ID.Xor(target)) })
	var cs []kad.Contact
	for _, node := range nodes {
		if node != except && len(cs) < k {
			cs = append(cs, node.contact())
		}
	}
	return cs
}

// PublishSource stores a source of file on every node within tolerance of
// file, as aMule's publishing does.
func (n *KadNetwork) PublishSource(file kad.ID, s kad.Source) {
	tags := []kad.Tag{
		emulewire.IntTag(kad.TagSourceType, uint64(s.Type)),
		emulewire.IntTag(kad.TagSourceIP, uint64(ipUint32(s.IP))),
		emulewire.IntTag(kad.TagSourcePort, uint64(s.TCPPort)),
		emulewire.IntTag(kad.TagSourceUPort, uint64(s.UDPPort)),
		emulewire.IntTag(kad.TagFileSize, s.Size),
	}
	n.store(file, kad.SearchResult{Answer: kad.ID(s.UserHash), Tags: tags}, true)
}

// PublishKeyword stores a file under the keyword hash of word on every
// node within tolerance of it.
func (n *KadNetwork) PublishKeyword(word string, h kad.KeywordHit) {
	tags := []kad.Tag{
		emulewire.StringTag(kad.TagFileName, h.Name),
		emulewire.IntTag(kad.TagFileSize, h.Size),
		emulewire.StringTag(kad.TagFileType, "Doc"),
		emulewire.IntTag(kad.TagSources, uint64(h.Sources)),
	}
	n.store(kad.KeywordID(word), kad.SearchResult{Answer: kad.ID(h.Hash), Tags: tags}, false)
}

func (n *KadNetwork) store(target kad.ID, r kad.SearchResult, source bool) {
	for _, node := range n.Nodes {
		if !node.ID.WithinTolerance(target) {
			continue
		}
		node.mu.Lock()
		if source {
			node.sources[target] = append(node.sources[target], r)
		} else {
			node.keywords[target] = append(node.keywords[target], r)
		}
		node.mu.Unlock()
	}
}

// Stats returns the node's counters.
func (node *KadNode) Stats() KadStats {
	node.mu.Lock()
	defer node.mu.Unlock()
	s := node.stats
	s.Requests = make(map[byte]int, len(node.stats.Requests))
	for k, v := range node.stats.Requests {
		s.Requests[k] = v
	}
	return s
}

// Stats sums the counters of every node.
func (n *KadNetwork) Stats() KadStats {
	sum := KadStats{Requests: make(map[byte]int)}
	for _, node := range n.Nodes {
		s := node.Stats()
		for k, v := range s.Requests {
			sum.Requests[k] += v
		}
		sum.Dropped += s.Dropped
		sum.Banned += s.Banned
	}
	return sum
}

func (node *KadNode) serve() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := node.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		m, err := kad.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, reply := range node.answer(m, from) {
			node.conn.WriteToUDPAddrPort(reply, from)
		}
	}
}

// allowed applies aMule's flood accounting to a request and reports
// whether aMule would process it.
func (node *KadNode) allowed(ip netip.Addr, op byte) bool {
	node.mu.Lock()
	defer node.mu.Unlock()
	if _, limited := kad.RequestLimit(op); limited {
		node.stats.Requests[op]++
	}
	switch node.flood.Count(ip, op, time.Now()) {
	case FloodBanned:
		node.stats.Banned++
		return false
	case FloodDropped:
		node.stats.Dropped++
		return false
	}
	return true
}

// answer returns the packets node sends back for m.
func (node *KadNode) answer(m kad.Message, from netip.AddrPort) [][]byte {
	if !node.allowed(from.Addr(), m.Opcode()) {
		return nil
	}
	switch node.Behaviour {
	case KadSilent:
		return nil
	case KadGarbage:
		return [][]byte{{kad.ProtoKad, kad.OpRes, 1, 2, 3}, {kad.ProtoKad, kad.OpSearchRes, 0xFF, 0xFF}}
	case KadBomb:
		return [][]byte{append([]byte{kad.ProtoPacked, kad.OpRes}, zipBomb()...)}
	}
	switch m := m.(type) {
	case *kad.BootstrapReq:
		return [][]byte{kad.MarshalPacked(&kad.BootstrapRes{ID: node.ID, TCPPort: 4662, Version: 8, Contacts: node.net.closest(node.ID, 20, node)})}
	case *kad.HelloReq:
		return [][]byte{kad.Marshal(&kad.HelloRes{Hello: kad.Hello{ID: node.ID, TCPPort: 4662, Version: 8}})}
	case *kad.Req:
		if m.Receiver != node.ID {
			return nil // aMule ignores requests for another ID
		}
		cs := node.net.closest(m.Target, int(m.Type&0x1F), node)
		if node.Behaviour == KadLiar {
			for i := range cs {
				cs[i].ID = kad.RandomID()
				cs[i].Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}), 9)
			}
		}
		return [][]byte{kad.MarshalPacked(&kad.Res{Target: m.Target, Contacts: cs})}
	case *kad.SearchSourceReq:
		return node.results(m.Target, node.sources)
	case *kad.SearchKeyReq:
		return node.results(m.Target, node.keywords)
	case *kad.Ping:
		return [][]byte{kad.Marshal(&kad.Pong{Port: from.Port()})}
	}
	return nil
}

// results answers a search like aMule: packets of at most 50 results,
// packed when that is smaller.
func (node *KadNode) results(target kad.ID, store map[kad.ID][]kad.SearchResult) [][]byte {
	node.mu.Lock()
	rs := slices.Clone(store[target])
	node.mu.Unlock()
	if node.Behaviour == KadLiar {
		rs = []kad.SearchResult{{Answer: kad.RandomID(), Tags: []kad.Tag{emulewire.IntTag(kad.TagSourceType, 1)}}}
	}
	var out [][]byte
	for len(rs) > 0 {
		n := min(len(rs), 50)
		out = append(out, kad.MarshalPacked(&kad.SearchRes{Sender: node.ID, Target: target, Results: rs[:n]}))
		rs = rs[n:]
	}
	return out
}

func ipUint32(a netip.Addr) uint32 {
	b := a.Unmap().As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
