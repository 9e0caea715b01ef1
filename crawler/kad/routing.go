package kad

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// bucketSize is how many contacts the table keeps per distance class (the
// number of leading bits a contact's ID shares with ours).
const bucketSize = 20

// maxFails is how many unanswered requests in a row drop a contact.
const maxFails = 3

type node struct {
	Contact
	alive bool // answered us at least once
	seen  time.Time
	fails int
}

// routing is the client's routing table: contacts by ID, one per IP (as
// aMule insists since 0.49a), at most bucketSize per distance class and max
// in all. It is safe for concurrent use.
type routing struct {
	mu      sync.Mutex
	self    ID
	max     int
	byID    map[ID]*node
	byIP    map[netip.Addr]ID
	buckets [129]int
}

func newRouting(self ID, max int) *routing {
	return &routing{self: self, max: max, byID: make(map[ID]*node), byIP: make(map[netip.Addr]ID)}
}

// add inserts or refreshes c. alive marks a contact that just answered us:
// it may displace an unverified or failing contact of its class.
func (t *routing) add(c Contact, alive bool, now time.Time) {
	if c.ID == t.self {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ip := c.Addr.Addr()
	if n := t.byID[c.ID]; n != nil {
		if n.Addr.Addr() != ip {
			if other, taken := t.byIP[ip]; taken && other != c.ID {
				return // another ID already holds this IP
			}
			delete(t.byIP, n.Addr.Addr())
			t.byIP[ip] = c.ID
		}
		n.Addr, n.TCPPort = c.Addr, c.TCPPort
		if c.Version != 0 {
			n.Version = c.Version
		}
		if alive {
			n.alive, n.seen, n.fails = true, now, 0
		}
		return
	}
	if other, taken := t.byIP[ip]; taken {
		if on := t.byID[other]; on.alive && !alive {
			return
		}
		t.remove(other)
	}
	class := t.self.Xor(c.ID).prefixLen()
	if t.buckets[class] >= bucketSize || len(t.byID) >= t.max {
		if !alive || !t.evict(class) {
			return
		}
	}
	n := &node{Contact: c, alive: alive, fails: 0}
	if alive {
		n.seen = now
	}
	t.byID[c.ID] = n
	t.byIP[ip] = c.ID
	t.buckets[class]++
}

// evict removes one unverified or failing contact of the given class (or,
// when the table is full, of any class) to make room. The caller holds t.mu.
func (t *routing) evict(class int) bool {
	full := len(t.byID) >= t.max
	var victim *node
	for _, n := range t.byID {
		if n.alive && n.fails == 0 {
			continue
		}
		if !full && t.self.Xor(n.ID).prefixLen() != class {
			continue
		}
		if victim == nil || n.fails > victim.fails {
			victim = n
		}
	}
	if victim == nil {
		return false
	}
	t.remove(victim.ID)
	return true
}

func (t *routing) remove(id ID) {
	n := t.byID[id]
	if n == nil {
		return
	}
	delete(t.byID, id)
	delete(t.byIP, n.Addr.Addr())
	t.buckets[t.self.Xor(id).prefixLen()]--
}

// fail records an unanswered request; a contact failing maxFails times in
// a row is dropped.
func (t *routing) fail(id ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.byID[id]; n != nil {
		n.fails++
		if n.fails >= maxFails {
			t.remove(id)
		}
	}
}

// closest returns up to n contacts closest to target.
func (t *routing) closest(target ID, n int) []Contact {
	t.mu.Lock()
	cs := make([]Contact, 0, len(t.byID))
	for _, nd := range t.byID {
		cs = append(cs, nd.Contact)
	}
	t.mu.Unlock()
	sortByDistance(cs, target)
	return cs[:min(n, len(cs))]
}

// contacts returns every contact, live ones first.
func (t *routing) contacts() []Contact {
	t.mu.Lock()
	defer t.mu.Unlock()
	var live, rest []Contact
	for _, n := range t.byID {
		if n.alive {
			live = append(live, n.Contact)
		} else {
			rest = append(rest, n.Contact)
		}
	}
	sortByDistance(live, t.self)
	sortByDistance(rest, t.self)
	return append(live, rest...)
}

// counts returns the number of contacts and of live ones.
func (t *routing) counts() (all, alive int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.byID {
		if n.alive {
			alive++
		}
	}
	return len(t.byID), alive
}

func sortByDistance(cs []Contact, target ID) {
	slices.SortFunc(cs, func(a, b Contact) int { return a.ID.Xor(target).Cmp(b.ID.Xor(target)) })
}
