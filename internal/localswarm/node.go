package localswarm

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent/bencode"
	"golang.org/x/time/rate"
)

// node is one DHT node of the swarm.
type node struct {
	sw    *Swarm
	srv   *dht.Server
	conn  net.PacketConn
	addr  netip.AddrPort
	id    [20]byte
	store *store
}

// bep51Reply is marshalled by hand: krpc.CompactInfohashes panics when
// marshalled with any sample in it.
type bep51Reply struct {
	T string      `bencode:"t"`
	Y string      `bencode:"y"`
	R bep51Return `bencode:"r"`
}

type bep51Return struct {
	ID       krpc.ID                  `bencode:"id"`
	Interval int64                    `bencode:"interval"`
	Nodes    krpc.CompactIPv4NodeInfo `bencode:"nodes,omitempty"`
	Num      int64                    `bencode:"num"`
	Samples  []byte                   `bencode:"samples"` // always present, per BEP 51
}

func startNode(sw *Swarm, starting func() []netip.AddrPort) (*node, error) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen udp on loopback: %w", err)
	}
	n := &node{sw: sw, conn: conn, store: newStore()}
	n.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	cfg := dht.NewDefaultServerConfig()
	cfg.Conn = conn
	cfg.NoSecurity = true
	cfg.SendLimiter = rate.NewLimiter(rate.Inf, 0)
	cfg.QueryResendDelay = func() time.Duration { return 500 * time.Millisecond }
	cfg.PeerStore = n.store
	cfg.Logger = alog.Default.WithFilterLevel(alog.Disabled)
	cfg.DefaultWant = []krpc.Want{krpc.WantNodes}
	cfg.StartingNodes = func() ([]dht.Addr, error) {
		var out []dht.Addr
		for _, ap := range starting() {
			out = append(out, dht.NewAddr(net.UDPAddrFromAddrPort(ap)))
		}
		return out, nil
	}
	cfg.OnQuery = n.onQuery
	srv, err := dht.NewServer(cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start dht node: %w", err)
	}
	n.srv = srv
	n.id = srv.ID()
	return n, nil
}

// onQuery runs with the server's lock held: it only counts and hands the
// reply off to a goroutine.
func (n *node) onQuery(q *krpc.Msg, src net.Addr) bool {
	switch q.Q {
	case "get_peers":
		n.sw.stats.getPeers.Add(1)
		return true
	case "announce_peer":
		n.sw.stats.announcePeer.Add(1)
		return true
	case "sample_infohashes":
	default:
		return true
	}
	if q.A == nil {
		return true
	}
	ua, ok := src.(*net.UDPAddr)
	if !ok {
		return true
	}
	n.sw.stats.sampleQueries.Add(1)
	t, target, from := q.T, q.A.Target, ua.AddrPort()
	n.sw.spawn(func() { n.replySample(t, target, from) })
	return false
}

func (n *node) replySample(t string, target krpc.ID, to netip.AddrPort) {
	cfg := n.sw.cfg
	samples, num, early := n.store.sample(to, cfg.SampleSize, cfg.Interval, time.Now())
	if early {
		n.sw.stats.earlySampleQueries.Add(1)
	}
	m := bep51Reply{T: t, Y: "r"}
	m.R.ID = n.id
	m.R.Interval = int64(cfg.Interval / time.Second)
	m.R.Num = int64(num)
	m.R.Samples = samples
	if m.R.Samples == nil {
		m.R.Samples = []byte{}
	}
	m.R.Nodes = closestNodes(n.srv.Nodes(), target, 8)
	b, err := bencode.Marshal(m)
	if err != nil {
		return
	}
	_, _ = n.conn.WriteTo(b, net.UDPAddrFromAddrPort(to))
}

// closestNodes returns up to k IPv4 nodes of nis closest to target.
func closestNodes(nis []krpc.NodeInfo, target krpc.ID, k int) []krpc.NodeInfo {
	nis = slices.DeleteFunc(nis, func(ni krpc.NodeInfo) bool { return ni.Addr.IP.To4() == nil })
	slices.SortFunc(nis, func(a, b krpc.NodeInfo) int {
		da, db := xor(a.ID, target), xor(b.ID, target)
		return bytes.Compare(da[:], db[:])
	})
	if len(nis) > k {
		nis = nis[:k]
	}
	return nis
}

func xor(a, b [20]byte) (d [20]byte) {
	for i := range d {
		d[i] = a[i] ^ b[i]
	}
	return d
}

func (n *node) bootstrap(ctx context.Context) error {
	_, err := n.srv.BootstrapContext(ctx)
	return err
}

func (n *node) close() {
	n.srv.Close()
}
