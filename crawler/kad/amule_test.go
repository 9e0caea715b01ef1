package kad_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

var update = flag.Bool("update", false, "rewrite testdata/amule-2.3.3 from real aMule answers")

// capturedDir holds aMule 2.3.3's answers to this codec's requests,
// recorded by TestAMuleKad with -update and checked without aMule by
// TestAMuleCaptured.
const capturedDir = "testdata/amule-2.3.3"

// insideEnv carries the set-up of TestAMuleKad to the process it runs
// inside the network namespace.
const insideEnv = "LEAKHUNT_KAD_AMULE_INSIDE"

// amuleSetup describes two aMule daemons in a namespace: Sharer shares the
// leak and has a Kad ID near its hash (so it indexes its sources);
// Indexer has a Kad ID near the hash of the keyword "tuition".
type amuleSetup struct {
	Sharer, Indexer amuleNode
	Client          netip.Addr
	Hash            [16]byte
	Size            int64
	Name, Path      string
}

type amuleNode struct {
	ID       kad.ID
	Addr     netip.Addr
	TCP, UDP uint16
	UserHash [16]byte
}

func (n amuleNode) contact() kad.Contact {
	return kad.Contact{ID: n.ID, Addr: netip.AddrPortFrom(n.Addr, n.UDP), TCPPort: n.TCP, Version: 8}
}

// TestAMuleKad runs two aMule 2.3.3 daemons in a network namespace with
// addresses in 100.64.0.0/10 (aMule refuses loopback and LAN contacts for
// Kad), and the client in the same namespace: the client bootstraps from a
// nodes.dat, finds the sharer as a source of the leak and the leak under a
// keyword, in aMule's own answers, then probes the source over ed2k. aMule
// publishes its files only minutes after it starts, so the entries are
// published into the daemons with this package's codec, from the sharer's
// address, as the sharer would.
func TestAMuleKad(t *testing.T) {
	if os.Getenv(insideEnv) != "" {
		t.Skip("running inside the namespace")
	}
	if err := emulefixture.AMuleAvailable(); err != nil {
		t.Skip(err)
	}
	if err := emulefixture.NetNSAvailable(); err != nil {
		t.Skip(err)
	}
	path, _ := filepath.Abs("../../testdata/leaks/tuition_fees_2026.csv")
	fp, err := fingerprint.File(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := hex.DecodeString(fp.ED2K)
	s := amuleSetup{
		Sharer:  amuleNode{ID: emulefixture.NearID(kad.ID(hash)), Addr: netip.MustParseAddr("100.64.1.2"), TCP: 4662, UDP: 4672, UserHash: ed2k.NewUserHash()},
		Indexer: amuleNode{ID: emulefixture.NearID(kad.KeywordID("tuition")), Addr: netip.MustParseAddr("100.64.2.2"), TCP: 4662, UDP: 4672, UserHash: ed2k.NewUserHash()},
		Client:  netip.MustParseAddr("100.64.3.2"),
		Hash:    [16]byte(hash), Size: fp.Size, Name: "tuition_fees_2026.csv", Path: path,
	}
	emulefixture.RemoveStaleNetNS("lhkad")
	ns, err := emulefixture.NewNetNS(fmt.Sprintf("lhkad%d", os.Getpid()), []netip.Addr{s.Sharer.Addr, s.Indexer.Addr, s.Client})
	if err != nil {
		t.Skipf("cannot create a network namespace: %v", err)
	}
	defer ns.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	start := time.Now()
	var daemons []*emulefixture.AMule
	for i, n := range []amuleNode{s.Sharer, s.Indexer} {
		other := []amuleNode{s.Indexer, s.Sharer}[i]
		nodes, err := kad.MarshalNodesDat([]kad.Contact{other.contact()}, kad.NodesDatBootstrap)
		if err != nil {
			t.Fatal(err)
		}
		o := emulefixture.AMuleOptions{
			Dir: t.TempDir(), Address: n.Addr, TCPPort: n.TCP, UDPPort: n.UDP, ECPort: uint16(4712 + i),
			NetNS: ns.Name, Kad: true, NodesDat: nodes, KadID: n.ID, UserHash: n.UserHash,
		}
		if i == 0 {
			o.Share = map[string]string{s.Name: s.Path}
		}
		a, err := emulefixture.StartAMule(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Stop()
		defer func() {
			if t.Failed() {
				t.Logf("amuled %v log:\n%s", n.Addr, a.Log())
			}
		}()
		daemons = append(daemons, a)
	}
	t.Logf("two amuleds up in %v", time.Since(start).Round(time.Millisecond))

	setup, _ := json.Marshal(s)
	args := []string{"-test.run=^TestAMuleKadInside$", "-test.v", "-test.count=1", "-test.timeout=100s"}
	if *update {
		args = append(args, "-update")
	}
	cmd := ns.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), insideEnv+"="+string(setup))
	out, err := cmd.CombinedOutput()
	t.Logf("inside the namespace:\n%s", out)
	if err != nil {
		t.Fatalf("client inside the namespace: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestAMuleKadInside")) {
		t.Fatal("the client test did not pass inside the namespace")
	}
	for _, a := range daemons {
		// aMule read the bootstrap nodes.dat this package wrote.
		if !strings.Contains(a.Log(), "Read 1 Kad contact") {
			t.Errorf("amuled %v did not read its nodes.dat:\n%s", a.Opts.Address, a.Log())
		}
	}
}

// TestAMuleKadInside is TestAMuleKad's part inside the namespace.
func TestAMuleKadInside(t *testing.T) {
	env := os.Getenv(insideEnv)
	if env == "" {
		t.Skip("run by TestAMuleKad inside a network namespace")
	}
	var s amuleSetup
	if err := json.Unmarshal([]byte(env), &s); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Publish, from the sharer's address, the sharer as a source of the
	// leak (to the sharer, which indexes it) and the leak under its keyword
	// (to the indexer).
	pub, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.Sharer.Addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	publishes := []struct {
		to  amuleNode
		msg kad.Message
	}{
		{s.Sharer, &kad.PublishSourceReq{File: kad.ID(s.Hash), Source: kad.ID(s.Sharer.UserHash), Tags: []kad.Tag{
			kad.IntTag(kad.TagSourceType, uint64(kad.SourceOpen)), kad.IntTag(kad.TagSourcePort, uint64(s.Sharer.TCP)),
			kad.IntTag(kad.TagSourceUPort, uint64(s.Sharer.UDP)), kad.IntTag(kad.TagFileSize, uint64(s.Size)),
		}}},
		{s.Indexer, &kad.PublishKeyReq{Target: kad.KeywordID("tuition"), Entries: []kad.SearchResult{{Answer: kad.ID(s.Hash), Tags: []kad.Tag{
			kad.StringTag(kad.TagFileName, s.Name), kad.IntTag(kad.TagFileSize, uint64(s.Size)),
			kad.StringTag(kad.TagFileType, "Doc"), kad.IntTag(kad.TagSources, 1),
		}}}}},
	}
	for _, p := range publishes {
		if _, err := pub.WriteToUDPAddrPort(kad.Marshal(p.msg), p.to.contact().Addr); err != nil {
			t.Fatal(err)
		}
		pub.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 2048)
		n, _, err := pub.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no publish answer from %v: %v", p.to.Addr, err)
		}
		m, err := kad.Unmarshal(buf[:n])
		if res, ok := m.(*kad.PublishRes); err != nil || !ok {
			t.Fatalf("publish answer from %v: %T %v", p.to.Addr, m, err)
		} else {
			t.Logf("%v indexed the publish (load %d%%)", p.to.Addr, res.Load)
		}
	}

	// The client: bootstrap from a nodes.dat, hello, search.
	nodesDat, _ := kad.MarshalNodesDat([]kad.Contact{s.Sharer.contact(), s.Indexer.contact()}, kad.NodesDatV2)
	contacts, err := kad.ParseNodesDat(nodesDat)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kad.DefaultConfig()
	cfg.ListenAddr = netip.AddrPortFrom(s.Client, 0).String()
	cfg.Contacts = contacts
	cfg.ResultWait = time.Second
	c, err := kad.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	alive, err := c.Bootstrap(ctx)
	if err != nil || alive != 2 {
		t.Fatalf("bootstrap: %d alive, %v", alive, err)
	}
	t.Logf("bootstrap: %d nodes in %v", alive, time.Since(start).Round(time.Millisecond))
	for _, n := range []amuleNode{s.Sharer, s.Indexer} {
		ct, err := c.Ping(ctx, n.contact().Addr)
		if err != nil || ct.ID != n.ID || ct.Version != 8 {
			t.Fatalf("hello to %v: %+v %v", n.Addr, ct, err)
		}
	}

	start = time.Now()
	srcs, err := c.SearchSources(ctx, s.Hash, uint64(s.Size))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("source search: %+v in %v", srcs, time.Since(start).Round(time.Millisecond))
	want := netip.AddrPortFrom(s.Sharer.Addr, s.Sharer.TCP)
	if len(srcs) != 1 || srcs[0].Addr() != want || srcs[0].UserHash != s.Sharer.UserHash || srcs[0].Size != uint64(s.Size) {
		t.Fatalf("sources %+v, want %v", srcs, want)
	}

	start = time.Now()
	hits, err := c.SearchKeyword(ctx, "tuition fees")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("keyword search: %+v in %v", hits, time.Since(start).Round(time.Millisecond))
	if len(hits) != 1 || hits[0].Hash != s.Hash || hits[0].Name != s.Name || hits[0].Size != uint64(s.Size) {
		t.Fatalf("hits %+v", hits)
	}
	st := c.Stats()
	t.Logf("client stats %+v", st)
	if st.Malformed != 0 || st.Timeouts != 0 {
		t.Errorf("aMule's packets counted malformed or timed out: %+v", st)
	}

	// Probe the source found: the sharer must serve the leak.
	f, err := os.Open(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pcfg := ed2k.DefaultConfig()
	pcfg.UserHash = ed2k.NewUserHash()
	pcfg.LocalAddr = s.Client
	prober, err := ed2k.NewProber(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prober.Probe(ctx, ed2k.Target{Hash: s.Hash, Size: s.Size, Doc: f}, srcs[0].Addr())
	if err != nil && strings.HasPrefix(res.Reason, "timeout waiting for") {
		// aMule's timer loop falls behind on a loaded machine and stops
		// answering after the hello; one more probe after the Prober's
		// spacing stays within aMule's budget of three upload requests in
		// ten minutes. Said in the output, so a retry is never hidden.
		t.Logf("aMule stopped answering (%v, reason %q); probing once more", err, res.Reason)
		time.Sleep(pcfg.PeerSpacing)
		res, err = prober.Probe(ctx, ed2k.Target{Hash: s.Hash, Size: s.Size, Doc: f}, srcs[0].Addr())
	}
	if err != nil || res.Level != ed2k.L4Served || res.Client.UserHash != srcs[0].UserHash {
		t.Fatalf("probe of the source: %v, %v, user hash %x", err, res.Level, res.Client.UserHash)
	}
	t.Logf("probe: %v, %s %s, %v", res.Level, res.Client.Software, res.Client.Version, res.Duration.Round(time.Millisecond))
	if *update {
		capture(t, pub, s)
	}
}

// capture records aMule's raw answers to one request of each kind, sent
// from the sharer's address, in capturedDir.
func capture(t *testing.T, conn *net.UDPConn, s amuleSetup) {
	hello := kad.Hello{ID: kad.RandomID(), Version: kad.Version, Tags: []kad.Tag{kad.IntTag(kad.TagKadMisc, 3)}}
	requests := []struct {
		name string
		to   amuleNode
		msg  kad.Message
	}{
		{"bootstrap_res", s.Sharer, &kad.BootstrapReq{}},
		{"hello_res", s.Sharer, &kad.HelloReq{Hello: hello}},
		{"res", s.Sharer, &kad.Req{Type: kad.FindNode, Target: kad.ID(s.Hash), Receiver: s.Sharer.ID}},
		{"search_res_source", s.Sharer, &kad.SearchSourceReq{Target: kad.ID(s.Hash), Size: uint64(s.Size)}},
		{"search_res_keyword", s.Indexer, &kad.SearchKeyReq{Target: kad.KeywordID("tuition"), Expr: kad.KeywordExpr([]string{"tuition", "fees"})}},
	}
	if err := os.MkdirAll(capturedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, kad.MaxPacket)
	for _, r := range requests {
		if _, err := conn.WriteToUDPAddrPort(kad.Marshal(r.msg), r.to.contact().Addr); err != nil {
			t.Fatal(err)
		}
		for {
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, _, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				t.Fatalf("capture %s: %v", r.name, err)
			}
			if m, err := kad.Unmarshal(buf[:n]); err != nil || m.Opcode() == kad.OpPing || m.Opcode() == 0x50 {
				continue // aMule's own requests (ping, firewall check)
			}
			if err := os.WriteFile(filepath.Join(capturedDir, r.name+".bin"), bytes.Clone(buf[:n]), 0o644); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	t.Logf("captured %d aMule answers in %s", len(requests), capturedDir)
}
