package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// fixture is a torrent of three files on disk whose middle file, doc.bin,
// plays the catalogued document.
type fixture struct {
	dir       string // data directory (parent of the torrent root)
	mi        *metainfo.MetaInfo
	info      metainfo.Info
	infoBytes []byte
	ih        [20]byte
	doc       []byte // the catalogued document's bytes
	target    Target
}

// newFixture writes files of the given sizes named a.bin, doc.bin, z.bin
// (a size of 0 omits the file) under a temporary directory and builds a v1
// torrent with the given piece length.
func newFixture(t testing.TB, pieceLen int64, before, doc, after int) fixture {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "leak")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(uint64(before), uint64(doc)))
	var docBytes []byte
	for _, f := range []struct {
		name string
		size int
	}{{"a.bin", before}, {"doc.bin", doc}, {"z.bin", after}} {
		if f.size == 0 {
			continue
		}
		b := make([]byte, f.size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if f.name == "doc.bin" {
			docBytes = b
		}
		if err := os.WriteFile(filepath.Join(root, f.name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	info := metainfo.Info{PieceLength: pieceLen}
	if err := info.BuildFromFilePath(root); err != nil {
		t.Fatal(err)
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := &metainfo.MetaInfo{InfoBytes: infoBytes}
	fx := fixture{dir: dir, mi: mi, info: info, infoBytes: infoBytes, ih: mi.HashInfoBytes(), doc: docBytes}
	fx.target = targetOf(t, infoBytes, "doc.bin", docBytes)
	return fx
}

// targetOf builds the probe target of the file at path in a v1 torrent
// ("" for a single-file torrent's file), as if the matcher had proven it to
// be doc.
func targetOf(t testing.TB, infoBytes []byte, path string, doc []byte) Target {
	t.Helper()
	tor, err := fingerprint.ParseInfo(infoBytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc)
	for fi, f := range tor.Files {
		if f.Path != path && !(path == "" && len(tor.Files) == 1) {
			continue
		}
		m := fingerprint.Match{InfoHash: tor.InfoHash, File: f.Path, FileIndex: fi, FileOffset: f.Offset, FileLength: f.Length,
			Document: hex.EncodeToString(sum[:]), Method: fingerprint.MethodV1Pieces, Verdict: fingerprint.VerdictProven}
		tg, _, err := NewTarget(tor, m, bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	t.Fatalf("%s not in torrent", path)
	return Target{}
}

// seederConfig is an anacrolix client config confined to loopback: no DHT,
// trackers, port forwarding, web seeds; silent.
func seederConfig(dir string) *torrent.ClientConfig {
	cfg := torrent.NewDefaultClientConfig()
	cfg.ListenHost = torrent.LoopbackListenHost
	cfg.ListenPort = 0
	cfg.NoDHT = true
	cfg.DisableTrackers = true
	cfg.NoDefaultPortForwarding = true
	cfg.DisableWebtorrent = true
	cfg.DisableWebseeds = true
	cfg.DisableAcceptRateLimiting = true
	cfg.Seed = true
	cfg.DataDir = dir
	cfg.Slogger = slog.New(slog.DiscardHandler)
	cfg.Logger = alog.Default.WithFilterLevel(alog.Disabled)
	cfg.ExtendedHandshakeClientVersion = "seeder-test/1.0"
	cfg.PeerID = "-GT0003-seedseedseed"
	return cfg
}

// startSeeder starts an anacrolix seeder of fx on loopback (TCP and uTP,
// IPv4 and IPv6) and waits until it has verified its data.
func startSeeder(t testing.TB, fx fixture) *torrent.Client {
	t.Helper()
	return startSeederWith(t, fx, seederConfig(fx.dir))
}

// startSeederWith is startSeeder with a client configuration.
func startSeederWith(t testing.TB, fx fixture, cfg *torrent.ClientConfig) *torrent.Client {
	t.Helper()
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	tor, err := cl.AddTorrent(fx.mi)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := tor.VerifyDataContext(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-tor.Complete().On():
	case <-ctx.Done():
		t.Fatal("seeder did not complete")
	}
	return cl
}

// seederAddr returns the seeder's listen address for a transport and family.
func seederAddr(t testing.TB, cl *torrent.Client, transport string, v6 bool) netip.AddrPort {
	t.Helper()
	for _, a := range cl.ListenAddrs() {
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil || ap.Addr().Is6() != v6 {
			continue
		}
		_, udp := a.(*net.UDPAddr)
		isUTP := udp || strings.HasPrefix(a.Network(), "udp") || strings.HasPrefix(a.Network(), "utp")
		if isUTP == (transport == TransportUTP) {
			return ap
		}
	}
	t.Skipf("seeder has no %s listener for v6=%v: %v", transport, v6, cl.ListenAddrs())
	return netip.AddrPort{}
}

// testConfig is a probe Config for loopback tests: short waits, no clock.
func testConfig() Config {
	cfg := DefaultConfig()
	// As DefaultConfig: in a loaded -race run an in-process seeder can
	// take tens of seconds to answer a request. No test waits for it.
	cfg.Timeout = 60 * time.Second
	cfg.DialTimeout = 5 * time.Second
	cfg.ClaimWait = 5 * time.Second
	cfg.Version = "test"
	cfg.AllowLoopback = true
	return cfg
}

// transcriptHash recomputes TranscriptSHA256 from a kept transcript after
// checking that it is a well-formed sequence of records.
func transcriptHash(b []byte) string {
	for rest := b; len(rest) > 0; {
		if len(rest) < 5 || !strings.ContainsRune("CRWPT", rune(rest[0])) {
			return "malformed"
		}
		n := int(rest[1])<<24 | int(rest[2])<<16 | int(rest[3])<<8 | int(rest[4])
		if len(rest) < 5+n {
			return "truncated"
		}
		rest = rest[5+n:]
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
