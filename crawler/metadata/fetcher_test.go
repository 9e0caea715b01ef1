package metadata_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/internal/peerdial"
)

func testConfig() metadata.Config {
	cfg := metadata.DefaultConfig()
	cfg.PeerTimeout = 2 * time.Second
	cfg.IdleTimeout = time.Second
	cfg.Timeout = 10 * time.Second
	cfg.AllowLoopback = true
	return cfg
}

func TestFetchFromMetadataServer(t *testing.T) {
	ms, err := localswarm.StartMetadataServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	f := metadata.New(testConfig())
	for _, size := range []int64{1, 16 << 10, 20 << 20, 100 << 20} { // 1 to 8 metadata pieces
		info := localswarm.SampleInfo("file.bin", size)
		ih := ms.Add(info)
		got, err := f.Fetch(context.Background(), ih, []netip.AddrPort{ms.Addr()})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got, info) {
			t.Fatalf("size %d: got %d bytes, want the %d served", size, len(got), len(info))
		}
	}
}

// startSwarm starts a small local swarm for one test, and a context that
// bounds the test.
func startSwarm(t *testing.T) (context.Context, *localswarm.Swarm) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sw.Close)
	return ctx, sw
}

func TestFetchFromAnacrolixSeeder(t *testing.T) {
	ctx, sw := startSwarm(t)
	cases := []localswarm.SeederConfig{
		{Name: "single.txt", Files: []localswarm.File{{Data: bytes.Repeat([]byte("leak "), 50_000)}}, PieceLength: 16 << 10},
		{Name: "dir", Files: []localswarm.File{{Path: "a.txt", Data: []byte("hello")}, {Path: "sub/b.bin", Data: bytes.Repeat([]byte{7}, 100_000)}}, PieceLength: 32 << 10},
	}
	f := metadata.New(testConfig())
	for _, c := range cases {
		s, err := sw.AddSeeder(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Fetch(ctx, s.InfoHash, []netip.AddrPort{s.Addr})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if sha1.Sum(got) != s.InfoHash || !bytes.Equal(got, s.InfoBytes) {
			t.Fatalf("%s: metadata differs from the seeded torrent", c.Name)
		}
	}
}

func TestHostilePeers(t *testing.T) {
	want := map[localswarm.HostileKind]error{
		localswarm.HostileDeepNesting:      metadata.ErrBadSize,
		localswarm.HostileDeepNestingSmall: metadata.ErrBadBencode,
		localswarm.HostileHugeInteger:      metadata.ErrBadBencode,
		localswarm.HostileHugeSize:         metadata.ErrBadSize,
		localswarm.HostileNegativeSize:     metadata.ErrBadSize,
		localswarm.HostileSizeMismatch:     metadata.ErrBadSize,
		localswarm.HostileWrongBytes:       metadata.ErrHashMismatch,
		localswarm.HostileSlowDrip:         metadata.ErrTimeout,
		localswarm.HostileHugeMessage:      metadata.ErrProtocol,
		localswarm.HostileNoMetadata:       metadata.ErrNoMetadataSupport,
		localswarm.HostileReject:           metadata.ErrRejected,
	}
	f := metadata.New(testConfig())
	for _, kind := range localswarm.HostileKinds() {
		t.Run(kind.String(), func(t *testing.T) {
			h, err := localswarm.StartHostile(kind)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = f.Fetch(context.Background(), h.InfoHash(), []netip.AddrPort{h.Addr()})
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("fetch from a hostile peer succeeded")
			}
			if !errors.Is(err, want[kind]) {
				t.Fatalf("error %q (kind %s), want %v", err, metadata.Kind(err), want[kind])
			}
			var fe *metadata.FetchError
			if !errors.As(err, &fe) || len(fe.Peers) != 1 || fe.Peers[0].Peer != h.Addr() {
				t.Fatalf("error %#v does not name the peer", err)
			}
			// Both sides of the exchange run in this process; anacrolix's
			// decoder needs gigabytes for the huge integer.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 48<<20 {
				t.Errorf("allocated %d MiB for one hostile fetch", alloc>>20)
			}
			t.Logf("%s: %v", metadata.Kind(err), err)
		})
	}
}

func TestFirstValidPeerWins(t *testing.T) {
	h, err := localswarm.StartHostile(localswarm.HostileSlowDrip)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ms, err := localswarm.StartMetadataServer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	info := localswarm.SampleInfo("hostile.bin", 1<<20) // what the drip peer serves
	ih := ms.Add(info)
	if ih != h.InfoHash() {
		t.Fatal("test setup: infohashes differ")
	}
	got, err := metadata.New(testConfig()).Fetch(context.Background(), ih, []netip.AddrPort{h.Addr(), ms.Addr()})
	if err != nil || !bytes.Equal(got, info) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
}

func TestFetchErrors(t *testing.T) {
	f := metadata.New(testConfig())
	ctx := context.Background()
	var ih [20]byte
	_, err := f.Fetch(ctx, ih, nil)
	if !errors.Is(err, metadata.ErrNoPeers) || metadata.Kind(err) != "no_peers" {
		t.Errorf("no peers: %v", err)
	}
	// A closed port on loopback.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	_, err = f.Fetch(ctx, ih, []netip.AddrPort{addr})
	if !errors.Is(err, metadata.ErrDial) {
		t.Errorf("closed port: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = f.Fetch(cctx, ih, []netip.AddrPort{addr})
	if metadata.Kind(err) != "canceled" {
		t.Errorf("canceled: %v (%s)", err, metadata.Kind(err))
	}
}

// TestNeverServes plays a leecher that asks us for metadata and checks
// everything the fetcher sends.
func TestNeverServes(t *testing.T) {
	info := localswarm.SampleInfo("x", 1000)
	ih := sha1.Sum(info)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sent := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			sent <- nil
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		var hs [68]byte
		if _, err := io.ReadFull(c, hs[:]); err != nil {
			sent <- nil
			return
		}
		var rec bytes.Buffer
		rec.Write(hs[:])
		var out bytes.Buffer
		out.WriteString("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x04")
		out.Write(ih[:])
		out.WriteString("-XX0001-abcdefghijkl")
		msg := func(id byte, p string) {
			_ = binary.Write(&out, binary.BigEndian, uint32(1+len(p)))
			out.WriteByte(id)
			out.WriteString(p)
		}
		msg(5, "\xff")                                                               // bitfield
		msg(20, "\x00d1:md11:ut_metadatai7ee13:metadata_sizei"+itoa(len(info))+"ee") // ext handshake
		msg(20, "\x01d8:msg_typei0e5:piecei0ee")                                     // request to us
		c.Write(out.Bytes())
		// Serve the piece the fetcher requests, then record what it sent.
		r := bufio.NewReader(io.TeeReader(c, &rec))
		served := false
		for !served {
			var l uint32
			if binary.Read(r, binary.BigEndian, &l) != nil {
				break
			}
			b := make([]byte, l)
			if _, err := io.ReadFull(r, b); err != nil {
				break
			}
			if l > 2 && b[0] == 20 && b[1] == 7 && bytes.Contains(b, []byte("msg_typei0e")) {
				var d bytes.Buffer
				hdr := "d8:msg_typei1e5:piecei0e10:total_sizei" + itoa(len(info)) + "ee"
				_ = binary.Write(&d, binary.BigEndian, uint32(2+len(hdr)+len(info)))
				d.WriteString("\x14\x01" + hdr)
				d.Write(info)
				c.Write(d.Bytes())
				served = true
			}
		}
		// Give the fetcher time to answer our request, then collect.
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = io.Copy(io.Discard, r)
		sent <- rec.Bytes()
	}()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	got, err := metadata.New(testConfig()).Fetch(context.Background(), ih, []netip.AddrPort{addr})
	if err != nil || !bytes.Equal(got, info) {
		t.Fatalf("fetch: %v", err)
	}
	rec := <-sent
	if len(rec) < 68 {
		t.Fatal("recorded nothing")
	}
	rest := rec[68:]
	var types []string
	for len(rest) >= 4 {
		l := binary.BigEndian.Uint32(rest)
		if int(l) > len(rest)-4 {
			break
		}
		m := rest[4 : 4+l]
		rest = rest[4+l:]
		if l == 0 {
			continue
		}
		if m[0] != 20 {
			t.Errorf("fetcher sent message type %d", m[0])
			continue
		}
		switch {
		case m[1] == 0:
			types = append(types, "handshake")
			if bytes.Contains(m, []byte("metadata_size")) {
				t.Error("our extension handshake offers metadata")
			}
		case bytes.Contains(m, []byte("msg_typei0e")):
			types = append(types, "request")
		case bytes.Contains(m, []byte("msg_typei2e")):
			types = append(types, "reject")
		default:
			t.Errorf("fetcher sent extension message %q", m)
		}
	}
	if len(types) < 2 || types[0] != "handshake" {
		t.Errorf("fetcher sent %v", types)
	}
	t.Logf("fetcher sent %v", types)
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestFetchEncrypted fetches from seeders that accept only MSE/PE, over TCP
// and over uTP: the plaintext handshake is answered with the seeder's key,
// and the fetcher tries again encrypted.
func TestFetchEncrypted(t *testing.T) {
	ctx, sw := startSwarm(t)
	s, err := sw.AddSeeder(ctx, localswarm.SeederConfig{Name: "enc.bin", UTP: true, RequireEncryption: true,
		Files: []localswarm.File{{Data: bytes.Repeat([]byte("secret "), 30_000)}}, PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{"tcp", "utp"} {
		cfg := testConfig()
		cfg.Transports = []string{transport}
		got, err := metadata.New(cfg).Fetch(ctx, s.InfoHash, []netip.AddrPort{s.Addr})
		if err != nil || !bytes.Equal(got, s.InfoBytes) {
			t.Fatalf("%s: %v", transport, err)
		}
		cfg.Encryption = peerdial.EncryptNever
		if _, err := metadata.New(cfg).Fetch(ctx, s.InfoHash, []netip.AddrPort{s.Addr}); err == nil {
			t.Fatalf("%s: a plaintext-only fetch succeeded against a seeder requiring encryption: the test proves nothing", transport)
		}
	}
}
