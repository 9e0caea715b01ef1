// Package demo builds the scenario `leakhunt demo` hunts: an in-process
// swarm on loopback sharing the synthetic leaks inside realistic torrents,
// with decoys, honest seeders, a lying peer and an address announced with
// nothing behind it. It also says what a correct hunt must find, so the
// demo can stop when it has found it and tests can check it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/demodata"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/store"
)

// Torrent is one torrent of the scenario and what a hunt must conclude.
type Torrent struct {
	Name     string
	InfoHash fingerprint.InfoHash
	// Document is the catalogued document it carries ("" for decoys).
	Document string
	// Peers are the addresses serving it and the evidence level each must
	// reach (honest seeder L4, liar L3, announced-only L1).
	Peers map[netip.AddrPort]evidence.Level
	// Role describes the torrent for people.
	Role string
}

// Scenario is a running demo swarm.
type Scenario struct {
	Swarm     *localswarm.Swarm
	Documents map[string][]byte
	Torrents  []Torrent
	closers   []func()
}

// Close stops every peer and node.
func (s *Scenario) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// Bootstrap are the swarm's DHT nodes to bootstrap from.
func (s *Scenario) Bootstrap() []string { return s.Swarm.BootstrapAddrs() }

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Start starts the scenario on loopback. Everything it runs listens on
// 127.0.0.1 only.
func Start(ctx context.Context) (sc *Scenario, err error) {
	docs := demodata.Documents()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 24})
	if err != nil {
		return nil, fmt.Errorf("start local swarm: %w", err)
	}
	sc = &Scenario{Swarm: sw, Documents: docs}
	sc.closers = append(sc.closers, sw.Close)
	defer func() {
		if err != nil {
			sc.Close()
		}
	}()
	boot := sw.BootstrapAddrs()
	seed := func(role, doc string, cfg localswarm.SeederConfig) (*localswarm.Seeder, error) {
		cfg.AnnounceDHT = boot
		s, err := sw.AddSeeder(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("seed %q: %w", cfg.Name, err)
		}
		sc.closers = append(sc.closers, s.Close)
		sc.Torrents = append(sc.Torrents, Torrent{Name: cfg.Name, InfoHash: s.InfoHash, Document: doc,
			Peers: map[netip.AddrPort]evidence.Level{}, Role: role})
		t := &sc.Torrents[len(sc.Torrents)-1]
		if doc != "" {
			t.Peers[s.Addr] = 4
		}
		return s, nil
	}

	for _, d := range seeds(docs) {
		s, err := seed(d.role, d.doc, d.cfg)
		if err != nil {
			return nil, err
		}
		if d.liars {
			if err := sc.addLiars(ctx, s); err != nil {
				return nil, err
			}
		}
	}
	return sc, nil
}

// demoSeed is one torrent of the demo: what it shows (role), the
// document it carries ("" for a decoy) and how it is seeded. With liars,
// a lying peer and an empty address are listed beside its seeder.
type demoSeed struct {
	role, doc string
	cfg       localswarm.SeederConfig
	liars     bool
}

func seeds(docs map[string][]byte) []demoSeed {
	// Decoy of the roster: its name and size, other bytes.
	decoy := append([]byte(nil), docs["staff_roster.tsv"]...)
	for i := 100; i < len(decoy); i += 97 {
		decoy[i] ^= 0x20
	}
	return []demoSeed{
		// The tuition export re-shared under a new name, alone in its torrent.
		{role: "single-file torrent of a leak, renamed", doc: "tuition_fees_2026.csv", cfg: localswarm.SeederConfig{
			Name: "2026年度_授業料_全学生.csv", PieceLength: 16 << 10,
			Files: []localswarm.File{{Data: docs["tuition_fees_2026.csv"]}},
		}},
		// The member database in a folder, after files of odd sizes, so it
		// starts mid-piece; a lying peer and an empty address are listed too.
		{role: "multi-file torrent, leak at an odd offset", doc: "member_db_export.sql", liars: true, cfg: localswarm.SeederConfig{
			Name: "backup_2026-10", PieceLength: 64 << 10,
			Files: []localswarm.File{
				{Path: "readme.txt", Data: []byte("backup of the shared drive (synthetic demo data)\n")},
				{Path: "photos/team.jpg", Data: randomBytes(1, 100_003)},
				{Path: "db/member_db_export.sql", Data: docs["member_db_export.sql"]},
				{Path: "db/notes.txt", Data: randomBytes(2, 777)},
			},
		}},
		// The memo, small enough to sit in one short piece.
		{role: "small leak in a short final piece", doc: "incident_memo.txt", cfg: localswarm.SeederConfig{
			Name: "memo.txt", PieceLength: 16 << 10,
			Files: []localswarm.File{{Data: docs["incident_memo.txt"]}},
		}},
		// Decoys: neither may match.
		{role: "decoy: same name and size, other bytes", cfg: localswarm.SeederConfig{
			Name: "staff_roster.tsv", PieceLength: 16 << 10, Files: []localswarm.File{{Data: decoy}},
		}},
		{role: "decoy: unrelated content", cfg: localswarm.SeederConfig{
			Name: "holiday_photos", PieceLength: 32 << 10,
			Files: []localswarm.File{{Path: "a.jpg", Data: randomBytes(3, 200_000)}, {Path: "b.jpg", Data: randomBytes(4, 150_001)}},
		}},
		// The real roster in a hybrid (BEP 52 v1+v2) torrent, after a short
		// note padded to a piece boundary: its v2 pieces root proves it.
		{role: "hybrid torrent (BEP 52), leak proven by its v2 root", doc: "staff_roster.tsv", cfg: localswarm.SeederConfig{
			Name: "staff_share_hybrid", PieceLength: 32 << 10, Hybrid: true,
			Files: []localswarm.File{
				{Path: "notes.txt", Data: []byte("Shared folder of the staff office, exported for the audit.\n" +
					"Contents: the staff roster (tab separated, one person per line) and this note.\n" +
					"Please do not forward outside the office. (synthetic demo data)\n")},
				{Path: "staff_roster.tsv", Data: docs["staff_roster.tsv"]},
			},
		}},
	}
}

// addLiars lists, beside the last torrent's seeder s, a peer that lies
// about the torrent's pieces (L3) and an address with nothing behind it
// (L1).
func (sc *Scenario) addLiars(ctx context.Context, s *localswarm.Seeder) error {
	liar, stopLiar, err := localswarm.StartLiar(ctx, s.InfoBytes, localswarm.LiarConfig{ClientName: "liar/1.0"})
	if err != nil {
		return fmt.Errorf("start lying peer: %w", err)
	}
	sc.closers = append(sc.closers, stopLiar)
	sc.Swarm.AddInfohash(s.InfoHash, liar)
	empty, err := closedPort()
	if err != nil {
		return err
	}
	sc.Swarm.AnnounceFake(s.InfoHash, empty)
	t := &sc.Torrents[len(sc.Torrents)-1]
	t.Peers[liar] = 3
	t.Peers[empty] = 1
	return nil
}

// closedPort returns a loopback address with nothing listening on it.
func closedPort() (netip.AddrPort, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap := l.Addr().(*net.TCPAddr).AddrPort()
	if err := l.Close(); err != nil {
		return netip.AddrPort{}, err
	}
	return ap, nil
}

// ErrIncomplete is wrapped by [Check] when a hunt has not found everything.
var ErrIncomplete = errors.New("hunt incomplete")

// Check compares what the store holds with what a correct hunt finds. It
// returns what is still missing (nothing when the hunt is complete) and
// what is wrong: a decoy matched, or a peer above its true level. Wrong
// findings never become right by waiting.
func (s *Scenario) Check(st *store.Store) (missing, wrong []string, err error) {
	for _, t := range s.Torrents {
		ms, err := st.MatchesFor(t.InfoHash)
		if err != nil {
			return nil, nil, err
		}
		proven := false
		for _, m := range ms {
			if m.Verdict != fingerprint.VerdictProven {
				continue
			}
			if t.Document == "" || m.DocumentName != t.Document {
				wrong = append(wrong, fmt.Sprintf("%s (%s) matched %s", t.Name, t.Role, m.DocumentName))
				continue
			}
			proven = true
		}
		if t.Document != "" && !proven {
			missing = append(missing, fmt.Sprintf("proof that %q carries %s", t.Name, t.Document))
		}
		peers, err := st.PeersOf(t.InfoHash)
		if err != nil {
			return nil, nil, err
		}
		got := map[netip.AddrPort]evidence.Level{}
		for _, p := range peers {
			if ip, err := netip.ParseAddr(p.IP); err == nil {
				got[netip.AddrPortFrom(ip, uint16(p.Port))] = p.Level
			}
		}
		for ap, want := range t.Peers {
			lvl, ok := got[ap]
			switch {
			case !ok || lvl < want:
				missing = append(missing, fmt.Sprintf("%s at L%d for %q", ap, want, t.Name))
			case lvl > want:
				wrong = append(wrong, fmt.Sprintf("%s at L%d for %q, but it can only prove L%d", ap, lvl, t.Name, want))
			}
		}
	}
	return missing, wrong, nil
}
