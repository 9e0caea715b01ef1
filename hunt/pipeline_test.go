package hunt

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// The pipeline's own logic (dedupe, resume, what is recorded at which
// level) is tested here with small in-process stand-ins for the network
// components; the real DHT node, fetcher and prober run against real
// peers in cmd/leakhunt's demo and hunt tests.

type listSource struct{ sightings []crawler.Sighting }

func (l listSource) Name() string { return "list" }
func (l listSource) Discover(ctx context.Context, emit func(crawler.Sighting)) error {
	for _, s := range l.sightings {
		emit(s)
	}
	return nil
}

type mapFetcher struct {
	infos map[fingerprint.InfoHash][]byte
	calls atomic.Int64
}

func (f *mapFetcher) Fetch(ctx context.Context, ih fingerprint.InfoHash, peers []netip.AddrPort) ([]byte, error) {
	f.calls.Add(1)
	if b, ok := f.infos[ih]; ok {
		return b, nil
	}
	return nil, errors.New("no peer had it")
}

type fixedPeers []netip.AddrPort

func (f fixedPeers) GetPeers(context.Context, fingerprint.InfoHash) ([]netip.AddrPort, error) {
	return f, nil
}

// fakeProber answers every probe at a fixed level, reporting PEX peers.
type fakeProber struct {
	level evidence.Level
	pex   []netip.AddrPort
	mu    sync.Mutex
	hits  map[netip.AddrPort]int
}

func (f *fakeProber) Probe(ctx context.Context, t evidence.Target, ap netip.AddrPort, tr string) (evidence.ProbeResult, error) {
	f.mu.Lock()
	f.hits[ap]++
	f.mu.Unlock()
	return evidence.ProbeResult{PEX: f.pex, Observation: evidence.Observation{Time: time.Now().UTC(), Level: f.level, Source: "probe",
		IP: ap.Addr().String(), Port: int(ap.Port()), InfoHash: t.InfoHash, Transport: tr}}, nil
}

// fixture catalogues one document and returns the store, its recorder and
// the info dictionary of a torrent carrying it.
func fixture(t *testing.T) (*store.Store, *Recorder, fingerprint.InfoHash, []byte) {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "p.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return fixtureIn(t, s, dir)
}

// fixtureIn is fixture with the store s, the document written in dir.
func fixtureIn(t *testing.T, s *store.Store, dir string) (*store.Store, *Recorder, fingerprint.InfoHash, []byte) {
	t.Helper()
	doc := filepath.Join(dir, "leak.csv")
	b := make([]byte, 100_000)
	for i := range b {
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(doc, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.File(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddDocument(store.Document{Name: "leak.csv", Fingerprint: fp}, doc); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 16 << 10}
	if err := info.BuildFromFilePath(doc); err != nil {
		t.Fatal(err)
	}
	infoBytes := bencode.MustMarshal(info)
	rec, err := NewRecorder(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, rec, fingerprint.InfoHash(metainfo.HashBytes(infoBytes)), infoBytes
}

// matchedFixture is fixture with its torrent matched and watched.
func matchedFixture(t *testing.T) (*store.Store, *Recorder, fingerprint.InfoHash) {
	t.Helper()
	s, rec, ih, info := fixture(t)
	tor, err := fingerprint.ParseInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Torrent(tor, "test"); err != nil {
		t.Fatal(err)
	}
	return s, rec, ih
}

func run(t *testing.T, s *store.Store, rec *Recorder, cfg Config, limit time.Duration) *Pipeline {
	t.Helper()
	p, err := New(s, rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := p.Run(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	return p
}

func TestDedupeMatchAndResume(t *testing.T) {
	s, rec, ih, info := fixture(t)
	other := fingerprint.InfoHash{1, 2, 3}
	ihHex, otherHex := ih, other
	var ss []crawler.Sighting
	for range 5 {
		ss = append(ss, crawler.Sighting{InfoHash: ihHex, Source: "dht-sample"}, crawler.Sighting{InfoHash: otherHex, Source: "dht-sample"})
	}
	f := &mapFetcher{infos: map[fingerprint.InfoHash][]byte{ih: info}}
	cfg := Config{Sources: []crawler.Source{listSource{ss}}, Fetcher: f, Peers: fixedPeers{netip.MustParseAddrPort("127.0.0.1:9")}}
	p := run(t, s, rec, cfg, 10*time.Second)
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("%d fetches for 2 distinct infohashes sighted 5 times each", n)
	}
	st := p.Stats()
	if st.Proven != 1 || st.MetadataOK != 1 || st.MetadataFail != 1 {
		t.Fatalf("stats %+v", st)
	}
	if w, _ := s.Watchlist(); len(w) != 1 || w[0].InfoHash != ihHex {
		t.Fatalf("watchlist %v", w)
	}
	// A resumed run fetches nothing it fetched before; the failed one is
	// retried only after RetryFailedAfter.
	f2 := &mapFetcher{infos: f.infos}
	cfg.Fetcher = f2
	run(t, s, rec, cfg, 10*time.Second)
	if n := f2.calls.Load(); n != 1 {
		t.Fatalf("resumed run made %d fetches, want 1 (only the one that failed)", n)
	}
}

// TestLevelsAndSelf watches a matched torrent: a DHT listing and an
// announce_peer are L1, a probe's level is recorded as it is, and our own
// address, listed back to us by the DHT or PEX, is never recorded.
func TestLevelsAndSelf(t *testing.T) {
	s, rec, ihHex := matchedFixture(t)
	self := NewSelfSet()
	me := netip.MustParseAddrPort("127.0.0.1:40000")
	self.Add(me)
	seeder := netip.MustParseAddrPort("127.0.0.1:40001")
	announced := netip.MustParseAddrPort("127.0.0.1:40002")
	viaPEX := netip.MustParseAddrPort("127.0.0.1:40003")
	pr := &fakeProber{level: evidence.L4Served, pex: []netip.AddrPort{me, viaPEX}, hits: map[netip.AddrPort]int{}}
	src := listSource{[]crawler.Sighting{{InfoHash: ihHex, Source: "dht-announce", Peer: announced.String(), Time: time.Now()}}}
	cfg := Config{Sources: []crawler.Source{src}, Peers: fixedPeers{seeder, me}, Prober: pr, Self: self, Watch: true,
		ProbeInterval: time.Hour, Transports: []string{"tcp"}, AllowLoopback: true}
	run(t, s, rec, cfg, 4*time.Second)

	peers, err := s.PeersOf(ihHex)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[int]evidence.Level{}
	for _, p := range peers {
		if p.Port == int(me.Port()) {
			t.Fatalf("our own address was recorded: %+v", p)
		}
		levels[p.Port] = p.Level
	}
	if levels[int(seeder.Port())] != evidence.L4Served {
		t.Errorf("seeder at %s, want L4", levels[int(seeder.Port())])
	}
	if lvl, ok := levels[int(announced.Port())]; !ok || lvl < evidence.L1Announced {
		t.Errorf("announced peer missing (%v)", levels)
	}
	if lvl, ok := levels[int(viaPEX.Port())]; !ok || lvl < evidence.L1Announced {
		t.Errorf("peer learnt by PEX missing (%v)", levels)
	}
	if pr.hits[me] != 0 {
		t.Errorf("we probed ourselves %d times", pr.hits[me])
	}
}

// TestAddressPolicy: addresses the policy refuses are neither recorded nor
// probed, whichever source names them (DHT, PEX, an earlier run that
// allowed loopback). The fake prober sends nothing anywhere; the public
// address only stands for "an address the policy allows".
func TestAddressPolicy(t *testing.T) {
	s, rec, ihHex := matchedFixture(t)
	earlier := netip.MustParseAddrPort("127.0.0.1:40005") // recorded by an --allow-local run
	if _, err := s.AppendObservations([]evidence.Observation{{Time: time.Now().UTC(), Level: evidence.L2Connected, Source: "probe",
		IP: earlier.Addr().String(), Port: int(earlier.Port()), InfoHash: ihHex, Version: "test"}}); err != nil {
		t.Fatal(err)
	}
	public := netip.MustParseAddrPort("8.8.8.8:6881")
	refused := []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.5:6881"),
		netip.MustParseAddrPort("[64:ff9b::a00:5]:6881"), // NAT64 of 10.0.0.5
		netip.MustParseAddrPort("192.168.1.1:1"),
		netip.MustParseAddrPort("[2002:7f00:1::1]:6881"), // 6to4 of 127.0.0.1
	}
	pr := &fakeProber{level: evidence.L2Connected, pex: refused[2:], hits: map[netip.AddrPort]int{}}
	p, err := New(s, rec, Config{Peers: fixedPeers(append([]netip.AddrPort{public}, refused[:2]...)), Prober: pr, Watch: true,
		Transports: []string{"tcp"}})
	if err != nil {
		t.Fatal(err)
	}
	var r Round
	err = p.Watch(context.Background(), ihHex, 1, func(x Round) { r = x })
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.hits) != 1 || pr.hits[public] != 1 {
		t.Errorf("probed %v, want only %v", pr.hits, public)
	}
	if r.Refused != len(refused) {
		t.Errorf("round refused %d addresses, want %d", r.Refused, len(refused))
	}
	peers, err := s.PeersOf(ihHex)
	if err != nil {
		t.Fatal(err)
	}
	for _, pe := range peers {
		ap := netip.AddrPortFrom(netip.MustParseAddr(pe.IP), uint16(pe.Port))
		if ap != public && ap != earlier {
			t.Errorf("refused address recorded: %+v", pe)
		}
	}
}
