package localswarm

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	pp "github.com/anacrolix/torrent/peer_protocol"
)

func TestLiarClaimsAllAndServesGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leak.bin")
	data := bytes.Repeat([]byte("leaked document "), 4096) // 64 KiB
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 16 << 10}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	infoBytes := bencode.MustMarshal(info)
	ih := metainfo.HashBytes(infoBytes)
	for _, tc := range []struct {
		name     string
		fast     bool
		bitfield bool
		want     pp.MessageType
	}{
		{"fast peer gets HaveAll", true, false, pp.HaveAll},
		{"plain peer gets a bitfield", false, false, pp.Bitfield},
		{"bitfield forced", true, true, pp.Bitfield},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			addr, stop, err := StartLiar(ctx, infoBytes, LiarConfig{Bitfield: tc.bitfield})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			ext := pp.NewPeerExtensionBytes()
			if tc.fast {
				ext.SetBit(pp.ExtensionBitFast, true)
			}
			hs := append(append(append([]byte(pp.Protocol), ext[:]...), ih[:]...), "-TT0001-abcdefghijkl"...)
			c.Write(hs)
			var theirs [68]byte
			if _, err := io.ReadFull(c, theirs[:]); err != nil || !bytes.Equal(theirs[28:48], ih[:]) {
				t.Fatalf("handshake %x: %v", theirs, err)
			}
			dec := pp.Decoder{R: bufio.NewReader(c), MaxLength: 1 << 20}
			var m pp.Message
			if err := dec.Decode(&m); err != nil || m.Type != tc.want {
				t.Fatalf("first message %v (%v), want %v", m.Type, err, tc.want)
			}
			if m.Type == pp.Bitfield {
				for i := range 4 {
					if !m.Bitfield[i] {
						t.Errorf("piece %d not claimed", i)
					}
				}
			}
			c.Write(pp.Message{Type: pp.Request, Index: 1, Begin: 0, Length: 16 << 10}.MustMarshalBinary())
			for {
				m = pp.Message{}
				if err := dec.Decode(&m); err != nil {
					t.Fatal(err)
				}
				if m.Type == pp.Piece {
					break
				}
			}
			if m.Index != 1 || len(m.Piece) != 16<<10 || bytes.Equal(m.Piece, data[16<<10:32<<10]) {
				t.Errorf("piece %d of %d bytes: want 16 KiB of wrong data", m.Index, len(m.Piece))
			}
		})
	}
	if _, _, err := StartLiar(context.Background(), []byte("d4:infoi1ee"), LiarConfig{}); err == nil {
		t.Error("liar accepted an info without pieces")
	}
	if _, _, err := StartLiar(context.Background(), infoBytes, LiarConfig{Host: "192.0.2.1"}); err == nil {
		t.Error("liar accepted a non-loopback host")
	}
}
