package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
)

// TestMetadataOverUTP fetches metadata, as the hunt wires the fetcher,
// from a seeder that has TCP switched off: the dial falls back to uTP.
func TestMetadataOverUTP(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	if err := os.WriteFile(path, bytes.Repeat([]byte("utp only "), 20_000), 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 16 << 10}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	mi := &metainfo.MetaInfo{InfoBytes: bencode.MustMarshal(info)}
	cfg := torrent.NewDefaultClientConfig()
	cfg.ListenHost = func(string) string { return "127.0.0.1" }
	cfg.ListenPort = 0
	cfg.DisableTCP, cfg.DisableIPv6 = true, true
	cfg.NoDHT, cfg.DisableTrackers, cfg.NoDefaultPortForwarding = true, true, true
	cfg.DisableWebtorrent, cfg.DisableWebseeds, cfg.Seed = true, true, true
	cfg.DataDir = dir
	cfg.Slogger = slog.New(slog.DiscardHandler)
	cfg.Logger = alog.Default.WithFilterLevel(alog.Disabled)
	cl, err := torrent.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.AddTorrent(mi); err != nil {
		t.Fatal(err)
	}
	var addr netip.AddrPort
	for _, a := range cl.ListenAddrs() {
		if ua, ok := a.(*net.UDPAddr); ok {
			addr = ua.AddrPort()
		}
	}
	if !addr.IsValid() {
		t.Fatalf("seeder has no uTP listener: %v", cl.ListenAddrs())
	}
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		c.Close()
		t.Fatalf("the seeder accepts TCP on %s; the test needs a uTP-only peer", addr)
	}

	self := hunt.NewSelfSet()
	mcfg := metadata.DefaultConfig()
	mcfg.AllowLoopback = true
	mcfg.Dialer = hunt.PeerDialer(true, self)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := metadata.New(mcfg).Fetch(ctx, fingerprint.InfoHash(mi.HashInfoBytes()), []netip.AddrPort{addr})
	if err != nil {
		t.Fatalf("fetch over uTP: %v", err)
	}
	if !bytes.Equal(got, mi.InfoBytes) {
		t.Fatal("fetched metadata differs")
	}
	// Without the fallback, the same fetch fails.
	plain := metadata.DefaultConfig()
	plain.Timeout = 5 * time.Second
	plain.AllowLoopback = true
	plain.Transports = []string{"tcp"}
	if _, err := metadata.New(plain).Fetch(ctx, fingerprint.InfoHash(mi.HashInfoBytes()), []netip.AddrPort{addr}); err == nil {
		t.Fatal("a TCP-only fetch reached a uTP-only peer: the test proves nothing")
	}
}
