package kad

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

type candState int

const (
	candNew candState = iota
	candLimited
	candAsked
	candAnswered
	candFailed
)

type cand struct {
	Contact
	dist  ID
	state candState
	retry time.Time
}

type walkResult struct {
	cd  *cand
	res *Res
	err error
}

// walk runs an iterative lookup towards target: it asks the closest known
// contacts for closer ones, Alpha requests in flight, each destination IP
// paced by the rate limiter, until the K closest contacts it knows have all
// answered or failed, MaxQueries were sent or ctx ends. onAnswer, if not
// nil, is called (from walk's goroutine) for every contact that answers.
// walk owns the goroutines it starts and waits for them.
func (c *Client) walk(ctx context.Context, target ID, onAnswer func(Contact)) {
	cands := make(map[ID]*cand)
	ips := make(map[netip.Addr]bool)
	add := func(ct Contact) {
		if !c.usable(ct) || ips[ct.Addr.Addr()] || cands[ct.ID] != nil {
			return
		}
		ips[ct.Addr.Addr()] = true
		cands[ct.ID] = &cand{Contact: ct, dist: ct.ID.Xor(target)}
	}
	for _, ct := range c.table.closest(target, 2*c.cfg.K) {
		add(ct)
	}
	results := make(chan walkResult, c.cfg.Alpha)
	var wg sync.WaitGroup
	defer wg.Wait()
	inflight, queries := 0, 0
	for {
		top := c.topCandidates(cands)
		now := time.Now()
		for _, cd := range top {
			if inflight >= c.cfg.Alpha || queries >= c.cfg.MaxQueries {
				break
			}
			if cd.state == candLimited && now.After(cd.retry) {
				cd.state = candNew
			}
			if cd.state != candNew {
				continue
			}
			if ok, retry := c.limit.take(cd.Addr.Addr(), OpReq); !ok {
				cd.state, cd.retry = candLimited, now.Add(retry)
				continue
			}
			cd.state = candAsked
			inflight++
			queries++
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := &Req{Type: FindNode, Target: target, Receiver: cd.ID}
				m, err := c.request(ctx, cd.Addr, req, waitKey{cd.Addr.Addr(), OpRes, target})
				r, _ := m.(*Res)
				results <- walkResult{cd, r, err}
			}()
		}
		if inflight == 0 {
			wake, pending := time.Time{}, false
			for _, cd := range top {
				if cd.state == candLimited {
					if !pending || cd.retry.Before(wake) {
						wake = cd.retry
					}
					pending = true
				}
			}
			if !pending || queries >= c.cfg.MaxQueries {
				return // converged, or out of budget
			}
			t := time.NewTimer(time.Until(wake))
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return
			case <-c.done:
				t.Stop()
				return
			}
		}
		var r walkResult
		select {
		case r = <-results:
		case <-ctx.Done():
			return
		}
		inflight--
		if r.err != nil {
			r.cd.state = candFailed
			c.table.fail(r.cd.ID)
			continue
		}
		r.cd.state = candAnswered
		c.table.add(r.cd.Contact, true, time.Now())
		if onAnswer != nil {
			onAnswer(r.cd.Contact)
		}
		// aMule ignores answers with more contacts than asked for.
		if len(r.res.Contacts) > int(FindNode) {
			continue
		}
		for _, ct := range r.res.Contacts {
			add(ct)
			if c.usable(ct) {
				c.table.add(ct, false, time.Now())
			}
		}
	}
}

// topCandidates returns the K closest candidates that have not failed.
func (c *Client) topCandidates(cands map[ID]*cand) []*cand {
	top := make([]*cand, 0, len(cands))
	for _, cd := range cands {
		if cd.state != candFailed {
			top = append(top, cd)
		}
	}
	slices.SortFunc(top, func(a, b *cand) int { return a.dist.Cmp(b.dist) })
	return top[:min(len(top), c.cfg.K)]
}

// collector gathers the answers of one search. It is safe for concurrent
// use: the read loop adds to it while the search waits.
type collector struct {
	op   byte // OpSearchSourceReq or OpSearchKeyReq
	max  int
	mu   sync.Mutex
	sent map[netip.Addr]bool
	last time.Time

	sources []Source
	srcSeen map[netip.AddrPort]bool
	hits    []KeywordHit
	hitSeen map[ID]bool
	bad     int
}

func (col *collector) asked(ip netip.Addr) bool {
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.sent[ip] {
		return true
	}
	col.sent[ip] = true
	return false
}

func (col *collector) markSent() {
	col.mu.Lock()
	col.last = time.Now()
	col.mu.Unlock()
}

func (col *collector) add(from netip.AddrPort, m *SearchRes) {
	col.mu.Lock()
	defer col.mu.Unlock()
	if !col.sent[from.Addr()] {
		return // we did not ask this node
	}
	for _, r := range m.Results {
		if col.op == OpSearchSourceReq {
			s, err := parseSource(r, from)
			if err != nil {
				col.bad++
				continue
			}
			if col.srcSeen[s.Addr()] || len(col.sources) >= col.max {
				continue
			}
			col.srcSeen[s.Addr()] = true
			col.sources = append(col.sources, s)
			continue
		}
		h, err := parseHit(r, from)
		if err != nil {
			col.bad++
			continue
		}
		if col.hitSeen[ID(h.Hash)] || len(col.hits) >= col.max {
			continue
		}
		col.hitSeen[ID(h.Hash)] = true
		col.hits = append(col.hits, h)
	}
}

func (c *Client) collect(from netip.AddrPort, m *SearchRes) {
	c.mu.Lock()
	cols := slices.Clone(c.searches[m.Target])
	c.mu.Unlock()
	if len(cols) == 0 {
		c.unsolicited.Add(1)
		return
	}
	for _, col := range cols {
		col.add(from, m)
	}
}

// search walks towards target and sends req to every answering node within
// [SearchTolerance] of it (the nodes that index it), then collects answers
// until ResultWait after the last request, or SearchTimeout.
func (c *Client) search(ctx context.Context, target ID, req Message) (*collector, error) {
	if len(c.table.closest(target, 1)) == 0 {
		return nil, ErrNoContacts
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.cfg.SearchTimeout)
	defer cancel()
	col := &collector{op: req.Opcode(), max: c.cfg.MaxResults, sent: make(map[netip.Addr]bool),
		srcSeen: make(map[netip.AddrPort]bool), hitSeen: make(map[ID]bool)}
	c.mu.Lock()
	c.searches[target] = append(c.searches[target], col)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		cols := slices.DeleteFunc(c.searches[target], func(x *collector) bool { return x == col })
		if len(cols) == 0 {
			delete(c.searches, target)
		} else {
			c.searches[target] = cols
		}
	}()

	var wg sync.WaitGroup
	ask := func(ct Contact) {
		if !ct.ID.WithinTolerance(target) || col.asked(ct.Addr.Addr()) {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.limit.wait(ctx, ct.Addr.Addr(), req.Opcode()); err != nil {
				return
			}
			if err := c.write(ct.Addr, req); err != nil {
				c.log.Debug("kad search", "peer", ct.Addr.String(), "error", err)
				return
			}
			col.markSent()
		}()
	}
	c.walk(ctx, target, ask)
	wg.Wait()

	col.mu.Lock()
	last, any := col.last, len(col.sent) > 0
	col.mu.Unlock()
	if any && !last.IsZero() {
		t := time.NewTimer(time.Until(last.Add(c.cfg.ResultWait)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		case <-c.done:
			t.Stop()
			return nil, ErrClosed
		}
	}
	select {
	case <-c.done:
		return nil, ErrClosed
	default:
	}
	return col, parent.Err()
}

// SearchSources asks the Kad nodes that index the file with ed2k hash
// hash (and size size; 0 for any) for its sources. It returns what they
// answered within SearchTimeout, de-duplicated by address, at most
// MaxResults. An empty result with a nil error means no node near the hash
// knew a source. When ctx ends early the sources found so far are returned
// with ctx's error.
func (c *Client) SearchSources(ctx context.Context, hash [16]byte, size uint64) ([]Source, error) {
	target := ID(hash)
	col, err := c.search(ctx, target, &SearchSourceReq{Target: target, Size: size})
	if col == nil {
		return nil, fmt.Errorf("kad source search %s: %w", target, err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	c.log.Debug("kad source search", "target", target.String(), "nodes", len(col.sent), "sources", len(col.sources), "bad", col.bad)
	if err != nil {
		err = fmt.Errorf("kad source search %s: %w", target, err)
	}
	return slices.Clone(col.sources), err
}

// SearchKeyword asks the Kad nodes that index the first keyword of query
// (see [Words]) for files whose names hold every keyword of query (a
// restrictive search: the nodes filter). It returns the hits de-duplicated
// by hash, at most MaxResults.
func (c *Client) SearchKeyword(ctx context.Context, query string) ([]KeywordHit, error) {
	words := Words(query)
	if len(words) == 0 {
		return nil, fmt.Errorf("kad keyword search %q: %w", query, ErrNoKeyword)
	}
	target := KeywordID(words[0])
	col, err := c.search(ctx, target, &SearchKeyReq{Target: target, Expr: KeywordExpr(words)})
	if col == nil {
		return nil, fmt.Errorf("kad keyword search %q: %w", query, err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	c.log.Debug("kad keyword search", "keyword", words[0], "nodes", len(col.sent), "hits", len(col.hits), "bad", col.bad)
	if err != nil {
		err = fmt.Errorf("kad keyword search %q: %w", query, err)
	}
	return slices.Clone(col.hits), err
}
