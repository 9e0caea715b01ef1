package evidence

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/internal/peerdial"
)

// fakePeer accepts one connection on 127.0.0.1, reads the prober's
// handshake and hands the connection to behave. It records the types of
// the messages the prober sends after its handshake.
type fakePeer struct {
	addr netip.AddrPort
	mu   sync.Mutex
	sent []pp.MessageType
	ours [68]byte
	done chan struct{} // closed once its connection has ended
}

func startFakePeer(t *testing.T, behave func(c net.Conn, fp *fakePeer)) *fakePeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fp := &fakePeer{addr: ln.Addr().(*net.TCPAddr).AddrPort(), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(fp.done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadFull(c, fp.ours[:]); err != nil {
			return
		}
		behave(c, fp)
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return fp
}

// ended waits until the fake peer's connection has ended, so that it has
// recorded everything the prober sent.
func (fp *fakePeer) ended(t *testing.T) {
	t.Helper()
	select {
	case <-fp.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the fake peer's connection did not end")
	}
}

// record reads the prober's messages until the connection ends, recording
// their types; it calls onMsg (if not nil) for each.
func (fp *fakePeer) record(c net.Conn, onMsg func(pp.Message)) {
	dec := pp.Decoder{R: bufio.NewReader(c), MaxLength: 1 << 20}
	for {
		var m pp.Message
		if err := dec.Decode(&m); err != nil {
			return
		}
		if m.Keepalive {
			continue
		}
		fp.mu.Lock()
		fp.sent = append(fp.sent, m.Type)
		fp.mu.Unlock()
		if onMsg != nil {
			onMsg(m)
		}
	}
}

func (fp *fakePeer) sentTypes() []pp.MessageType {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return append([]pp.MessageType(nil), fp.sent...)
}

func handshakeBytes(ih [20]byte, fast bool) []byte {
	ext := pp.NewPeerExtensionBytes(pp.ExtensionBitLtep)
	if fast {
		ext.SetBit(pp.ExtensionBitFast, true)
	}
	b := append([]byte(pp.Protocol), ext[:]...)
	b = append(b, ih[:]...)
	return append(b, "-XX0001-fakefakefake"...)
}

func msg(m pp.Message) []byte { return m.MustMarshalBinary() }

func frame(typ byte, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
	return append(append(b, typ), payload...)
}

// data returns the torrent's bytes (all files concatenated).
func (fx fixture) data(t *testing.T) []byte {
	var all []byte
	for _, f := range fx.info.UpvertedFiles() {
		b, err := os.ReadFile(filepath.Join(append([]string{fx.dir, fx.info.Name}, f.Path...)...))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestProbeHostilePeers(t *testing.T) {
	fx := newFixture(t, 16<<10, 0, 64<<10, 0) // 4 pieces, all the document
	nbf := (fx.target.NumPieces + 7) / 8
	data := fx.data(t)
	hs := handshakeBytes(fx.ih, true)
	for _, tc := range []struct {
		name       string
		behave     func(c net.Conn, fp *fakePeer)
		maxBytes   int64
		wantLevel  Level
		wantErr    error // nil: any error
		wantReason string
	}{
		{"not bittorrent", func(c net.Conn, _ *fakePeer) {
			c.Write([]byte(strings.Repeat("HTTP/1.1 400 Bad Request\r\n", 4)))
		}, 0, L1Announced, ErrProtocol, ReasonNotBitTorrent},
		{"wrong infohash", func(c net.Conn, _ *fakePeer) {
			c.Write(handshakeBytes([20]byte{1, 2, 3}, true))
		}, 0, L1Announced, ErrProtocol, ReasonWrongTorrent},
		{"closes mid handshake", func(c net.Conn, _ *fakePeer) {
			c.Write(hs[:30])
		}, 0, L1Announced, io.ErrUnexpectedEOF, ReasonClosed},
		{"huge length", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), 0x7f, 0xff, 0xff, 0xff, byte(pp.Piece)))
			fp.record(c, nil)
		}, 0, L2Connected, ErrProtocol, ReasonProtocol},
		{"bitfield too long", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), frame(byte(pp.Bitfield), make([]byte, nbf+5))...))
			fp.record(c, nil)
		}, 0, L2Connected, ErrProtocol, ReasonProtocol},
		{"bitfield spare bits", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), frame(byte(pp.Bitfield), []byte{0xff})...))
			fp.record(c, nil)
		}, 0, L2Connected, ErrProtocol, ReasonProtocol},
		{"have out of range", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), msg(pp.Message{Type: pp.Have, Index: 99})...))
			fp.record(c, nil)
		}, 0, L2Connected, ErrProtocol, ReasonProtocol},
		{"have wrong size", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), frame(byte(pp.Have), []byte{0, 0, 0, 0, 0, 0})...))
			fp.record(c, nil)
		}, 0, L2Connected, ErrProtocol, ReasonProtocol},
		{"garbage after handshake", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), []byte("\x00\x00\x00\x05\x63garbage-garbage-garbage")...))
			fp.record(c, nil)
		}, 0, L2Connected, nil, ReasonProtocol},
		{"huge extended message", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), frame(byte(pp.Extended), make([]byte, 100<<10))...))
			fp.record(c, nil)
		}, 0, L2Connected, ErrProtocol, ReasonProtocol},
		{"byte limit", func(c net.Conn, fp *fakePeer) {
			c.Write(hs)
			ext := frame(byte(pp.Extended), append([]byte{0}, strings.Repeat("x", 60<<10)...))
			for range 10 {
				if _, err := c.Write(ext); err != nil {
					return
				}
			}
			fp.record(c, nil)
		}, 100 << 10, L2Connected, ErrByteLimit, ReasonProtocol},
		{"oversized block", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append(append([]byte{}, hs...), msg(pp.Message{Type: pp.HaveAll})...), msg(pp.Message{Type: pp.Unchoke})...))
			fp.record(c, func(m pp.Message) {
				if m.Type == pp.Request {
					c.Write(frame(byte(pp.Piece), make([]byte, 8+32<<10)))
				}
			})
		}, 0, L3Claims, ErrProtocol, ReasonProtocol},
		{"silent after handshake", func(c net.Conn, fp *fakePeer) {
			c.Write(hs)
			fp.record(c, nil)
		}, 0, L2Connected, errNoClaim, ReasonNoPieces},
		{"claims nothing of the document", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), msg(pp.Message{Type: pp.HaveNone})...))
			fp.record(c, nil)
		}, 0, L2Connected, errNoClaim, ReasonNoPieces},
		{"keeps us choked", func(c net.Conn, fp *fakePeer) {
			c.Write(append(append([]byte{}, hs...), msg(pp.Message{Type: pp.HaveAll})...))
			fp.record(c, nil)
		}, 0, L3Claims, context.DeadlineExceeded, ReasonChoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := startFakePeer(t, tc.behave)
			cfg := testConfig()
			cfg.ClaimWait = 300 * time.Millisecond
			cfg.Timeout = 2 * time.Second
			cfg.Encryption = peerdial.EncryptNever // the fake peer speaks plaintext, once
			if tc.maxBytes > 0 {
				cfg.MaxBytes = tc.maxBytes
			}
			res, err := NewProber(cfg).Probe(context.Background(), fx.target, fp.addr, TransportTCP)
			if err == nil {
				t.Fatalf("Probe succeeded: %+v", res.Observation)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			o := res.Observation
			if o.Level != tc.wantLevel || o.Error != err.Error() {
				t.Errorf("Level=%d Error=%q, want L%d", o.Level, o.Error, tc.wantLevel)
			}
			if o.Reason != tc.wantReason || !slices.Equal(o.Tried, []string{"tcp"}) || o.Ended.Before(o.Time) {
				t.Errorf("Reason=%q Tried=%v Time=%v Ended=%v, want %q after [tcp]", o.Reason, o.Tried, o.Time, o.Ended, tc.wantReason)
			}
			if len(o.PiecesVerified) != 0 {
				t.Errorf("PiecesVerified = %v", o.PiecesVerified)
			}
			if o.TranscriptSHA256 == "" && o.Level >= L2Connected {
				t.Error("no transcript hash")
			}
		})
	}

	// A peer that asks us for data while serving honestly: we reject its
	// requests, never send piece data or claims, and reach L4.
	t.Run("requests from peer are rejected", func(t *testing.T) {
		fp := startFakePeer(t, func(c net.Conn, fp *fakePeer) {
			var wmu sync.Mutex
			write := func(b []byte) { wmu.Lock(); c.Write(b); wmu.Unlock() }
			write(append(append([]byte{}, hs...), msg(pp.Message{Type: pp.HaveAll})...))
			write(msg(pp.Message{Type: pp.Extended, ExtendedPayload: []byte("d1:md6:ut_pexi7ee1:v9:fake\x1b/1.0e")}))
			pex := "d5:added18:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x01\x00\x00\x7f\x00\x00\x01\x1a\xe16:added618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe2e"
			write(msg(pp.Message{Type: pp.Extended, ExtendedID: ourPexID, ExtendedPayload: []byte(pex)}))
			write(msg(pp.Message{Type: pp.Request, Index: 0, Begin: 0, Length: BlockSize}))
			write(msg(pp.Message{Type: pp.Unchoke}))
			fp.record(c, func(m pp.Message) {
				if m.Type != pp.Request {
					return
				}
				off := int(m.Index)*int(fx.target.PieceLength) + int(m.Begin)
				write(msg(pp.Message{Type: pp.Piece, Index: m.Index, Begin: m.Begin, Piece: data[off : off+int(m.Length)]}))
			})
		})
		res, err := NewProber(testConfig()).Probe(context.Background(), fx.target, fp.addr, TransportTCP)
		if err != nil || res.Observation.Level != L4Served {
			t.Fatalf("Level=%d err=%v", res.Observation.Level, err)
		}
		wantPEX := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:6881"), netip.MustParseAddrPort("[::1]:6882")}
		if len(res.PEX) != 2 || res.PEX[0] != wantPEX[0] || res.PEX[1] != wantPEX[1] {
			t.Errorf("PEX = %v, want %v (port 0 dropped, duplicates merged)", res.PEX, wantPEX)
		}
		if res.Observation.Client != `fake\u001b/1.0` {
			t.Errorf("Client = %q, want the v with its control character escaped", res.Observation.Client)
		}
		fp.ended(t) // the fake has recorded our last messages
		allowed := map[pp.MessageType]bool{pp.Extended: true, pp.HaveNone: true, pp.Interested: true, pp.Request: true, pp.Reject: true}
		sawReject := false
		for _, typ := range fp.sentTypes() {
			if !allowed[typ] {
				t.Errorf("prober sent %v", typ)
			}
			sawReject = sawReject || typ == pp.Reject
		}
		if !sawReject {
			t.Errorf("prober did not reject the peer's request: sent %v", fp.sentTypes())
		}
		if fp.ours[25]&0x10 == 0 || fp.ours[27]&0x04 == 0 {
			t.Errorf("our handshake lacks LTEP/Fast bits: %x", fp.ours[20:28])
		}
	})
}

func TestProbeLiarStaysL3(t *testing.T) {
	fx := newFixture(t, 16<<10, 5<<10, 64<<10, 0)
	for _, bitfield := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		addr, stop, err := localswarm.StartLiar(ctx, fx.infoBytes, localswarm.LiarConfig{Bitfield: bitfield})
		if err != nil {
			t.Fatal(err)
		}
		for _, full := range []bool{false, true} {
			cfg := testConfig()
			cfg.FullCopy = full
			res, err := NewProber(cfg).Probe(ctx, fx.target, addr, TransportTCP)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			o := res.Observation
			if o.Level != L3Claims || len(o.PiecesFailed) != 1 || len(o.PiecesVerified) != 0 {
				t.Errorf("bitfield=%v full=%v: Level=%d failed=%v verified=%v, want L3 with one failed piece",
					bitfield, full, o.Level, o.PiecesFailed, o.PiecesVerified)
			}
			if o.Client != "liar/1.0" || o.ClaimedCount != fx.target.lastPiece()-fx.target.firstPiece()+1 {
				t.Errorf("Client=%q ClaimedCount=%d", o.Client, o.ClaimedCount)
			}
		}
		stop()
		cancel()
	}
}
