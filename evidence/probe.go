package evidence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/internal/version"
)

// Transport names accepted by [Prober.Probe]. Observations record the
// transport a probe used with "+mse" appended when the connection spoke
// MSE/PE: "tcp", "tcp+mse", "utp", "utp+mse".
const (
	TransportTCP = peerdial.TCP
	TransportUTP = peerdial.UTP
)

// BlockSize is the size of the requests a probe sends (16 KiB, the de facto
// BitTorrent block size). A piece message carrying more than this is a
// protocol violation.
const BlockSize = 16 << 10

// Config configures a [Prober].
type Config struct {
	// Timeout bounds one whole probe: dial, handshake, waiting for claims and
	// unchoke, and the download.
	Timeout time.Duration
	// DialTimeout bounds connection set-up (TCP connect or uTP SYN/ACK).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the wait for the peer's BitTorrent handshake
	// (and the MSE/PE handshake before it) once connected.
	HandshakeTimeout time.Duration
	// ClaimWait is how long a probe waits after the handshake for the peer to
	// claim a piece overlapping the document before it stops at L2.
	ClaimWait time.Duration
	// Concurrency is the most probes a Prober runs at once; further calls
	// to Probe wait for a slot.
	Concurrency int
	// PeerID is the peer id we send. A zero PeerID is replaced by
	// peerdial.NewPeerID ("-LX0100-" and 12 random bytes), chosen once per
	// Prober.
	PeerID [20]byte
	// Encryption says when probes speak MSE/PE; the default tries
	// plaintext, then encryption when the peer closes a plaintext
	// handshake.
	Encryption peerdial.Encryption
	// Dialer opens the connections; share one with the metadata fetcher so
	// that at most one connection to a host is open at a time. Nil makes a
	// Dialer from AllowLoopback, AllowPrivate, LocalAddr and OnDial.
	Dialer *peerdial.Dialer
	// AllowLoopback and AllowPrivate let probes reach loopback and private
	// addresses (local test swarms). Whatever the caller passes, every
	// address is checked against this policy when it is dialled.
	AllowLoopback, AllowPrivate bool
	// LocalAddr, when valid, is the local IP probes are made from. The
	// actual local IP:port of each connection is recorded in
	// Observation.ListenAddr.
	LocalAddr netip.Addr
	// Version is the leakhunt version recorded in observations.
	Version string
	// ClientName, if set, is sent as "v" in our extended handshake. Empty
	// (the default) sends no client name.
	ClientName string
	// Clock measures our clock offset; nil records "unsynchronized".
	Clock *Clock
	// FullCopy asks for every piece overlapping the document (L5) instead of
	// one (L4).
	FullCopy bool
	// MaxLevel stops a probe once it has proved this level: L2 ends after
	// the handshake, L3 once the peer claims a piece of the document, so
	// that no content is downloaded at all. 0 means no limit (L4, or L5
	// with FullCopy).
	MaxLevel Level
	// MaxBytes caps the bytes read from one peer in one probe.
	MaxBytes int64
	// MaxPieceLength is the largest piece a probe will buffer in memory;
	// targets with longer pieces are refused.
	MaxPieceLength int64
	// MaxClaimed caps Observation.PiecesClaimed (ClaimedCount stays exact).
	MaxClaimed int
	// MaxPEX caps the PEX peers collected from one probe.
	MaxPEX int
	// OnDial, if set, is called with the local address of every
	// connection a probe opens, before anything is sent (so a caller can
	// recognize its own connections when peers report them back by PEX).
	OnDial func(local net.Addr)
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns a Config for real use. Its Clock is nil: set it to
// a [NewClock] so that observations carry a measured offset.
func DefaultConfig() Config {
	return Config{
		Timeout:          60 * time.Second,
		DialTimeout:      10 * time.Second,
		HandshakeTimeout: 10 * time.Second,
		ClaimWait:        10 * time.Second,
		Concurrency:      32,
		Version:          version.String(),
		MaxBytes:         64 << 20,
		MaxPieceLength:   16 << 20,
		MaxClaimed:       64,
		MaxPEX:           500,
	}
}

// ProbeResult is what one probe produced.
type ProbeResult struct {
	// Observation is the graded observation; store it even when Probe
	// returned an error (its Error field then says what went wrong).
	Observation Observation
	// PEX are the peers the remote sent in BEP 11 ut_pex "added"/"added6"
	// during the probe (deduplicated, capped at Config.MaxPEX). They are
	// only L1 leads: see [Harvester.PEXObservations].
	PEX []netip.AddrPort
	// Extensions are the reserved handshake bytes the peer sent.
	Extensions [8]byte
	// Transcript is the redacted wire transcript (see [TranscriptFormat]):
	// keep it beside the observation, which holds its SHA-256.
	Transcript []byte
	// Duration is how long the probe took.
	Duration time.Duration
}

// Prober probes peers. It is safe for concurrent use; at most
// Config.Concurrency probes run at once.
type Prober struct {
	cfg    Config
	sem    chan struct{}
	logger *slog.Logger
	dialer *peerdial.Dialer
}

// NewProber returns a Prober. Zero fields of cfg take DefaultConfig values.
func NewProber(cfg Config) *Prober {
	def := DefaultConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = def.DialTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = def.HandshakeTimeout
	}
	if cfg.ClaimWait <= 0 {
		cfg.ClaimWait = def.ClaimWait
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = def.Concurrency
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = def.MaxBytes
	}
	if cfg.MaxPieceLength <= 0 {
		cfg.MaxPieceLength = def.MaxPieceLength
	}
	if cfg.MaxClaimed <= 0 {
		cfg.MaxClaimed = def.MaxClaimed
	}
	if cfg.MaxPEX <= 0 {
		cfg.MaxPEX = def.MaxPEX
	}
	if cfg.PeerID == ([20]byte{}) {
		cfg.PeerID = peerdial.NewPeerID()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dialer := cfg.Dialer
	if dialer == nil {
		dialer = &peerdial.Dialer{Policy: netpolicy.Policy{AllowLoopback: cfg.AllowLoopback, AllowPrivate: cfg.AllowPrivate},
			LocalAddr: cfg.LocalAddr, OnDial: cfg.OnDial}
	}
	return &Prober{cfg: cfg, sem: make(chan struct{}, cfg.Concurrency), logger: logger, dialer: dialer}
}

// PeerID returns the peer id this Prober sends.
func (p *Prober) PeerID() [20]byte { return p.cfg.PeerID }

// ErrTarget is wrapped by errors about an invalid [Target].
var ErrTarget = errors.New("invalid probe target")

// Probe connects to addr over transport ("tcp" or "utp"), grades what the
// peer proves about target and returns the observation. The observation is
// L1 when no BitTorrent handshake for the infohash completed (a closed port,
// a non-BitTorrent service, a wrong infohash), L2 after the handshake, L3
// when the peer claims a piece overlapping the document, L4 when pieces
// downloaded from this peer alone, each matching the torrent's SHA-1,
// hold at least min(document size, piece length) bytes of the document and
// those bytes equal the catalogued copy byte for byte, and L5 (only with
// Config.FullCopy) when every piece overlapping the document did. A
// verified edge piece holding fewer document bytes is recorded (in
// PiecesVerified, with DocBytesVerified) but does not make L4. A piece that
// fails its hash is recorded in PiecesFailed and the observation never
// rises above L3.
//
// Under Config.Encryption the probe may connect twice over the transport,
// in plaintext and with MSE/PE, one connection after the other: the second
// only when the peer ended the first at the handshake. The observation
// records the transport of the last connection ("tcp+mse" when encrypted),
// every one tried (Tried), why the probe stopped short of what it chased
// (Reason) and when it ended (Ended).
//
// The probe never sends piece data (requests are rejected or ignored), never
// claims a piece (it sends HaveNone when the Fast extension is negotiated,
// else no bitfield) and never tells the peer a listen port.
//
// A non-nil error means the probe ended early; the result is still valid
// and its Observation.Error holds the same text. Errors about the target
// itself wrap [ErrTarget] and come with a zero result.
func (p *Prober) Probe(ctx context.Context, target Target, addr netip.AddrPort, transport string) (ProbeResult, error) {
	if err := p.checkTarget(&target); err != nil {
		return ProbeResult{}, err
	}
	if transport != TransportTCP && transport != TransportUTP {
		return ProbeResult{}, fmt.Errorf("%w: unknown transport %q", ErrTarget, transport)
	}
	if !addr.IsValid() || addr.Port() == 0 {
		return ProbeResult{}, fmt.Errorf("%w: invalid peer address %v", ErrTarget, addr)
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return ProbeResult{}, fmt.Errorf("probe %v: %w", addr, ctx.Err())
	}
	defer func() { <-p.sem }()

	offset := p.clockOffset(ctx)
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	tr := &transcript{}
	var (
		res     ProbeResult
		err     error
		tried   []string
		reasons []string
	)
	attempts := p.cfg.Encryption.Attempts(transport)
	for i, a := range attempts {
		res = ProbeResult{Observation: Observation{
			Time:        time.Now().UTC(),
			ClockOffset: offset,
			Level:       L1Announced,
			Source:      SourceProbe,
			IP:          addr.Addr().String(),
			Port:        int(addr.Port()),
			Transport:   a.String(),
			InfoHash:    target.InfoHash,
			Document:    target.Document,
			Basis:       target.Basis,
			Version:     p.cfg.Version,
		}}
		tried = append(tried, a.String())
		err = p.run(ctx, &target, addr, a, tr, &res)
		reasons = append(reasons, reasonOf(err, &res.Observation))
		if err == nil || res.Observation.Level >= L2Connected || ctx.Err() != nil || i == len(attempts)-1 || !peerdial.Retry(err) {
			break
		}
	}
	o := &res.Observation
	o.Ended = time.Now().UTC()
	o.Tried = tried
	o.Reason = reasons[len(reasons)-1]
	if o.Level < L2Connected && slices.Contains(reasons, ReasonClosed) {
		// Closed in plaintext, and refused encrypted too (or the other
		// way round): the peer ended the handshake.
		o.Reason = ReasonClosed
	}
	res.Transcript, o.TranscriptSHA256 = tr.finish()
	res.Duration = time.Since(start)
	if err != nil {
		err = fmt.Errorf("probe %s %v: %w", o.Transport, addr, err)
		o.Error = err.Error()
		p.logger.Debug("probe ended early", "peer", addr.String(), "level", o.Level, "reason", o.Reason, "error", err)
	}
	return res, err
}

func (p *Prober) clockOffset(ctx context.Context) string {
	if p.cfg.Clock == nil {
		return Unsynchronized
	}
	return p.cfg.Clock.OffsetString(ctx)
}

func (p *Prober) checkTarget(t *Target) error {
	switch {
	case t.PieceLength <= 0:
		return fmt.Errorf("%w: piece length %d", ErrTarget, t.PieceLength)
	case t.PieceLength > p.cfg.MaxPieceLength:
		return fmt.Errorf("%w: piece length %d is more than the limit of %d", ErrTarget, t.PieceLength, p.cfg.MaxPieceLength)
	case t.NumPieces <= 0 || t.TotalLength <= 0:
		return fmt.Errorf("%w: %d pieces, %d bytes", ErrTarget, t.NumPieces, t.TotalLength)
	case (t.TotalLength+t.PieceLength-1)/t.PieceLength != int64(t.NumPieces):
		return fmt.Errorf("%w: %d bytes in pieces of %d is not %d pieces", ErrTarget, t.TotalLength, t.PieceLength, t.NumPieces)
	case len(t.PieceHashes) != t.NumPieces:
		return fmt.Errorf("%w: %d piece hashes for %d pieces", ErrTarget, len(t.PieceHashes), t.NumPieces)
	case t.DocOffset < 0 || t.DocLength <= 0 || t.DocLength > t.TotalLength-t.DocOffset:
		return fmt.Errorf("%w: document range %d+%d outside the torrent's %d bytes", ErrTarget, t.DocOffset, t.DocLength, t.TotalLength)
	case t.Doc == nil && p.cfg.MaxLevel != L2Connected && p.cfg.MaxLevel != L3Claims:
		return fmt.Errorf("%w: no catalogued copy to compare downloaded bytes with", ErrTarget)
	}
	return nil
}

// pieceLen returns the length of piece i.
func (t *Target) pieceLen(i int) int64 {
	if i == t.NumPieces-1 {
		return t.TotalLength - int64(t.NumPieces-1)*t.PieceLength
	}
	return t.PieceLength
}

// dial opens the connection of one attempt, under the address policy,
// and runs the MSE/PE handshake when the attempt is encrypted.
func (p *Prober) dial(ctx context.Context, addr netip.AddrPort, a peerdial.Attempt, ih [20]byte) (net.Conn, error) {
	conn, err := p.dialer.Dial(ctx, a.Transport, addr, p.cfg.DialTimeout)
	if err != nil || !a.Encrypted {
		return conn, err
	}
	hctx, cancel := context.WithTimeout(ctx, p.cfg.HandshakeTimeout)
	defer cancel()
	return peerdial.Encrypt(hctx, conn, ih)
}
