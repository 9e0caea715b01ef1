package kad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Version is the Kad version the client announces in its hellos: 5, the
// last version without protocol obfuscation, which it does not implement.
// Nodes then answer it in the clear (aMule answers every request in the
// form it came in, and sends obfuscated hellos only to version 6 and up).
const Version = 5

// kadMiscFirewalled is the TagKadMisc value the client sends: UDP and TCP
// firewalled, so that nodes neither add it to their routing tables nor
// send it publishes or routing requests.
const kadMiscFirewalled = 0x03

// Errors of the client.
var (
	ErrClosed     = errors.New("kad client closed")
	ErrNoContacts = errors.New("no Kad node answered: give contacts from a nodes.dat")
	ErrTimeout    = errors.New("no answer")
	ErrBusy       = errors.New("too many requests in flight")
	ErrNoKeyword  = errors.New("no keyword of 3 or more bytes")
)

// Stats are counters of a [Client] since it started.
type Stats struct {
	Sent        int64 // packets sent
	Received    int64 // packets received
	Malformed   int64 // packets that failed to parse or came from refused addresses
	Unsolicited int64 // answers nobody waited for
	Ignored     int64 // requests from other nodes (the client answers none), unknown opcodes included
	Timeouts    int64 // requests that got no answer in time
	Contacts    int   // contacts in the routing table
	Alive       int   // of which answered us
	TrackedIPs  int   // destination IPs the rate limiter tracks
}

// Client is a Kad2 client on one UDP socket. It bootstraps from given
// contacts, keeps a routing table, and searches sources by ed2k hash and
// files by keyword, pacing its requests per destination IP under aMule's
// flood limits ([RequestLimit]). It never answers requests and announces
// itself as firewalled, so that no node routes through it or publishes to
// it: it finds, it does not serve.
//
// A Client is safe for concurrent use. Its one goroutine reads the socket;
// [Client.Close] stops it. Every method that touches the network takes a
// context and returns when it is done.
type Client struct {
	cfg   Config
	self  ID
	conn  *net.UDPConn
	table *routing
	limit *limiter
	log   *slog.Logger
	boot  []Contact

	mu       sync.Mutex
	waiters  map[waitKey][]chan Message
	inflight int
	searches map[ID][]*collector

	done     chan struct{}
	loopDone chan struct{}
	once     sync.Once

	sent, received, malformed, unsolicited, ignored, timeouts atomic.Int64
}

type waitKey struct {
	ip     netip.Addr
	op     byte
	target ID
}

// New opens the client's socket and starts reading it. It does not send
// anything: call [Client.Bootstrap].
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	ua, err := net.ResolveUDPAddr("udp4", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("kad listen address %q: %w", cfg.ListenAddr, err)
	}
	self := cfg.ID
	if self == (ID{}) {
		self = RandomID()
	}
	c := &Client{
		cfg:      cfg,
		self:     self,
		table:    newRouting(self, cfg.MaxContacts),
		limit:    newLimiter(cfg.MaxTrackedIPs, cfg.RateMargin),
		log:      cfg.Logger,
		waiters:  make(map[waitKey][]chan Message),
		searches: make(map[ID][]*collector),
		done:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if len(cfg.RoutingTable) > 0 {
		saved, err := ParseNodesDat(cfg.RoutingTable)
		if err != nil {
			return nil, fmt.Errorf("kad routing table: %w", err)
		}
		for _, ct := range saved {
			if c.usable(ct) {
				c.table.add(ct, false, time.Time{})
			}
		}
	}
	for _, ct := range cfg.Contacts {
		if c.validAddr(ct.Addr) && ct.Version != 1 {
			c.boot = append(c.boot, ct)
		}
	}
	c.conn, err = net.ListenUDP("udp4", ua)
	if err != nil {
		return nil, fmt.Errorf("kad listen %q: %w", cfg.ListenAddr, err)
	}
	go c.readLoop()
	return c, nil
}

// Close stops the client and closes its socket. Searches in progress end
// with [ErrClosed]. Close is idempotent.
func (c *Client) Close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		err = c.conn.Close()
		<-c.loopDone
	})
	return err
}

// ID returns the client's Kad ID.
func (c *Client) ID() ID { return c.self }

// LocalAddr returns the address the client's socket is bound to.
func (c *Client) LocalAddr() netip.AddrPort {
	return c.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// RoutingTable returns the routing table as nodes.dat version 2 bytes
// (contacts that answered first) for [Config.RoutingTable] of a later run;
// aMule and eMule read the same file.
func (c *Client) RoutingTable() []byte {
	b, _ := MarshalNodesDat(c.table.contacts(), NodesDatV2) // the format is valid
	return b
}

// Contacts returns the contacts of the routing table, those that answered
// first, each group closest to our ID first.
func (c *Client) Contacts() []Contact { return c.table.contacts() }

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	all, alive := c.table.counts()
	return Stats{
		Sent: c.sent.Load(), Received: c.received.Load(), Malformed: c.malformed.Load(),
		Unsolicited: c.unsolicited.Load(), Ignored: c.ignored.Load(), Timeouts: c.timeouts.Load(),
		Contacts: all, Alive: alive, TrackedIPs: c.limit.size(),
	}
}

// validAddr reports whether the client may talk to a. Kad is IPv4.
func (c *Client) validAddr(ap netip.AddrPort) bool {
	a := ap.Addr().Unmap()
	switch {
	case !a.Is4() || ap.Port() == 0 || a.IsUnspecified() || a.IsMulticast():
		return false
	case a.As4()[0] == 0 || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return false
	case c.cfg.AllowLocal:
		return true
	}
	return !a.IsLoopback() && !a.IsPrivate() && !a.IsLinkLocalUnicast()
}

// usable reports whether ct can be asked routing requests: a valid address,
// a known ID, not a Kad1 node.
func (c *Client) usable(ct Contact) bool {
	return c.validAddr(ct.Addr) && ct.ID != (ID{}) && ct.ID != c.self && ct.Version != 1
}

func (c *Client) readLoop() {
	defer close(c.loopDone)
	buf := make([]byte, MaxPacket+1)
	for {
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-c.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.log.Debug("kad read", "error", err)
			continue
		}
		c.received.Add(1)
		c.handle(buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
	}
}

func (c *Client) handle(b []byte, from netip.AddrPort) {
	if !c.validAddr(from) {
		c.malformed.Add(1)
		return
	}
	m, err := Unmarshal(b)
	if errors.Is(err, ErrUnknownOpcode) {
		// Requests we do not speak, such as aMule's firewall check request
		// (0x50) to Kad versions below 7.
		c.ignored.Add(1)
		return
	}
	if err != nil {
		c.malformed.Add(1)
		c.log.Debug("kad packet refused", "peer", from.String(), "error", err)
		return
	}
	ip := from.Addr()
	switch m := m.(type) {
	case *BootstrapRes:
		c.deliver(waitKey{ip, OpBootstrapRes, ID{}}, m)
	case *HelloRes:
		c.deliver(waitKey{ip, OpHelloRes, ID{}}, m)
	case *Res:
		c.deliver(waitKey{ip, OpRes, m.Target}, m)
	case *Pong:
		c.deliver(waitKey{ip, OpPong, ID{}}, m)
	case *SearchRes:
		c.collect(from, m)
	default:
		c.ignored.Add(1)
	}
}

func (c *Client) deliver(k waitKey, m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.waiters[k]
	if len(ws) == 0 {
		c.unsolicited.Add(1)
		return
	}
	for _, w := range ws {
		select {
		case w <- m:
		default: // that waiter already has an answer
		}
	}
}

func (c *Client) register(k waitKey) (chan Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight >= c.cfg.MaxInflight {
		return nil, ErrBusy
	}
	c.inflight++
	w := make(chan Message, 1)
	c.waiters[k] = append(c.waiters[k], w)
	return w, nil
}

func (c *Client) unregister(k waitKey, w chan Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight--
	ws := c.waiters[k]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(c.waiters, k)
	} else {
		c.waiters[k] = ws
	}
}

// write sends m to addr. The caller has taken a rate-limit token.
func (c *Client) write(addr netip.AddrPort, m Message) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	if _, err := c.conn.WriteToUDPAddrPort(Marshal(m), addr); err != nil {
		return fmt.Errorf("send to %v: %w", addr, err)
	}
	c.sent.Add(1)
	return nil
}

// request sends m to addr and waits for the answer keyed by k, for at most
// QueryTimeout. The caller has taken a rate-limit token.
func (c *Client) request(ctx context.Context, addr netip.AddrPort, m Message, k waitKey) (Message, error) {
	w, err := c.register(k)
	if err != nil {
		return nil, err
	}
	defer c.unregister(k, w)
	if err := c.write(addr, m); err != nil {
		return nil, err
	}
	t := time.NewTimer(c.cfg.QueryTimeout)
	defer t.Stop()
	select {
	case r := <-w:
		return r, nil
	case <-t.C:
		c.timeouts.Add(1)
		return nil, fmt.Errorf("%v opcode 0x%02X: %w", addr, m.Opcode(), ErrTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, ErrClosed
	}
}

// Ping sends a hello to addr and returns the node as it describes itself
// (its ID, TCP port and Kad version); the node joins the routing table.
// It waits for aMule's hello rate limit if needed.
func (c *Client) Ping(ctx context.Context, addr netip.AddrPort) (Contact, error) {
	if !c.validAddr(addr) {
		return Contact{}, fmt.Errorf("kad ping %v: address refused", addr)
	}
	if err := c.limit.wait(ctx, addr.Addr(), OpHelloReq); err != nil {
		return Contact{}, fmt.Errorf("kad ping %v: %w", addr, err)
	}
	hello := Hello{ID: c.self, Version: Version, Tags: []Tag{emulewire.IntTag(TagKadMisc, kadMiscFirewalled)}}
	m, err := c.request(ctx, addr, &HelloReq{hello}, waitKey{addr.Addr(), OpHelloRes, ID{}})
	if err != nil {
		return Contact{}, fmt.Errorf("kad ping: %w", err)
	}
	res := m.(*HelloRes)
	ct := Contact{ID: res.ID, Addr: addr, TCPPort: res.TCPPort, Version: res.Version}
	if c.usable(ct) {
		c.table.add(ct, true, time.Now())
	}
	return ct, nil
}

// Bootstrap asks known contacts (the saved routing table first, then
// Config.Contacts) for contacts until K nodes have answered or every
// contact was asked, then walks towards our own ID to fill the table. It
// returns the number of contacts that answered, or [ErrNoContacts].
func (c *Client) Bootstrap(ctx context.Context) (int, error) {
	cands := c.table.closest(c.self, c.cfg.MaxContacts)
	seen := make(map[netip.AddrPort]bool)
	for _, ct := range cands {
		seen[ct.Addr] = true
	}
	for _, ct := range c.boot {
		if !seen[ct.Addr] {
			seen[ct.Addr] = true
			cands = append(cands, ct)
		}
	}
	sem := make(chan struct{}, c.cfg.Alpha)
	var wg sync.WaitGroup
	for _, ct := range cands {
		if _, alive := c.table.counts(); alive >= c.cfg.K {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.bootstrapOne(ctx, ct)
		}()
	}
	wg.Wait()
	if _, alive := c.table.counts(); alive > 0 && ctx.Err() == nil {
		c.walk(ctx, c.self, nil)
	}
	_, alive := c.table.counts()
	if alive == 0 {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("kad bootstrap: %w", ctx.Err())
		}
		return 0, ErrNoContacts
	}
	return alive, nil
}

func (c *Client) bootstrapOne(ctx context.Context, ct Contact) {
	if err := c.limit.wait(ctx, ct.Addr.Addr(), OpBootstrapReq); err != nil {
		return
	}
	m, err := c.request(ctx, ct.Addr, &BootstrapReq{}, waitKey{ct.Addr.Addr(), OpBootstrapRes, ID{}})
	if err != nil {
		if ct.ID != (ID{}) {
			c.table.fail(ct.ID)
		}
		c.log.Debug("kad bootstrap", "peer", ct.Addr.String(), "error", err)
		return
	}
	res := m.(*BootstrapRes)
	now := time.Now()
	if from := (Contact{ID: res.ID, Addr: ct.Addr, TCPPort: res.TCPPort, Version: res.Version}); c.usable(from) {
		c.table.add(from, true, now)
	}
	for _, nc := range res.Contacts {
		if c.usable(nc) {
			c.table.add(nc, false, now)
		}
	}
}
