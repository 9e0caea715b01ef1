package interop

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

func TestUntil(t *testing.T) {
	var n atomic.Int32
	if !Within(5*time.Second, func() bool { return n.Add(1) >= 3 }) || n.Load() != 3 {
		t.Errorf("Within returned before the condition held, or asked %d times", n.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Until(ctx, func() bool { return false }) {
		t.Error("Until reported a condition that never held")
	}
}

// TestStartLibtorrentSeeder: the seeder 'leakhunt validate' starts, without
// a test, writes the torrent libtorrent made, accepts connections, and
// stops with its context.
func TestStartLibtorrentSeeder(t *testing.T) {
	NeedLibtorrent(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "doc.bin")
	if err := os.WriteFile(file, make([]byte, 100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "doc.torrent")
	if _, _, err := StartLibtorrentSeeder(context.Background(), file, out, 16<<10, "v1", "192.0.2.1"); err == nil {
		t.Error("a seeder on a non-loopback address was started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	port, stop, err := StartLibtorrentSeeder(ctx, file, out, 16<<10, "hybrid", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	mi, err := metainfo.LoadFromFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := mi.UnmarshalInfo(); err != nil || info.PieceLength != 16<<10 || !info.HasV2() {
		t.Errorf("torrent %+v (%v): want a hybrid torrent with 16 KiB pieces", info, err)
	}
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("seeder at %s: %v", addr, err)
	}
	c.Close()
	cancel()
	if !Within(10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	}) {
		t.Error("the seeder still accepts connections after its context ended")
	}
}
