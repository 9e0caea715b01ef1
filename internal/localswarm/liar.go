package localswarm

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/bscan"
	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// LiarConfig configures [StartLiar]. The zero value is usable.
type LiarConfig struct {
	// Host is the loopback address to listen on: "127.0.0.1" (default) or
	// "::1". Other addresses are refused.
	Host string
	// PeerID is sent in the handshake; zero means "-LR0001-" and 12 random
	// bytes.
	PeerID [20]byte
	// ClientName is sent as "v" in the extended handshake (default
	// "liar/1.0").
	ClientName string
	// Bitfield makes the liar claim its pieces with a full bitfield even
	// when the Fast extension would allow HaveAll.
	Bitfield bool
	// Claims lists the pieces claimed; nil claims every piece.
	Claims []int
	// Serve says what requests are answered with (default ServeCorrupt).
	Serve ServeMode
	// Data is the torrent's whole v1 piece stream, for the modes that
	// serve real bytes.
	Data []byte
}

// ServeMode is what a crafted peer answers block requests with.
type ServeMode int

// Serve modes of [StartLiar].
const (
	// ServeCorrupt answers with bytes that are not the torrent's.
	ServeCorrupt ServeMode = iota
	// ServeHonest answers with the torrent's bytes (Data): with Claims,
	// a peer that holds only some pieces, e.g. an edge piece.
	ServeHonest
	// ServeWrongIndex answers a request for piece i with the bytes of
	// piece i+1 (the next one, wrapping) at the same offset.
	ServeWrongIndex
	// ServeSwitching alternates the torrent's bytes and corrupt ones from
	// one request to the next.
	ServeSwitching
)

// StartLiar starts a crafted seeder on loopback TCP for the torrent whose
// bencoded info dictionary is info. By default it lies: it claims every
// piece (HaveAll when the peer speaks the Fast extension, else a full
// bitfield), unchokes everyone, and answers every request with corrupted
// bytes, so no piece it serves passes its hash check. cfg.Claims and
// cfg.Serve craft other peers (one holding only an edge piece, one serving
// the wrong piece, one switching content). It serves until ctx is done or
// close is called; close waits for its goroutines to end.
func StartLiar(ctx context.Context, info []byte, cfg LiarConfig) (addr netip.AddrPort, shutdown func(), err error) {
	if err := bscan.Check(info, bscan.MetadataLimits()); err != nil {
		return addr, nil, fmt.Errorf("liar: info: %w", err)
	}
	var mi metainfo.Info
	if err := bencode.Unmarshal(info, &mi); err != nil {
		return addr, nil, fmt.Errorf("liar: decode info: %w", err)
	}
	if mi.PieceLength <= 0 || len(mi.Pieces) == 0 || len(mi.Pieces)%20 != 0 {
		return addr, nil, fmt.Errorf("liar: info has no v1 pieces")
	}
	// The v1 stream's length: for a hybrid, anacrolix sums the file tree,
	// which has no pad files.
	total := mi.Length
	for _, f := range mi.Files {
		total += f.Length
	}
	if cfg.Serve != ServeCorrupt && int64(len(cfg.Data)) != total {
		return addr, nil, fmt.Errorf("liar: %d bytes of data for a torrent of %d", len(cfg.Data), total)
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return addr, nil, fmt.Errorf("liar: %q is not a loopback address", host)
	}
	if cfg.PeerID == ([20]byte{}) {
		copy(cfg.PeerID[:], "-LR0001-")
		_, _ = rand.Read(cfg.PeerID[8:])
	}
	if cfg.ClientName == "" {
		cfg.ClientName = "liar/1.0"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return addr, nil, fmt.Errorf("liar: listen: %w", err)
	}
	l := &liar{
		cfg:       cfg,
		ih:        sha1.Sum(info),
		numPieces: len(mi.Pieces) / 20,
		pieceLen:  mi.PieceLength,
		total:     total,
		ln:        ln,
		conns:     map[net.Conn]struct{}{},
	}
	l.wg.Add(1)
	go l.serve()
	stop := context.AfterFunc(ctx, l.close)
	return ln.Addr().(*net.TCPAddr).AddrPort(), func() { stop(); l.close() }, nil
}

type liar struct {
	cfg       LiarConfig
	ih        [20]byte
	numPieces int
	pieceLen  int64
	total     int64
	ln        net.Listener
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func (l *liar) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		l.ln.Close()
		for c := range l.conns {
			c.Close()
		}
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *liar) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			_ = l.handle(c) // a liar does not care why a connection ended
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
			c.Close()
		}()
	}
}

func (l *liar) handle(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	r := peerwire.NewReader(bufio.NewReader(c), peerwire.Config{})
	hs, _, err := r.ReadHandshake()
	if err != nil {
		return err
	}
	if err := hs.CheckInfoHash(l.ih); err != nil {
		return err
	}
	theirs := hs.Reserved
	ours := peerwire.Handshake{Reserved: pp.NewPeerExtensionBytes(pp.ExtensionBitLtep, pp.ExtensionBitFast), InfoHash: l.ih, PeerID: l.cfg.PeerID}
	bw := bufio.NewWriter(c)
	bw.Write(ours.Append(nil))
	send := func(m pp.Message) { _ = m.WriteTo(bw) }
	if theirs.SupportsExtended() {
		payload, err := bencode.Marshal(map[string]any{"m": map[string]int{}, "v": l.cfg.ClientName})
		if err != nil {
			return err
		}
		send(pp.Message{Type: pp.Extended, ExtendedID: pp.HandshakeExtendedID, ExtendedPayload: payload})
	}
	switch {
	case l.cfg.Claims == nil && theirs.SupportsFast() && !l.cfg.Bitfield:
		send(pp.Message{Type: pp.HaveAll})
	case l.cfg.Claims == nil:
		bf := make([]bool, l.numPieces)
		for i := range bf {
			bf[i] = true
		}
		send(pp.Message{Type: pp.Bitfield, Bitfield: bf})
	default:
		bf := make([]bool, l.numPieces)
		for _, i := range l.cfg.Claims {
			if i >= 0 && i < l.numPieces {
				bf[i] = true
			}
		}
		send(pp.Message{Type: pp.Bitfield, Bitfield: bf})
	}
	send(pp.Message{Type: pp.Unchoke})
	if err := bw.Flush(); err != nil {
		return err
	}
	for n := 0; ; n++ {
		m, err := r.ReadMessage()
		if err != nil {
			return err
		}
		if pp.MessageType(m.Type) != pp.Request || m.KeepAlive() {
			continue
		}
		p := m.Payload()
		if len(p) != 12 {
			return fmt.Errorf("request of %d bytes", len(p))
		}
		index := pp.Integer(binary.BigEndian.Uint32(p))
		begin := pp.Integer(binary.BigEndian.Uint32(p[4:]))
		length := pp.Integer(binary.BigEndian.Uint32(p[8:]))
		if length == 0 || length > 128<<10 || int(index) >= l.numPieces {
			continue
		}
		send(pp.Message{Type: pp.Piece, Index: index, Begin: begin, Piece: l.block(index, begin, length, n)})
		if err := bw.Flush(); err != nil {
			return err
		}
	}
}

// block is the answer to the n-th request of a connection.
func (l *liar) block(index, begin, length pp.Integer, n int) []byte {
	real := func(i pp.Integer) []byte {
		off := int64(i)*l.pieceLen + int64(begin)
		if off < 0 || off+int64(length) > int64(len(l.cfg.Data)) {
			return corrupt(index, begin, length)
		}
		return l.cfg.Data[off : off+int64(length)]
	}
	switch l.cfg.Serve {
	case ServeHonest:
		return real(index)
	case ServeWrongIndex:
		return real((index + 1) % pp.Integer(l.numPieces))
	case ServeSwitching:
		if n%2 == 0 {
			return real(index)
		}
	}
	return corrupt(index, begin, length)
}

// corrupt returns length bytes that are not the torrent's data (a fixed
// pattern; the chance that it hashes to the real piece is nil).
func corrupt(index, begin, length pp.Integer) []byte {
	b := make([]byte, length)
	for i := range b {
		b[i] = byte(0xA5 ^ uint32(index) ^ (uint32(begin)+uint32(i))*31)
	}
	return b
}
