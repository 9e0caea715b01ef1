package metadata

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"golang.org/x/sync/semaphore"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/bscan"
	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// Fetcher fetches metadata from peers. It is safe for concurrent use; one
// Fetcher should serve the whole process so its limits are global.
type Fetcher struct {
	cfg    Config
	log    *slog.Logger
	peerID [20]byte
	conns  chan struct{}       // one token per open connection
	mem    *semaphore.Weighted // metadata bytes buffered
}

// New returns a Fetcher.
func New(cfg Config) *Fetcher {
	cfg = cfg.withDefaults()
	f := &Fetcher{
		cfg:   cfg,
		log:   cfg.Logger,
		conns: make(chan struct{}, cfg.MaxConns),
		mem:   semaphore.NewWeighted(cfg.MaxBuffered),
	}
	n := copy(f.peerID[:], cfg.PeerIDPrefix)
	_, _ = rand.Read(f.peerID[n:])
	return f
}

// Fetch returns the raw info dictionary of ih from one of peers: its SHA-1
// is ih and it passed the bencode pre-check (fingerprint.CheckBencode with
// fingerprint.MetadataLimits), but it has not been decoded. Up to
// PeersPerFetch peers are tried at a time; the first valid copy wins and
// the other attempts are stopped. On failure the error is a [*FetchError].
func (f *Fetcher) Fetch(ctx context.Context, ih fingerprint.InfoHash, peers []netip.AddrPort) ([]byte, error) {
	peers = dedupe(peers, f.cfg.MaxPeers)
	if len(peers) == 0 {
		return nil, &FetchError{InfoHash: ih, Err: ErrNoPeers}
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	wctx, stop := context.WithCancel(ctx)
	defer stop()

	queue := make(chan netip.AddrPort, len(peers))
	for _, p := range peers {
		queue <- p
	}
	close(queue)
	var (
		mu     sync.Mutex
		result []byte
		perrs  []*PeerError
		wg     sync.WaitGroup
	)
	for range min(f.cfg.PeersPerFetch, len(peers)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queue {
				if wctx.Err() != nil {
					return
				}
				b, err := f.fetchPeer(wctx, ih, p)
				mu.Lock()
				switch {
				case err == nil:
					if result == nil {
						result = b
					}
					stop()
				case result == nil:
					perrs = append(perrs, &PeerError{Peer: p, Err: err})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if result != nil {
		return result, nil
	}
	fe := &FetchError{InfoHash: ih, Peers: perrs}
	if err := ctx.Err(); err != nil {
		fe.Err = ctxKind(err)
	}
	return nil, fe
}

func dedupe(peers []netip.AddrPort, limit int) []netip.AddrPort {
	seen := make(map[netip.AddrPort]bool, len(peers))
	var out []netip.AddrPort
	for _, p := range peers {
		p = netip.AddrPortFrom(p.Addr().Unmap(), p.Port())
		if !p.IsValid() || p.Port() == 0 || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
		if len(out) == limit {
			break
		}
	}
	return out
}

// fetchPeer runs the whole exchange with one peer: over each transport in
// turn until one connects, in plaintext or encrypted as the policy and the
// peer want.
func (f *Fetcher) fetchPeer(ctx context.Context, ih [20]byte, peer netip.AddrPort) ([]byte, error) {
	select {
	case f.conns <- struct{}{}:
	case <-ctx.Done():
		return nil, ctxKind(ctx.Err())
	}
	defer func() { <-f.conns }()

	if err := f.cfg.policy().CheckAddrPort(peer); err != nil {
		return nil, errorf(ErrDial, "%v", err)
	}
	var lastErr error
	for _, transport := range f.cfg.Transports {
		attempts := f.cfg.Encryption.Attempts(transport)
		for i, a := range attempts {
			b, err := f.fetchAttempt(ctx, ih, peer, a)
			switch {
			case err == nil:
				return b, nil
			case ctx.Err() != nil && !errors.Is(err, ErrHashMismatch) && !errors.Is(err, ErrBadBencode):
				return nil, ctxKind(ctx.Err())
			}
			lastErr = err
			if errors.Is(err, ErrDial) {
				break // not connected: the next transport
			}
			if i+1 < len(attempts) && (errors.Is(err, ErrEncryption) || errors.Is(err, ErrHandshake)) && peerdial.Retry(err) {
				continue // ended at the handshake: the other encryption setting
			}
			return nil, err
		}
	}
	return nil, lastErr
}

// fetchAttempt connects once and runs the exchange.
func (f *Fetcher) fetchAttempt(ctx context.Context, ih [20]byte, peer netip.AddrPort, a peerdial.Attempt) ([]byte, error) {
	// The dialer waits while another connection to the host is open (a
	// probe, another fetch): bound that wait too, so that one host listed
	// for many torrents cannot hold every fetch worker.
	dctx, cancel := context.WithTimeout(ctx, 2*f.cfg.DialTimeout)
	conn, err := f.cfg.Dialer.Dial(dctx, a.Transport, peer, f.cfg.DialTimeout)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxKind(ctx.Err())
		}
		return nil, errorf(ErrDial, "%s: %v", a, err)
	}
	if a.Encrypted {
		hctx, cancel := context.WithTimeout(ctx, f.cfg.HandshakeTimeout)
		conn, err = peerdial.Encrypt(hctx, conn, ih)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrEncryption, a, err)
		}
	}
	defer conn.Close()
	deadline := time.Now().Add(f.cfg.PeerTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	// Unblock reads and writes at once when ctx ends.
	stopAfter := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stopAfter()

	pc := &peerConn{f: f, conn: conn, ih: ih, deadline: deadline, r: newMessageReader(conn)}
	b, err := pc.run(ctx)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrHashMismatch) && !errors.Is(err, ErrBadBencode) {
			return nil, ctxKind(ctx.Err())
		}
		if errors.Is(err, ErrHandshake) || errors.Is(err, ErrTimeout) {
			return nil, err
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errorf(ErrTimeout, "%v", err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isNetErr(err) {
			return nil, errorf(ErrProtocol, "connection ended: %v", err)
		}
		return nil, err
	}
	return b, nil
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// peerConn is the state of one exchange.
type peerConn struct {
	f        *Fetcher
	conn     net.Conn
	r        *peerwire.Reader
	ih       [20]byte
	deadline time.Time
	read     int // bytes of extension messages read, to bound a flood
}

// next reads the next message that is not a keep-alive, with the idle
// timeout applied. Only extension messages come with a payload, valid until
// the next read.
func (pc *peerConn) next() (byte, []byte, error) {
	d := time.Now().Add(pc.f.cfg.IdleTimeout)
	if pc.deadline.Before(d) {
		d = pc.deadline
	}
	_ = pc.conn.SetReadDeadline(d)
	for {
		m, err := pc.r.ReadMessage()
		if errors.Is(err, peerwire.ErrProtocol) {
			return 0, nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		if err != nil {
			return 0, nil, err
		}
		if m.KeepAlive() {
			continue
		}
		pc.read += len(m.Payload())
		if pc.read > 2*pc.f.cfg.MaxMetadataSize+(1<<20) {
			return 0, nil, errorf(ErrProtocol, "peer sent more than %d bytes", pc.read)
		}
		return m.Type, m.Payload(), nil
	}
}

func (pc *peerConn) run(ctx context.Context) ([]byte, error) {
	f := pc.f
	theirID, size, err := pc.greet()
	if err != nil {
		return nil, err
	}
	if size <= 0 || size > int64(f.cfg.MaxMetadataSize) {
		return nil, errorf(ErrBadSize, "metadata_size %d (limit %d)", size, f.cfg.MaxMetadataSize)
	}
	if err := f.mem.Acquire(ctx, size); err != nil {
		return nil, ctxKind(err)
	}
	defer f.mem.Release(size)
	return pc.download(theirID, size)
}

// greet exchanges handshakes and extension handshakes, and returns the
// peer's ut_metadata message ID and metadata_size.
func (pc *peerConn) greet() (theirID byte, size int64, err error) {
	f := pc.f
	if _, err := pc.conn.Write(ourHandshake(pc.ih, f.peerID).Append(nil)); err != nil {
		return 0, 0, fmt.Errorf("%w: send handshake: %w", ErrHandshake, err)
	}
	if d := time.Now().Add(f.cfg.HandshakeTimeout); d.Before(pc.deadline) {
		_ = pc.conn.SetReadDeadline(d)
	}
	hs, _, err := pc.r.ReadHandshake()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, 0, errorf(ErrTimeout, "waiting for handshake: %v", err)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if err := checkHandshake(hs, pc.ih); err != nil {
		return 0, 0, err
	}
	ours := extHandshake{M: map[string]int64{"ut_metadata": ourMetadataID}, V: f.cfg.ClientVersion}
	if _, err := pc.conn.Write(peerwire.AppendMessage(nil, msgExtended, []byte{0}, bencode.MustMarshal(ours))); err != nil {
		return 0, 0, errorf(ErrHandshake, "send extension handshake: %v", err)
	}
	// Wait for the peer's extension handshake, skipping anything else.
	for {
		id, p, err := pc.next()
		if err != nil {
			return 0, 0, err
		}
		if id == msgExtended && p[0] == 0 {
			return parseExtHandshake(p[1:])
		}
	}
}

// download requests every piece of the metadata and returns it once it is
// whole, hashes to the infohash and passes the bencode check.
func (pc *peerConn) download(theirID byte, size int64) ([]byte, error) {
	n := int((size + pieceSize - 1) / pieceSize)
	var reqs []byte
	for i := range n {
		d := bencode.MustMarshal(metadataMsg{MsgType: mdRequest, Piece: int64(i)})
		reqs = peerwire.AppendMessage(reqs, msgExtended, []byte{theirID}, d)
	}
	if _, err := pc.conn.Write(reqs); err != nil {
		return nil, errorf(ErrProtocol, "send requests: %v", err)
	}
	info := make([]byte, size)
	got := make([]bool, n)
	left := n
	for left > 0 {
		id, p, err := pc.next()
		if err != nil {
			return nil, err
		}
		if id != msgExtended || p[0] != ourMetadataID {
			continue
		}
		m, data, err := parseMetadataMsg(p[1:])
		if err != nil {
			return nil, err
		}
		switch m.MsgType {
		case mdRequest:
			// We never serve metadata.
			rej := bencode.MustMarshal(metadataMsg{MsgType: mdReject, Piece: m.Piece})
			if _, err := pc.conn.Write(peerwire.AppendMessage(nil, msgExtended, []byte{theirID}, rej)); err != nil {
				return nil, errorf(ErrProtocol, "send reject: %v", err)
			}
			continue
		case mdReject:
			return nil, errorf(ErrRejected, "piece %d", m.Piece)
		case mdData:
		default:
			continue
		}
		if m.Piece < 0 || m.Piece >= int64(n) {
			return nil, errorf(ErrProtocol, "piece %d of %d", m.Piece, n)
		}
		if m.TotalSize != nil && *m.TotalSize != size {
			return nil, errorf(ErrBadSize, "total_size %d but metadata_size %d", *m.TotalSize, size)
		}
		start := m.Piece * pieceSize
		want := min(size-start, pieceSize)
		if int64(len(data)) != want {
			return nil, errorf(ErrBadSize, "piece %d has %d bytes, want %d", m.Piece, len(data), want)
		}
		if got[m.Piece] {
			continue
		}
		copy(info[start:], data)
		got[m.Piece] = true
		left--
	}
	if sha1.Sum(info) != pc.ih {
		return nil, errorf(ErrHashMismatch, "%d bytes", size)
	}
	if err := bscan.Check(info, bscan.MetadataLimits()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBencode, err)
	}
	return info, nil
}
