package kad_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

var (
	fileHash = [16]byte{0x36, 0x19, 0xcf, 0x2a, 0x6d, 0xed, 0x2b, 0x9f, 0x28, 0x27, 0xca, 0x11, 0xe3, 0x2d, 0x81, 0xec}
	fileSize = uint64(346590)
	fileName = "tuition_fees_2026.csv"
)

// startNetwork starts a fixture network whose nodes index fileHash and
// the keyword "tuition", and publishes a source and a keyword hit.
func startNetwork(t *testing.T, nodes int, hostile map[int]emulefixture.KadBehaviour) (*emulefixture.KadNetwork, kad.Source) {
	t.Helper()
	n, err := emulefixture.StartKad(emulefixture.KadOptions{
		Nodes: nodes, Seed: 7, Hostile: hostile,
		Near: []kad.ID{kad.ID(fileHash), kad.KeywordID("tuition")},
	})
	if err != nil {
		t.Skipf("fixture Kad network on 127.0.0.x: %v", err)
	}
	t.Cleanup(n.Close)
	src := kad.Source{IP: netip.MustParseAddr("127.0.0.1"), TCPPort: 4662, UDPPort: 4672, Type: kad.SourceOpen, UserHash: [16]byte{0xAB}, Size: fileSize}
	n.PublishSource(kad.ID(fileHash), src)
	n.PublishKeyword("tuition", kad.KeywordHit{Hash: fileHash, Name: fileName, Size: fileSize, Sources: 3})
	n.PublishKeyword("tuition", kad.KeywordHit{Hash: [16]byte{1}, Name: "tuition_other.pdf", Size: 10})
	return n, src
}

func newClient(t *testing.T, contacts []kad.Contact, table []byte) *kad.Client {
	t.Helper()
	cfg := kad.DefaultConfig()
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.AllowLocal = true
	cfg.Contacts = contacts
	cfg.RoutingTable = table
	cfg.QueryTimeout = 500 * time.Millisecond
	cfg.ResultWait = 300 * time.Millisecond
	cfg.SearchTimeout = 10 * time.Second
	c, err := kad.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSearchFixture(t *testing.T) {
	n, want := startNetwork(t, 40, nil)
	c := newClient(t, n.Contacts()[:3], nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	alive, err := c.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if alive < 10 {
		t.Errorf("bootstrap: %d live contacts, want 10", alive)
	}
	start := time.Now()
	srcs, err := c.SearchSources(ctx, fileHash, fileSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("source search: %d sources in %v", len(srcs), time.Since(start))
	if len(srcs) != 1 || srcs[0].Addr() != want.Addr() || srcs[0].UDPPort != want.UDPPort || srcs[0].UserHash != want.UserHash || srcs[0].Size != fileSize {
		t.Fatalf("sources = %+v, want one like %+v", srcs, want)
	}
	hits, err := c.SearchKeyword(ctx, "Tuition fees")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 {
		t.Fatalf("keyword hits = %+v, want 2", hits)
	}
	for _, h := range hits {
		if h.Hash == fileHash && (h.Name != fileName || h.Size != fileSize || h.Sources != 3 || h.FileType != "Doc") {
			t.Errorf("hit %+v", h)
		}
	}
	if _, err := c.SearchKeyword(ctx, "a b"); !errors.Is(err, kad.ErrNoKeyword) {
		t.Errorf("short words: %v", err)
	}
	st := n.Stats()
	if st.Dropped != 0 || st.Banned != 0 {
		t.Errorf("aMule flood accounting: %d requests dropped, %d banning", st.Dropped, st.Banned)
	}
	cs := c.Stats()
	t.Logf("fixture saw %v; client %+v", st.Requests, cs)
	if cs.Malformed != 0 || cs.Alive < 10 {
		t.Errorf("client stats %+v", cs)
	}

	// The routing table round-trips and bootstraps a new client alone.
	table := c.RoutingTable()
	saved, err := kad.ParseNodesDat(table)
	if err != nil || len(saved) != cs.Contacts {
		t.Fatalf("saved table: %d contacts, %v; want %d", len(saved), err, cs.Contacts)
	}
	c2 := newClient(t, nil, table)
	if alive, err := c2.Bootstrap(ctx); err != nil || alive < 10 {
		t.Fatalf("bootstrap from a saved table: %d, %v", alive, err)
	}
}

func TestSearchHostileFixture(t *testing.T) {
	// Nodes 0-3 sit near the targets; 2 and 3 misbehave, and so do others.
	hostile := map[int]emulefixture.KadBehaviour{
		2: emulefixture.KadGarbage, 3: emulefixture.KadBomb, 5: emulefixture.KadSilent,
		6: emulefixture.KadLiar, 7: emulefixture.KadGarbage, 8: emulefixture.KadBomb, 9: emulefixture.KadLiar,
	}
	n, want := startNetwork(t, 30, hostile)
	c := newClient(t, n.Contacts()[5:10], nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srcs, err := c.SearchSources(ctx, fileHash, fileSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 || srcs[0].Addr() != want.Addr() {
		t.Errorf("sources = %+v", srcs)
	}
	if d := time.Since(start); d > 12*time.Second {
		t.Errorf("search took %v", d)
	}
	if cs := c.Stats(); cs.Malformed == 0 {
		t.Errorf("no malformed packet counted: %+v", cs)
	}
}

func TestNoContacts(t *testing.T) {
	c := newClient(t, []kad.Contact{{Addr: netip.MustParseAddrPort("127.0.0.1:9")}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Bootstrap(ctx); !errors.Is(err, kad.ErrNoContacts) {
		t.Errorf("bootstrap with a dead contact: %v", err)
	}
	if _, err := c.SearchSources(ctx, fileHash, 0); !errors.Is(err, kad.ErrNoContacts) {
		t.Errorf("search with no contacts: %v", err)
	}
	c.Close()
	if _, err := c.Ping(ctx, netip.MustParseAddrPort("127.0.0.1:9")); err == nil {
		t.Error("ping after Close succeeded")
	}
}
