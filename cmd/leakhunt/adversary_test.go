package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
)

// The adversarial suite: crafted but valid torrents, links, paths and
// peers, each run through the CLI alone (catalog add, match --json, watch
// --allow-local on a .torrent whose tracker lists the peers, peers --json),
// each asserting that no host is graded L4 for a document it did not
// serve; honest seeders (anacrolix, libtorrent v1 and hybrid) are the
// controls that still reach L4.

type advCase struct {
	t       *testing.T
	db      string
	doc     []byte
	docPath string
	tracker *localswarm.Tracker
	dir     string
}

func advRandom(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func newAdvCase(t *testing.T) *advCase {
	t.Helper()
	dir := t.TempDir()
	a := &advCase{t: t, db: filepath.Join(dir, "case.db"), doc: advRandom(100_000, 42), dir: dir}
	a.docPath = filepath.Join(dir, "leak.csv")
	if err := os.WriteFile(a.docPath, a.doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cli(t, "catalog", "add", "--db", a.db, a.docPath); code != 0 {
		t.Fatalf("catalog add: exit %d: %s", code, errOut)
	}
	tr, err := localswarm.StartTracker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	a.tracker = tr
	return a
}

// torrentFile writes a .torrent of info announcing to the test tracker.
func (a *advCase) torrentFile(name string, info []byte) string {
	a.t.Helper()
	mi := metainfo.MetaInfo{InfoBytes: info, Announce: a.tracker.URL()}
	p := filepath.Join(a.dir, name+".torrent")
	b, err := bencode.Marshal(mi)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		a.t.Fatal(err)
	}
	return p
}

// watch runs one harvest-and-probe round on a torrent file, on loopback,
// with no DHT: the tracker lists the peers.
func (a *advCase) watch(torrent string, extra ...string) string {
	a.t.Helper()
	args := append([]string{"watch", "--db", a.db, "--allow-local", "--dht=false", "--rounds", "1", "--claim-wait", "1s"}, extra...)
	out, errOut, code := cli(a.t, append(args, torrent)...)
	if code != 0 {
		a.t.Fatalf("watch: exit %d: %s%s", code, out, errOut)
	}
	return out + errOut
}

// peers returns the best level of each host for each infohash (peers
// --json --min-level L1), and the rows.
func (a *advCase) peers() map[string]peerRow {
	a.t.Helper()
	out, errOut, code := cli(a.t, "peers", "--db", a.db, "--json", "--min-level", "L1")
	if code != 0 {
		a.t.Fatalf("peers: exit %d: %s", code, errOut)
	}
	rows := map[string]peerRow{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var r peerRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			a.t.Fatalf("peers --json: %q: %v", l, err)
		}
		rows[netip.AddrPortFrom(netip.MustParseAddr(r.IP), uint16(r.Port)).String()+"/"+r.InfoHash.String()] = r
	}
	return rows
}

// level is a host's level for a torrent in `peers`, "none" if absent.
func (a *advCase) level(addr netip.AddrPort, ih [20]byte) string {
	r, ok := a.peers()[addr.String()+"/"+hex.EncodeToString(ih[:])]
	if !ok {
		return "none"
	}
	return r.Level
}

// crafted starts a crafted peer of info and lists it on the tracker.
func (a *advCase) crafted(info []byte, cfg localswarm.LiarConfig) netip.AddrPort {
	a.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err := localswarm.StartLiar(ctx, info, cfg)
	if err != nil {
		cancel()
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { stop(); cancel() })
	a.tracker.Add(sha1.Sum(info), addr)
	return addr
}

// v1Torrent is localswarm.BuildV1 for a test.
func v1Torrent(t *testing.T, pieceLength int, paths [][]string, data [][]byte) (info, stream []byte) {
	t.Helper()
	info, stream, err := localswarm.BuildV1("leak", pieceLength, paths, data)
	if err != nil {
		t.Fatal(err)
	}
	return info, stream
}

func matchJSON(t *testing.T, db string, input string) ([]map[string]any, int) {
	t.Helper()
	out, errOut, code := cli(t, "match", "--db", db, "--json", input)
	if code == 2 {
		t.Fatalf("match %s: exit 2: %s", input, errOut)
	}
	var ms []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("match --json: %q", l)
		}
		ms = append(ms, m)
	}
	return ms, code
}

func TestAdversarialTorrentsAndPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs crafted peers through the CLI (about 15 s)")
	}
	const P = 16 << 10

	t.Run("link hash beside an unrelated infohash", func(t *testing.T) {
		a := newAdvCase(t)
		other := advRandom(len(a.doc), 7) // X: leak.csv of other bytes
		info, stream := v1Torrent(t, P, [][]string{{"leak.csv"}}, [][]byte{other})
		x := sha1.Sum(info)
		docSHA1 := sha1.Sum(a.doc)
		magnet := fmt.Sprintf("magnet:?xt=urn:btih:%x&xt=urn:sha1:%s&dn=leak.csv", x, base32.StdEncoding.EncodeToString(docSHA1[:]))
		ms, code := matchJSON(t, a.db, magnet)
		if code != 0 || len(ms) != 1 || ms[0]["method"] != "sha1" || ms[0]["infohash"] != "" {
			t.Fatalf("match of the magnet: exit %d %v; want the link proven by sha1 and no infohash", code, ms)
		}
		// The link hash made nothing of X: a bare magnet of X is no match.
		if ms, code := matchJSON(t, a.db, fmt.Sprintf("magnet:?xt=urn:btih:%x", x)); code != 1 || len(ms) != 0 {
			t.Fatalf("bare magnet of X: exit %d %v", code, ms)
		}
		// Nor with another size.
		if ms, _ := matchJSON(t, a.db, magnet+"&xl=99999"); len(ms) != 0 {
			t.Fatalf("link of another size matched: %v", ms)
		}
		// A peer serving X's bytes honestly is never probed for the document.
		seeder := a.crafted(info, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: stream})
		out := a.watch(a.torrentFile("x", info))
		if lvl := a.level(seeder, x); lvl != "L1" {
			t.Errorf("seeder of X at %s, want L1 (listed by the tracker, not probed):\n%s", lvl, out)
		}
		if r := a.peers()[seeder.String()+"/"+hex.EncodeToString(x[:])]; r.Document != "" {
			t.Errorf("listing of X names document %s", r.Document)
		}
	})

	t.Run("hybrid proven by v2, other bytes on v1", func(t *testing.T) {
		a := newAdvCase(t)
		other := advRandom(len(a.doc), 8)
		ht, err := localswarm.BuildHybrid("leak", []localswarm.File{{Path: "notes.txt", Data: []byte("notes\n")},
			{Path: "leak.csv", Data: other, V2Data: a.doc}}, P)
		if err != nil {
			t.Fatal(err)
		}
		p := a.torrentFile("hybrid", ht.InfoBytes)
		ms, code := matchJSON(t, a.db, p)
		if code != 1 || len(ms) != 1 || ms[0]["verdict"] != "inconsistent" {
			t.Fatalf("match: exit %d %v; want one inconsistent match and exit 1", code, ms)
		}
		// v1 order (sorted by path): leak.csv, a pad file, notes.txt.
		stream := append(append(append([]byte(nil), other...), make([]byte, 7*P-len(other))...), "notes\n"...)
		peer := a.crafted(ht.InfoBytes, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: stream})
		out := a.watch(p)
		if lvl := a.level(peer, ht.InfoHash); lvl != "L1" && lvl != "none" {
			t.Errorf("peer serving the v1 bytes at %s, want at most L1:\n%s", lvl, out)
		}
	})

	t.Run("files that display alike; edge piece; wrong index; switching", func(t *testing.T) {
		a := newAdvCase(t)
		decoy := advRandom(len(a.doc), 9)
		// a/b|leak.csv (one component holding "/") displays as a_b/leak.csv,
		// like the document's own path; it comes first, with other bytes.
		info, stream := v1Torrent(t, P, [][]string{{"a/b", "leak.csv"}, {"a_b", "leak.csv"}, {"z.bin"}},
			[][]byte{decoy, a.doc, advRandom(5000, 10)})
		ih := sha1.Sum(info)
		p := a.torrentFile("alike", info)
		ms, code := matchJSON(t, a.db, p)
		if code != 0 || len(ms) != 1 || ms[0]["file_index"] != float64(1) {
			t.Fatalf("match: exit %d %v; want file 1 proven", code, ms)
		}
		docFirst := len(decoy) / P
		docLast := (len(decoy) + len(a.doc) - 1) / P
		var decoyPieces []int
		for i := 0; i < docFirst; i++ {
			decoyPieces = append(decoyPieces, i)
		}
		decoyPeer := a.crafted(info, localswarm.LiarConfig{Claims: decoyPieces, Serve: localswarm.ServeHonest, Data: stream})
		edgePeer := a.crafted(info, localswarm.LiarConfig{Claims: []int{docFirst}, Serve: localswarm.ServeHonest, Data: stream})
		wrongIndex := a.crafted(info, localswarm.LiarConfig{Serve: localswarm.ServeWrongIndex, Data: stream})
		switching := a.crafted(info, localswarm.LiarConfig{Serve: localswarm.ServeSwitching, Data: stream})
		honest := a.crafted(info, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: stream})
		out := a.watch(p)
		rows := a.peers()
		for _, c := range []struct {
			name string
			addr netip.AddrPort
			want string
		}{
			{"peer holding only the decoy file", decoyPeer, "L2"},
			{fmt.Sprintf("peer holding only edge piece %d (%d bytes of the document)", docFirst, P-len(decoy)%P), edgePeer, "L3"},
			{"peer serving the right bytes for the wrong index", wrongIndex, "L3"},
			{"peer switching content between requests", switching, "L3"},
			{"honest peer (control)", honest, "L4"},
		} {
			r := rows[c.addr.String()+"/"+hex.EncodeToString(ih[:])]
			if r.Level != c.want {
				t.Errorf("%s: %s, want %s (verified %v failed %v)\n%s", c.name, r.Level, c.want, r.PiecesVerified, r.PiecesFailed, out)
			}
			for _, v := range r.PiecesVerified {
				if v < docFirst || v > docLast {
					t.Errorf("%s: verified piece %d outside the document's pieces %d-%d", c.name, v, docFirst, docLast)
				}
			}
		}
	})

	t.Run("address allowed once is not dialled later", func(t *testing.T) {
		a := newAdvCase(t)
		info, stream := v1Torrent(t, P, [][]string{{"leak.csv"}}, [][]byte{a.doc})
		ih := sha1.Sum(info)
		p := a.torrentFile("leak", info)
		honest := a.crafted(info, localswarm.LiarConfig{Serve: localswarm.ServeHonest, Data: stream})
		a.watch(p)
		before := a.peers()[honest.String()+"/"+hex.EncodeToString(ih[:])]
		if before.Level != "L4" {
			t.Fatalf("honest loopback peer at %s with --allow-local", before.Level)
		}
		// Without --allow-local: the loopback tracker and the known
		// loopback peer are refused, and nothing new is recorded.
		out, errOut, code := cli(t, "watch", "--db", a.db, "--dht=false", "--rounds", "1", p)
		if code != 0 {
			t.Fatalf("watch without --allow-local: exit %d %s", code, errOut)
		}
		after := a.peers()[honest.String()+"/"+hex.EncodeToString(ih[:])]
		if after.Observations != before.Observations {
			t.Errorf("the loopback peer was recorded again without --allow-local (%d → %d observations):\n%s%s",
				before.Observations, after.Observations, out, errOut)
		}
	})

	t.Run("honest libtorrent seeders (control)", func(t *testing.T) {
		interop.NeedLibtorrent(t)
		a := newAdvCase(t)
		for _, mode := range []string{"v1", "hybrid"} {
			tp := filepath.Join(a.dir, mode+".torrent")
			port := interop.SeedLibtorrent(t, a.docPath, tp, P, mode, "127.0.0.1")
			mi, err := metainfo.LoadFromFile(tp)
			if err != nil {
				t.Fatal(err)
			}
			addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
			a.tracker.Add(mi.HashInfoBytes(), addr)
			mi.Announce = a.tracker.URL()
			var buf bytes.Buffer
			if err := mi.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tp, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			var lvl string
			for { // libtorrent may refuse the first handshake right after it starts seeding
				a.watch(tp)
				if lvl = a.level(addr, mi.HashInfoBytes()); lvl == "L4" || time.Now().After(deadline) {
					break
				}
			}
			if lvl != "L4" {
				t.Errorf("libtorrent %s seeder at %s, want L4", mode, lvl)
			}
		}
	})
}
