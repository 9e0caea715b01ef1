package localswarm

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// policy says how a peer serves one infohash; hostile peers bend it.
type policy struct {
	info []byte
	// advertised is metadata_size in the extension handshake (0: omitted).
	advertised int64
	// totalSize is total_size in each data message.
	totalSize int64
	// noMetadata leaves ut_metadata out of the extension handshake.
	noMetadata bool
	// reject answers every request with a reject.
	reject bool
	// drip writes one byte per drip after the handshake.
	drip time.Duration
	// hugeLength sends a 2 GiB length prefix after the handshake.
	hugeLength bool
}

// peerServer is a TCP listener on 127.0.0.1 that serves metadata by policy.
type peerServer struct {
	ln     net.Listener
	peerID [20]byte
	lookup func([20]byte) (*policy, bool)
	done   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	once  sync.Once
}

func startPeerServer(prefix string, lookup func([20]byte) (*policy, bool)) (*peerServer, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen tcp on loopback: %w", err)
	}
	s := &peerServer{ln: ln, lookup: lookup, done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	copy(s.peerID[:], prefix)
	_, _ = rand.Read(s.peerID[len(prefix):])
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *peerServer) addr() netip.AddrPort {
	return s.ln.Addr().(*net.TCPAddr).AddrPort()
}

func (s *peerServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			_ = s.serve(c)
		}()
	}
}

func (s *peerServer) close() {
	s.once.Do(func() {
		s.mu.Lock()
		close(s.done)
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.ln.Close()
	})
	s.wg.Wait()
}

// dripWriter writes one byte at a time with a pause between bytes.
type dripWriter struct {
	w     io.Writer
	delay time.Duration
	done  <-chan struct{}
}

func (d dripWriter) Write(p []byte) (int, error) {
	for i := range p {
		select {
		case <-d.done:
			return i, net.ErrClosed
		case <-time.After(d.delay):
		}
		if _, err := d.w.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func (s *peerServer) serve(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	r := peerwire.NewReader(bufio.NewReader(c), peerwire.Config{})
	theirs, _, err := r.ReadHandshake()
	if err != nil {
		return err
	}
	pol, ok := s.lookup(theirs.InfoHash)
	if !ok {
		return fmt.Errorf("unknown infohash %x", theirs.InfoHash)
	}
	var w io.Writer = c
	ours := peerwire.Handshake{Reserved: pp.NewPeerExtensionBytes(pp.ExtensionBitLtep), InfoHash: theirs.InfoHash, PeerID: s.peerID}
	if _, err := w.Write(ours.Append(nil)); err != nil {
		return err
	}
	if pol.drip > 0 {
		w = dripWriter{w: c, delay: pol.drip, done: s.done}
	}
	if pol.hugeLength {
		if _, err := w.Write([]byte{0x7f, 0xff, 0xff, 0xff, msgExtended, 0}); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, c)
		return err
	}
	// send writes one extension message in one Write.
	send := func(parts ...[]byte) error {
		_, err := w.Write(peerwire.AppendMessage(nil, msgExtended, parts...))
		return err
	}
	hs := extHandshake{M: map[string]int64{}, MetadataSize: pol.advertised, V: "localswarm"}
	if !pol.noMetadata {
		hs.M["ut_metadata"] = ourMetadataID
	}
	if err := send([]byte{0}, bencode.MustMarshal(hs)); err != nil {
		return err
	}
	theirID := int64(-1)
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return err
		}
		payload := m.Payload()
		if m.Type != msgExtended || len(payload) == 0 {
			continue
		}
		switch payload[0] {
		case 0:
			var theirs extHandshake
			if err := decodeSmall(payload[1:], &theirs); err != nil {
				return err
			}
			if v, ok := theirs.M["ut_metadata"]; ok && v > 0 && v < 256 {
				theirID = v
			}
		case ourMetadataID:
			var req metadataMsg
			if err := decodeSmall(payload[1:], &req); err != nil {
				return err
			}
			if req.MsgType != 0 || theirID < 0 {
				continue
			}
			start := req.Piece * metadataPieceSize
			if pol.reject || req.Piece < 0 || start >= int64(len(pol.info)) {
				rej := bencode.MustMarshal(metadataMsg{MsgType: 2, Piece: req.Piece})
				if err := send([]byte{byte(theirID)}, rej); err != nil {
					return err
				}
				continue
			}
			end := min(start+metadataPieceSize, int64(len(pol.info)))
			hdr := bencode.MustMarshal(metadataMsg{MsgType: 1, Piece: req.Piece, TotalSize: pol.totalSize})
			if err := send([]byte{byte(theirID)}, hdr, pol.info[start:end]); err != nil {
				return err
			}
		}
	}
}

// MetadataServer is a lightweight peer on 127.0.0.1 that serves only BEP 9
// metadata, for any number of torrents, and never any piece data. Its
// methods are safe for concurrent use.
type MetadataServer struct {
	srv  *peerServer
	mu   sync.RWMutex
	info map[[20]byte]*policy
}

// StartMetadataServer starts a metadata server; ctx is unused but kept for
// symmetry with the other constructors.
func StartMetadataServer(_ context.Context) (*MetadataServer, error) {
	m := &MetadataServer{info: make(map[[20]byte]*policy)}
	srv, err := startPeerServer("-LSMETA-", func(ih [20]byte) (*policy, bool) {
		m.mu.RLock()
		defer m.mu.RUnlock()
		p, ok := m.info[ih]
		return p, ok
	})
	if err != nil {
		return nil, err
	}
	m.srv = srv
	return m, nil
}

// Add serves infoBytes (a bencoded info dictionary) under its SHA-1 and
// returns that infohash.
func (m *MetadataServer) Add(infoBytes []byte) [20]byte {
	ih := sha1.Sum(infoBytes)
	m.mu.Lock()
	m.info[ih] = &policy{info: infoBytes, advertised: int64(len(infoBytes)), totalSize: int64(len(infoBytes))}
	m.mu.Unlock()
	return ih
}

// Addr returns the TCP address peers connect to.
func (m *MetadataServer) Addr() netip.AddrPort { return m.srv.addr() }

// Close stops the server and waits for its connections to end.
func (m *MetadataServer) Close() { m.srv.close() }
