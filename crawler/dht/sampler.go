package dht

import (
	"container/heap"
	"context"
	"crypto/rand"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"golang.org/x/time/rate"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
)

const (
	// minInterval is the shortest wait before sampling a node again, even
	// if it asks for less.
	minInterval = time.Second
	// maxFails is how many timeouts in a row make us forget a node.
	maxFails = 3
	// reseedEvery is how often an idle sampler looks at the routing table.
	reseedEvery = 5 * time.Second
	// bootstrapEvery is how often the bootstrap routers may be used.
	bootstrapEvery = time.Minute
)

type nodeState uint8

const (
	stReady nodeState = iota
	stInflight
	stWaiting
)

// snode is a node the sampler tracks.
type snode struct {
	addr   netip.AddrPort
	id     [20]byte
	hasID  bool
	state  nodeState
	next   time.Time // not before, when waiting
	fails  int
	bep51  int8 // 0 unknown, 1 yes, -1 no
	lastOK time.Time
	idx    int // index in the waiting heap
}

// waitHeap orders waiting nodes by next.
type waitHeap []*snode

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h waitHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *waitHeap) Push(x any) { sn := x.(*snode); sn.idx = len(*h); *h = append(*h, sn) }
func (h *waitHeap) Pop() any {
	old := *h
	sn := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	sn.idx = -1
	return sn
}

// sampler walks the keyspace with sample_infohashes. Its methods are safe
// for concurrent use.
type sampler struct {
	n   *Node
	lim *rate.Limiter

	mu            sync.Mutex
	nodes         map[netip.AddrPort]*snode
	ready         []*snode // FIFO of nodes never queried or due again
	wait          waitHeap
	quiet         map[netip.AddrPort]time.Time // forgotten nodes: not before
	inflight      int
	anyOK         bool
	lastReseed    time.Time
	lastBootstrap time.Time
	wake          chan struct{}
}

func newSampler(n *Node) *sampler {
	r := n.cfg.RateLimit * 0.8
	return &sampler{
		n:     n,
		lim:   rate.NewLimiter(rate.Limit(r), max(1, int(r/10))),
		nodes: make(map[netip.AddrPort]*snode),
		quiet: make(map[netip.AddrPort]time.Time),
		wake:  make(chan struct{}, 1),
	}
}

func (s *sampler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// learn starts tracking a node, unless it is tracked, forgotten recently,
// unusable, or the table is full.
func (s *sampler) learn(ap netip.AddrPort, id *[20]byte) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !s.n.usableAddr(ap) {
		return
	}
	if id != nil && *id == s.n.srv.ID() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sn, ok := s.nodes[ap]; ok {
		if id != nil {
			sn.id, sn.hasID = *id, true
		}
		return
	}
	now := time.Now()
	if t, ok := s.quiet[ap]; ok {
		if now.Before(t) {
			return
		}
		delete(s.quiet, ap)
	}
	if len(s.nodes) >= s.n.cfg.MaxNodes {
		s.evictLocked(now)
		if len(s.nodes) >= s.n.cfg.MaxNodes {
			s.n.stats.nodesDropped.Add(1)
			return
		}
	}
	sn := &snode{addr: ap, state: stReady, idx: -1}
	if id != nil {
		sn.id, sn.hasID = *id, true
	}
	s.nodes[ap] = sn
	s.ready = append(s.ready, sn)
	s.signal()
}

// evictLocked forgets the waiting nodes due last (about 5% of the table),
// remembering when they may be contacted again.
func (s *sampler) evictLocked(now time.Time) {
	if len(s.wait) == 0 {
		return
	}
	k := max(1, s.n.cfg.MaxNodes/20)
	victims := slices.Clone(s.wait)
	slices.SortFunc(victims, func(a, b *snode) int { return b.next.Compare(a.next) })
	for _, sn := range victims[:min(k, len(victims))] {
		heap.Remove(&s.wait, sn.idx)
		delete(s.nodes, sn.addr)
		s.quiet[sn.addr] = sn.next
	}
	if len(s.quiet) > 2*s.n.cfg.MaxNodes {
		for ap, t := range s.quiet {
			if len(s.quiet) <= s.n.cfg.MaxNodes || now.After(t) {
				delete(s.quiet, ap)
			}
		}
		for ap := range s.quiet { // map order: an arbitrary subset
			if len(s.quiet) <= s.n.cfg.MaxNodes {
				break
			}
			delete(s.quiet, ap)
		}
	}
}

// next returns a node to query now, waiting for one; nil once ctx is done.
func (s *sampler) next(ctx context.Context) *snode {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		var sn *snode
		switch {
		case len(s.wait) > 0 && !now.Before(s.wait[0].next):
			sn = heap.Pop(&s.wait).(*snode)
		case len(s.ready) > 0:
			sn = s.ready[0]
			s.ready[0] = nil
			s.ready = s.ready[1:]
		}
		if sn != nil {
			sn.state = stInflight
			s.inflight++
			s.mu.Unlock()
			return sn
		}
		sleep := reseedEvery
		if len(s.wait) > 0 {
			sleep = min(sleep, s.wait[0].next.Sub(now))
		}
		reseed := now.Sub(s.lastReseed) >= reseedEvery
		if reseed {
			s.lastReseed = now
		}
		s.mu.Unlock()
		if reseed {
			s.reseed(ctx)
			continue
		}
		timer.Reset(sleep)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// reseed tracks the routing table's nodes and, when nothing works, the
// bootstrap routers.
func (s *sampler) reseed(ctx context.Context) {
	for _, ni := range s.n.srv.Nodes() {
		if ap, ok := nodeAddrPort(ni.Addr); ok {
			id := [20]byte(ni.ID)
			s.learn(ap, &id)
		}
	}
	s.mu.Lock()
	now := time.Now()
	stuck := len(s.ready) == 0 && s.inflight == 0 && (!s.anyOK || len(s.wait) == 0)
	if !stuck || (!s.lastBootstrap.IsZero() && now.Sub(s.lastBootstrap) < bootstrapEvery) {
		s.mu.Unlock()
		return
	}
	s.lastBootstrap = now
	s.mu.Unlock()
	s.n.log.Debug("dht sampler bootstrapping", "routers", len(s.n.cfg.Bootstrap))
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, ap := range resolve(rctx, s.n.cfg.Bootstrap, s.n.ipv6) {
		s.force(ap)
	}
}

// force queues ap now, even if it was forgotten or is waiting.
func (s *sampler) force(ap netip.AddrPort) {
	s.mu.Lock()
	delete(s.quiet, ap)
	if sn, ok := s.nodes[ap]; ok && sn.state == stWaiting {
		sn.next = time.Now()
		heap.Fix(&s.wait, sn.idx)
		s.signal()
	}
	s.mu.Unlock()
	s.learn(ap, nil)
}

type outcome int

const (
	sampled outcome = iota
	noSamples
	failed
	canceled
)

// finish reschedules sn after a query.
func (s *sampler) finish(sn *snode, o outcome, interval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	now := time.Now()
	switch o {
	case sampled:
		sn.fails, sn.lastOK, sn.bep51 = 0, now, 1
		s.anyOK = true
		sn.next = now.Add(min(max(interval, minInterval), s.n.cfg.MaxInterval))
	case noSamples:
		sn.fails, sn.lastOK, sn.bep51 = 0, now, -1
		s.anyOK = true
		sn.next = now.Add(s.n.cfg.NoSampleInterval)
	case failed:
		sn.fails++
		if sn.fails >= maxFails {
			delete(s.nodes, sn.addr)
			s.quiet[sn.addr] = now.Add(s.n.cfg.FailureBackoff)
			return
		}
		sn.next = now.Add(s.n.cfg.FailureBackoff)
	case canceled:
		sn.next = now
	}
	sn.state = stWaiting
	heap.Push(&s.wait, sn)
	s.signal()
}

// run queries nodes until ctx is done.
func (s *sampler) run(ctx context.Context, emit func(crawler.Sighting)) {
	sem := make(chan struct{}, s.n.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	s.mu.Lock()
	empty := len(s.nodes) == 0
	s.mu.Unlock()
	if empty {
		s.mu.Lock()
		s.lastReseed = time.Time{}
		s.mu.Unlock()
	}
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if s.lim.Wait(ctx) != nil {
			return
		}
		sn := s.next(ctx)
		if sn == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.query(ctx, sn, emit)
		}()
	}
}

func randomID() (id krpc.ID) {
	_, _ = rand.Read(id[:])
	return id
}

func (s *sampler) query(ctx context.Context, sn *snode, emit func(crawler.Sighting)) {
	n := s.n
	addr := dht.NewAddr(net.UDPAddrFromAddrPort(sn.addr))
	if sn.bep51 < 0 {
		s.finish(sn, s.findNode(ctx, addr), 0)
		return
	}
	n.stats.queriesSent.Add(1)
	res := n.srv.Query(ctx, addr, "sample_infohashes", dht.QueryInput{
		MsgArgs:  krpc.MsgArgs{Target: randomID(), Want: n.want()},
		NumTries: 1,
	})
	switch {
	case res.Err != nil:
		if ctx.Err() != nil {
			s.finish(sn, canceled, 0)
			return
		}
		n.stats.timeouts.Add(1)
		s.finish(sn, failed, 0)
	case res.Reply.Error() != nil:
		// Typically 204 Method Unknown: no BEP 51. Keep walking through it.
		n.stats.errorReplies.Add(1)
		if sn.bep51 == 0 {
			n.stats.noBep51Nodes.Add(1)
		}
		o := s.findNode(ctx, addr)
		if o == failed {
			o = noSamples // it did answer the first query
		}
		s.finish(sn, o, 0)
	case res.Reply.R != nil:
		n.stats.replies.Add(1)
		r := res.Reply.R
		s.learnReturn(sn, r)
		if r.Samples == nil {
			if sn.bep51 == 0 {
				n.stats.noBep51Nodes.Add(1)
			}
			s.finish(sn, noSamples, 0)
			return
		}
		if sn.bep51 == 0 {
			n.stats.bep51Nodes.Add(1)
		}
		n.stats.samples.Add(int64(len(*r.Samples)))
		interval := n.cfg.MaxInterval
		if r.Interval != nil && *r.Interval >= 0 {
			interval = time.Duration(min(*r.Interval, int64(n.cfg.MaxInterval/time.Second))) * time.Second
		}
		s.finish(sn, sampled, interval)
		now := time.Now().UTC()
		for _, ih := range *r.Samples {
			if ctx.Err() != nil {
				return
			}
			emit(crawler.Sighting{Time: now, InfoHash: fingerprint.InfoHash(ih), Source: SourceSample})
		}
	default:
		n.stats.errorReplies.Add(1)
		s.finish(sn, failed, 0)
	}
}

// findNode asks a node without BEP 51 for nodes near a random target.
func (s *sampler) findNode(ctx context.Context, addr dht.Addr) outcome {
	n := s.n
	if err := s.lim.Wait(ctx); err != nil {
		return canceled
	}
	n.stats.queriesSent.Add(1)
	res := n.srv.Query(ctx, addr, "find_node", dht.QueryInput{
		MsgArgs:  krpc.MsgArgs{Target: randomID(), Want: n.want()},
		NumTries: 1,
	})
	switch {
	case res.Err != nil:
		if ctx.Err() != nil {
			return canceled
		}
		n.stats.timeouts.Add(1)
		return failed
	case res.Reply.R != nil:
		n.stats.replies.Add(1)
		s.learnReturn(nil, res.Reply.R)
		return noSamples
	default:
		n.stats.errorReplies.Add(1)
		return noSamples
	}
}

// learnReturn records the responder's ID and tracks the nodes it returned.
func (s *sampler) learnReturn(sn *snode, r *krpc.Return) {
	if sn != nil && r.ID != (krpc.ID{}) {
		s.mu.Lock()
		sn.id, sn.hasID = r.ID, true
		s.mu.Unlock()
	}
	r.ForAllNodes(func(ni krpc.NodeInfo) {
		if ap, ok := nodeAddrPort(ni.Addr); ok {
			id := [20]byte(ni.ID)
			s.learn(ap, &id)
		}
	})
}

func nodeAddrPort(na krpc.NodeAddr) (netip.AddrPort, bool) {
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok || na.Port <= 0 || na.Port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(na.Port)), true
}

// goodNodes returns up to k nodes that answered, most recent first.
func (s *sampler) goodNodes(k int) []*snode {
	s.mu.Lock()
	var out []*snode
	for _, sn := range s.nodes {
		if !sn.lastOK.IsZero() && sn.hasID {
			c := *sn
			out = append(out, &c)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *snode) int { return b.lastOK.Compare(a.lastOK) })
	return out[:min(k, len(out))]
}

func (s *sampler) tracked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nodes)
}
