// Package validation builds the swarm `leakhunt validate` hunts: hosts on
// loopback whose behaviour is known by construction (honest seeders of
// several implementations, a liar, peers holding only an edge piece or
// only a decoy file, peers serving the wrong piece or switching content, a
// crafted hybrid torrent, a link whose content hash sits beside an
// unrelated infohash, an address with nothing behind it). It states the
// evidence level each host must reach and compares it with what a hunt
// recorded, so that the method's results can be checked against known
// truths.
package validation

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/demodata"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/store"
)

// None is the expected or obtained level of a host that must not be, or
// was not, recorded at all for the torrent.
const None evidence.Level = -1

// Host is one host of the swarm and the torrent it is about, with the
// level it must reach by construction.
type Host struct {
	Addr     netip.AddrPort
	InfoHash fingerprint.InfoHash
	// Torrent describes the torrent, Behaviour the host, for the report.
	Torrent, Behaviour string
	// Expected is the level the host must reach, or None.
	Expected evidence.Level
}

// Torrent is one torrent of the swarm and the verdict matching must reach
// on it: "proven", "inconsistent", or "" (no match).
type Torrent struct {
	InfoHash    fingerprint.InfoHash
	Description string
	Verdict     string
}

// Scenario is a running validation swarm. Close stops it.
type Scenario struct {
	Swarm *localswarm.Swarm
	// Documents are the catalogued documents by name.
	Documents map[string][]byte
	Hosts     []Host
	Torrents  []Torrent
	// Links are the links the web page carries, with the document each
	// names by its own content hash.
	Links map[string]string
	// Page is the URL of a web page on loopback listing Links.
	Page string
	// Skipped says which parts could not run, and why.
	Skipped []string
	closers []func()
}

// Close stops every host.
func (sc *Scenario) Close() {
	for i := len(sc.closers) - 1; i >= 0; i-- {
		sc.closers[i]()
	}
}

// Bootstrap are DHT nodes of the swarm to bootstrap from.
func (sc *Scenario) Bootstrap() []string { return sc.Swarm.BootstrapAddrs() }

func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x1eaf))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Start starts the scenario on 127.0.0.1. dir is a scratch directory for
// files libtorrent seeds. libtorrent hosts are left out, and Skipped says
// so, where python3-libtorrent is missing.
func Start(ctx context.Context, dir string) (sc *Scenario, err error) {
	docs := demodata.Documents()
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 16})
	if err != nil {
		return nil, fmt.Errorf("start local swarm: %w", err)
	}
	sc = &Scenario{Swarm: sw, Documents: docs, Links: map[string]string{}}
	sc.closers = append(sc.closers, sw.Close)
	defer func() {
		if err != nil {
			sc.Close()
		}
	}()
	meta, err := localswarm.StartMetadataServer(ctx)
	if err != nil {
		return nil, err
	}
	sc.closers = append(sc.closers, meta.Close)
	b := &builder{Scenario: sc, ctx: ctx, sw: sw, meta: meta, boot: sw.BootstrapAddrs(), docs: docs}
	for _, add := range []func() error{b.honestV1, b.hybrid, func() error { return b.libtorrent(dir) },
		b.sharedPiece, b.alikeNames, b.changedEnd, b.craftedHybrid, b.magnetDecoy} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// builder adds the hosts and torrents of a scenario.
type builder struct {
	*Scenario
	ctx  context.Context
	sw   *localswarm.Swarm
	meta *localswarm.MetadataServer
	boot []string
	docs map[string][]byte
}

func (b *builder) host(addr netip.AddrPort, ih fingerprint.InfoHash, torrent, behaviour string, expected evidence.Level) {
	b.Hosts = append(b.Hosts, Host{Addr: addr, InfoHash: ih, Torrent: torrent, Behaviour: behaviour, Expected: expected})
}

func (b *builder) torrent(ih fingerprint.InfoHash, description, verdict string) {
	b.Torrents = append(b.Torrents, Torrent{InfoHash: ih, Description: description, Verdict: verdict})
}

// crafted starts a crafted peer of the torrent info.
func (b *builder) crafted(info []byte, cfg localswarm.LiarConfig) (netip.AddrPort, error) {
	addr, stop, err := localswarm.StartLiar(b.ctx, info, cfg)
	if err != nil {
		return addr, err
	}
	b.closers = append(b.closers, stop)
	return addr, nil
}

// honestV1 adds an honest seeder of a v1 torrent, with a liar and an
// empty address listed beside it.
func (b *builder) honestV1() error {
	// An honest anacrolix/torrent seeder of a v1 torrent; a liar and an
	// address with nothing behind it are listed for the same torrent.
	const v1Desc = "v1 torrent of tuition_fees_2026.csv (16 KiB pieces)"
	v1, err := b.sw.AddSeeder(b.ctx, localswarm.SeederConfig{Name: "tuition_fees_2026.csv", PieceLength: 16 << 10,
		Files: []localswarm.File{{Data: b.docs["tuition_fees_2026.csv"]}}, AnnounceDHT: b.boot})
	if err != nil {
		return fmt.Errorf("v1 seeder: %w", err)
	}
	b.closers = append(b.closers, v1.Close)
	b.torrent(v1.InfoHash, v1Desc, fingerprint.VerdictProven)
	b.host(v1.Addr, v1.InfoHash, v1Desc, "honest seeder (anacrolix/torrent): holds and serves the whole document", 4)
	liar, err := b.crafted(v1.InfoBytes, localswarm.LiarConfig{ClientName: "liar/1.0"})
	if err != nil {
		return err
	}
	b.sw.AddInfohash(v1.InfoHash, liar)
	b.host(liar, v1.InfoHash, v1Desc, "liar: claims every piece, serves bytes that are not the torrent's", 3)
	ghost, err := closedPort()
	if err != nil {
		return err
	}
	b.sw.AnnounceFake(v1.InfoHash, ghost)
	b.host(ghost, v1.InfoHash, v1Desc, "address announced in the DHT with nothing listening behind it", 1)
	return nil
}

// hybrid adds an honest seeder of a hybrid (BEP 52) torrent.
func (b *builder) hybrid() error {
	// An honest seeder of a hybrid (BEP 52) torrent.
	const hyDesc = "hybrid (v1+v2) torrent holding a note and staff_roster.tsv (32 KiB pieces)"
	hy, err := b.sw.AddSeeder(b.ctx, localswarm.SeederConfig{Name: "staff_share", PieceLength: 32 << 10, Hybrid: true,
		Files: []localswarm.File{{Path: "notes.txt", Data: []byte("Staff office share (synthetic validation data).\n")},
			{Path: "staff_roster.tsv", Data: b.docs["staff_roster.tsv"]}}, AnnounceDHT: b.boot})
	if err != nil {
		return fmt.Errorf("hybrid seeder: %w", err)
	}
	b.closers = append(b.closers, hy.Close)
	b.torrent(hy.InfoHash, hyDesc, fingerprint.VerdictProven)
	b.host(hy.Addr, hy.InfoHash, hyDesc, "honest seeder (anacrolix/torrent) of a hybrid torrent", 4)
	return nil
}

// libtorrent adds libtorrent seeders of v1 and hybrid torrents, or notes
// why it cannot.
func (b *builder) libtorrent(dir string) error {
	// Libtorrent seeders, v1 and hybrid, of the member database.
	if why := interop.LibtorrentMissing(); why != "" {
		b.Skipped = append(b.Skipped, "libtorrent seeders (an independent implementation): "+why)
	} else {
		src := filepath.Join(dir, "member_db_export.sql")
		if err := os.WriteFile(src, b.docs["member_db_export.sql"], 0o600); err != nil {
			return err
		}
		for _, mode := range []string{"v1", "hybrid"} {
			out := filepath.Join(dir, "lt-"+mode+".torrent")
			port, stop, err := interop.StartLibtorrentSeeder(b.ctx, src, out, 256<<10, mode, "127.0.0.1")
			if err != nil {
				return err
			}
			b.closers = append(b.closers, stop)
			mi, err := metainfo.LoadFromFile(out)
			if err != nil {
				return err
			}
			ih := fingerprint.InfoHash(mi.HashInfoBytes())
			addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
			b.sw.AddInfohash(ih, addr)
			desc := fmt.Sprintf("%s torrent of member_db_export.sql made by libtorrent (256 KiB pieces)", mode)
			b.torrent(ih, desc, fingerprint.VerdictProven)
			b.host(addr, ih, desc, "honest seeder (libtorrent, an independent implementation)", 4)
		}
	}
	return nil
}

// sharedPiece adds crafted peers of a torrent where documents share pieces.
func (b *builder) sharedPiece() error {
	// A torrent where the member database starts 10 bytes before the
	// end of the first piece and the memo follows it inside a shared
	// piece; crafted peers each hold or serve one thing.
	const P = 64 << 10
	memo, dump := b.docs["incident_memo.txt"], b.docs["member_db_export.sql"]
	edgeInfo, edgeStream, err := localswarm.BuildV1("backup", P, [][]string{{"a.bin"}, {"db", "member_db_export.sql"}, {"db", "incident_memo.txt"}, {"z.bin"}},
		[][]byte{random(1, P-10), dump, memo, random(2, 5000)})
	if err != nil {
		return err
	}
	edgeIH := b.meta.Add(edgeInfo)
	const edgeDesc = "v1 torrent: a 65,526-byte file, member_db_export.sql, incident_memo.txt, another file (64 KiB pieces)"
	b.torrent(edgeIH, edgeDesc, fingerprint.VerdictProven)
	dumpEnd := int64(P-10) + int64(len(dump)) // the piece holding it holds the memo's start too
	shared := int(dumpEnd / P)
	for _, c := range []struct {
		cfg       localswarm.LiarConfig
		behaviour string
		level     evidence.Level
	}{
		{localswarm.LiarConfig{Claims: []int{0}, Serve: localswarm.ServeHonest},
			"holds only piece 0, which carries 10 bytes of member_db_export.sql; serves it honestly", 3},
		{localswarm.LiarConfig{Claims: []int{shared}, Serve: localswarm.ServeHonest},
			fmt.Sprintf("holds only piece %d, which carries the end of member_db_export.sql and incident_memo.txt; serves it honestly", shared), 3},
		{localswarm.LiarConfig{Serve: localswarm.ServeWrongIndex},
			"claims every piece; answers a request for piece i with the bytes of piece i+1", 3},
		{localswarm.LiarConfig{Serve: localswarm.ServeSwitching},
			"claims every piece; serves real bytes and corrupt bytes by turns", 3},
		{localswarm.LiarConfig{Serve: localswarm.ServeHonest}, "holds and serves every piece honestly", 4},
	} {
		c.cfg.Data = edgeStream
		addr, err := b.crafted(edgeInfo, c.cfg)
		if err != nil {
			return err
		}
		b.sw.AddInfohash(edgeIH, addr)
		b.host(addr, edgeIH, edgeDesc, c.behaviour, c.level)
	}
	b.sw.AddInfohash(edgeIH, b.meta.Addr())
	b.host(b.meta.Addr(), edgeIH, edgeDesc, "serves the torrent's metadata only and claims no piece", 2)
	return nil
}

// alikeNames adds a torrent of two files that display alike.
func (b *builder) alikeNames() error {
	// Two files that display alike ("a/b" inside one path component
	// shows as "a_b"): a decoy of the roster's size first, the roster
	// second. A peer holds only the decoy.
	roster := b.docs["staff_roster.tsv"]
	decoy := random(3, len(roster))
	alikeInfo, alikeStream, err := localswarm.BuildV1("share", 16<<10, [][]string{{"a/b", "staff_roster.tsv"}, {"a_b", "staff_roster.tsv"}},
		[][]byte{decoy, roster})
	if err != nil {
		return err
	}
	alikeIH := b.meta.Add(alikeInfo)
	const alikeDesc = "v1 torrent of two files that display as a_b/staff_roster.tsv: a decoy, then the roster"
	b.torrent(alikeIH, alikeDesc, fingerprint.VerdictProven)
	var decoyPieces []int
	for i := 0; i < len(decoy)/(16<<10); i++ {
		decoyPieces = append(decoyPieces, i)
	}
	decoyPeer, err := b.crafted(alikeInfo, localswarm.LiarConfig{Claims: decoyPieces, Serve: localswarm.ServeHonest, Data: alikeStream})
	if err != nil {
		return err
	}
	b.sw.AddInfohash(alikeIH, decoyPeer, b.meta.Addr())
	b.host(decoyPeer, alikeIH, alikeDesc, "holds only the decoy file's pieces (none of the document); serves them honestly", 2)
	b.host(b.meta.Addr(), alikeIH, alikeDesc, "serves the torrent's metadata only and claims no piece", 2)
	return nil
}

// changedEnd adds a torrent equal to a document but for its last bytes.
func (b *builder) changedEnd() error {
	roster := b.docs["staff_roster.tsv"]
	// A torrent equal to the roster in every piece the matcher can
	// check, but with other bytes at its end, in a piece shared with the
	// next file. A peer holds only that piece.
	changed := bytes.Clone(roster)
	copy(changed[len(changed)-5:], "XXXXX")
	diffInfo, diffStream, err := localswarm.BuildV1("roster_copy", 16<<10, [][]string{{"staff_roster.tsv"}, {"readme.txt"}},
		[][]byte{changed, []byte("copied from the staff share\n")})
	if err != nil {
		return err
	}
	diffIH := b.meta.Add(diffInfo)
	const diffDesc = "v1 torrent of staff_roster.tsv whose last 5 bytes differ, followed by a readme (16 KiB pieces)"
	b.torrent(diffIH, diffDesc, fingerprint.VerdictProven)
	lastPiece := (len(changed) - 1) / (16 << 10)
	diffPeer, err := b.crafted(diffInfo, localswarm.LiarConfig{Claims: []int{lastPiece}, Serve: localswarm.ServeHonest, Data: diffStream})
	if err != nil {
		return err
	}
	b.sw.AddInfohash(diffIH, diffPeer, b.meta.Addr())
	b.host(diffPeer, diffIH, diffDesc, fmt.Sprintf("holds only piece %d, whose bytes match the torrent's hash but differ from the roster; serves it honestly", lastPiece), 3)
	b.host(b.meta.Addr(), diffIH, diffDesc, "serves the torrent's metadata only and claims no piece", 2)
	return nil
}

// craftedHybrid adds a hybrid torrent whose v1 and v2 halves disagree.
func (b *builder) craftedHybrid() error {
	roster := b.docs["staff_roster.tsv"]
	// A crafted hybrid: its v2 pieces root is the roster's, its v1
	// pieces describe other bytes, which a peer serves honestly.
	other := random(4, len(roster))
	ht, err := localswarm.BuildHybrid("staff_roster", []localswarm.File{{Path: "staff_roster.tsv", Data: other, V2Data: roster},
		{Path: "z.txt", Data: []byte("padding note\n")}}, 16<<10)
	if err != nil {
		return err
	}
	htIH := b.meta.Add(ht.InfoBytes)
	const htDesc = "crafted hybrid torrent: v2 root of staff_roster.tsv, v1 pieces of other bytes"
	b.torrent(htIH, htDesc, fingerprint.VerdictInconsistent)
	pad := (16<<10 - len(other)%(16<<10)) % (16 << 10) // v1 order: the roster, a pad file, the note
	htStream := append(append(bytes.Clone(other), make([]byte, pad)...), "padding note\n"...)
	htPeer, err := b.crafted(ht.InfoBytes, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: htStream})
	if err != nil {
		return err
	}
	b.sw.AddInfohash(htIH, htPeer, b.meta.Addr())
	b.host(htPeer, htIH, htDesc, "serves the v1 bytes (not the document) honestly", None)
	return nil
}

// magnetDecoy adds a page whose magnet pairs a document's sha1 with the
// infohash of other bytes.
func (b *builder) magnetDecoy() error {
	// A web page with a magnet whose sha1 is the tuition file's, beside
	// the infohash of a torrent of other bytes under the same name, which
	// an honest seeder serves.
	x, err := b.sw.AddSeeder(b.ctx, localswarm.SeederConfig{Name: "tuition_fees_2026.csv", PieceLength: 16 << 10,
		Files: []localswarm.File{{Data: random(5, len(b.docs["tuition_fees_2026.csv"]))}}, AnnounceDHT: b.boot})
	if err != nil {
		return fmt.Errorf("seeder of other bytes: %w", err)
	}
	b.closers = append(b.closers, x.Close)
	tSHA1 := sha1.Sum(b.docs["tuition_fees_2026.csv"])
	magnet := fmt.Sprintf("magnet:?xt=urn:btih:%x&xt=urn:sha1:%s&dn=tuition_fees_2026.csv", x.InfoHash,
		base32.StdEncoding.EncodeToString(tSHA1[:]))
	b.Links[magnet] = "tuition_fees_2026.csv"
	const xDesc = "v1 torrent named tuition_fees_2026.csv holding other bytes, whose infohash a web page's magnet carries beside the real file's sha1"
	b.torrent(x.InfoHash, xDesc, "")
	b.host(x.Addr, x.InfoHash, xDesc, "honest seeder of the other bytes", None)
	page, closePage, err := servePage(magnet)
	if err != nil {
		return err
	}
	b.closers = append(b.closers, closePage)
	b.Page = page
	return nil
}

// servePage serves an index page listing link on 127.0.0.1.
func servePage(link string) (string, func(), error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	body := fmt.Sprintf("<html><body><h1>files</h1><a href=%q>tuition_fees_2026.csv</a> 346,590 bytes</body></html>", link)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { srv.Close() }, nil
}

// closedPort returns a loopback address with nothing listening on it.
func closedPort() (netip.AddrPort, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap := l.Addr().(*net.TCPAddr).AddrPort()
	return ap, l.Close()
}

// Result is what a hunt recorded for one host.
type Result struct {
	Host
	// Obtained is the best level recorded for the host and torrent, or
	// None.
	Obtained evidence.Level
}

// Pass reports whether the recorded level is the expected one.
func (r Result) Pass() bool { return r.Obtained == r.Expected }

// TorrentResult is the verdict matching reached on one torrent.
type TorrentResult struct {
	Torrent
	Obtained string
	// Watched says whether the torrent was put on the watchlist (its peers
	// probed): only proven torrents may be.
	Watched bool
}

// Pass reports whether the verdict is the expected one, and only proven
// torrents were watched.
func (r TorrentResult) Pass() bool {
	return r.Obtained == r.Verdict && r.Watched == (r.Verdict == fingerprint.VerdictProven)
}

// LinkResult says what matching concluded about one link of the page.
type LinkResult struct {
	Link, Document string
	// Proven is whether the link was proven to name the document by its
	// own content hash; InfoHash is the infohash such a match named ("" is
	// right: a content hash proves nothing about the infohash beside it).
	Proven   bool
	InfoHash fingerprint.InfoHash
}

// Pass reports whether the link was proven and named no infohash.
func (r LinkResult) Pass() bool { return r.Proven && r.InfoHash.IsZero() }

// Check reads what the store holds: one result per host, torrent and link.
func (sc *Scenario) Check(st *store.Store) (hosts []Result, torrents []TorrentResult, links []LinkResult, err error) {
	watched := map[fingerprint.InfoHash]bool{}
	wl, err := st.Watchlist()
	if err != nil {
		return nil, nil, nil, err
	}
	for _, w := range wl {
		watched[w.InfoHash] = true
	}
	levels := map[fingerprint.InfoHash]map[netip.AddrPort]evidence.Level{}
	for _, h := range sc.Hosts {
		if levels[h.InfoHash] != nil {
			continue
		}
		peers, err := st.PeersOf(h.InfoHash)
		if err != nil {
			return nil, nil, nil, err
		}
		m := map[netip.AddrPort]evidence.Level{}
		for _, p := range peers {
			if ip, err := netip.ParseAddr(p.IP); err == nil {
				m[netip.AddrPortFrom(ip, uint16(p.Port))] = p.Level
			}
		}
		levels[h.InfoHash] = m
	}
	for _, h := range sc.Hosts {
		lvl, ok := levels[h.InfoHash][h.Addr]
		if !ok {
			lvl = None
		}
		hosts = append(hosts, Result{Host: h, Obtained: lvl})
	}
	for _, t := range sc.Torrents {
		ms, err := st.MatchesFor(t.InfoHash)
		if err != nil {
			return nil, nil, nil, err
		}
		r := TorrentResult{Torrent: t, Watched: watched[t.InfoHash]}
		for _, m := range ms {
			switch {
			case m.ProvesTorrent():
				r.Obtained = fingerprint.VerdictProven
			case m.Verdict == fingerprint.VerdictInconsistent && r.Obtained == "":
				r.Obtained = fingerprint.VerdictInconsistent
			}
		}
		torrents = append(torrents, r)
	}
	all, err := st.Matches()
	if err != nil {
		return nil, nil, nil, err
	}
	links = make([]LinkResult, 0, len(sc.Links))
	for link, doc := range sc.Links {
		r := LinkResult{Link: link, Document: doc}
		for _, m := range all {
			if m.DocumentName == doc && m.Verdict == fingerprint.VerdictProven && (m.Method == fingerprint.MethodSHA1 ||
				m.Method == fingerprint.MethodED2K || m.Method == fingerprint.MethodTTH) {
				r.Proven, r.InfoHash = true, m.InfoHash
			}
		}
		links = append(links, r)
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Link < links[j].Link })
	return hosts, torrents, links, nil
}

// ErrWrong is returned by [Scenario.Progress] once a result is wrong in a
// way no later observation can mend: a host above its level.
var ErrWrong = errors.New("a host was graded above what it can prove")

// Progress says whether a hunt is complete: every host reached its
// expected level and every torrent and link its verdict. A host above its
// level makes it return [ErrWrong] at once.
func (sc *Scenario) Progress(st *store.Store) (done bool, err error) {
	hosts, torrents, links, err := sc.Check(st)
	if err != nil {
		return false, err
	}
	done = true
	for _, h := range hosts {
		if h.Obtained > h.Expected {
			return false, fmt.Errorf("%w: %s for %s: L%d, expected %s", ErrWrong, h.Addr, h.InfoHash, h.Obtained, LevelName(h.Expected))
		}
		done = done && h.Obtained == h.Expected
	}
	for _, t := range torrents {
		done = done && t.Pass()
	}
	for _, l := range links {
		done = done && l.Pass()
	}
	return done, nil
}

// LevelName is "L0".."L5", or "none".
func LevelName(l evidence.Level) string {
	if l == None {
		return "none"
	}
	return l.String()
}
