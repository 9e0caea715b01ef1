package ed2k

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// Level is an evidence level, numbered as in the evidence log (see the
// package documentation for what each proves on ed2k).
type Level int

// Evidence levels a probe can reach. L0 (listed) belongs to the sources,
// L5 (full copy) is not offered over ed2k.
const (
	L1Announced Level = 1
	L2Connected Level = 2
	L3Claims    Level = 3
	L4Served    Level = 4
)

// String returns "L1" to "L4".
func (l Level) String() string { return fmt.Sprintf("L%d", int(l)) }

// Target is the file a probe asks about: the catalogued document, which is
// the whole ed2k file.
type Target struct {
	// Hash is the document's ed2k hash.
	Hash [16]byte
	// Size is the document's size in bytes.
	Size int64
	// Doc reads the catalogued copy; the served block is compared with it.
	// Probes running at once may call ReadAt concurrently (*os.File and
	// *bytes.Reader allow that).
	Doc io.ReaderAt
	// Document is the catalogued document's SHA-256 (hex), recorded as is.
	Document string
}

// ErrTarget is wrapped by errors about an invalid Target or address.
var ErrTarget = errors.New("invalid ed2k probe target")

// Range is a byte range [Start, End) of the file.
type Range struct{ Start, End int64 }

// Len returns End − Start.
func (r Range) Len() int64 { return r.End - r.Start }

// Result is what one probe observed. It is valid even when Probe returns
// an error; Reason then says where the probe stopped and Error why. It is
// plain data, owned by the caller.
type Result struct {
	// Peer is the address probed; Local is our end of the connection (the
	// address the peer saw, behind no NAT).
	Peer, Local netip.AddrPort
	// Time is when the probe started (UTC); Duration how long it took.
	Time     time.Time
	Duration time.Duration
	// Level is the highest level proved (see the package documentation).
	Level Level
	// Client is what the peer said about itself (zero before its hello).
	Client ClientInfo
	// FileName is the name the peer gave for the hash, if it answered.
	FileName string
	// Complete is set when the peer's file status claims the whole file.
	Complete bool
	// PartsClaimed lists the parts (of PartSize bytes) the peer claims.
	PartsClaimed []int
	// Queued is set when the peer put us in its upload queue instead of
	// giving a slot; QueueRank is our rank there (0: unknown).
	Queued    bool
	QueueRank int
	// Requested is the block asked for; Verified is the same range once
	// every byte received equals the catalogued copy (zero otherwise).
	Requested, Verified Range
	// Compressed is set when the block came as a zlib stream.
	Compressed bool
	// BytesCompared counts the block bytes compared with the catalogued
	// copy; MismatchAt is the file offset of the first byte that differs
	// (-1 when none).
	BytesCompared int64
	MismatchAt    int64
	// Reason says where and why the probe stopped ("served", "queued",
	// "no file", "timeout waiting for the hello answer", ...).
	Reason string
	// Error is the error Probe returned, as text ("" when none).
	Error string
	// Transcript is every packet sent and received, with file data replaced
	// by its SHA-256 (see [TranscriptFormat]); TranscriptSHA256 is its hash.
	Transcript       []Record
	TranscriptSHA256 string
}

// Prober probes ed2k peers. It is safe for concurrent use; each probe opens
// its own connection. Probes of one address wait for each other and keep
// Config.PeerSpacing apart.
type Prober struct {
	cfg    Config
	log    *slog.Logger
	spacer *spacer
}

// NewProber returns a Prober, or an error wrapping [ErrConfig] when cfg has
// no user hash.
func NewProber(cfg Config) (*Prober, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Prober{cfg: cfg, log: cfg.Logger, spacer: newSpacer(cfg.PeerSpacing)}, nil
}

// Probe connects to the ed2k peer at addr and grades what it proves about
// target: L1 when no hello or no answer about the file came, L2 once the
// peer answered our hello and acknowledged the file's hash, L3 once its
// file status claims a part, L4 once one block it sent equals the
// catalogued copy byte for byte. It asks for one block only, never offers
// or sends file data, and never waits in an upload queue.
//
// A probe of an address the Prober probed less than Config.PeerSpacing
// ago, or is probing, first waits for its turn (Result.Time is when the
// probe itself started).
//
// A non-nil error means the probe stopped before L4 (or Config.MaxLevel)
// for a reason other than the peer's honest refusal; the Result is valid
// either way. Errors about the target or address wrap [ErrTarget] and come
// with a zero Result.
func (p *Prober) Probe(ctx context.Context, target Target, addr netip.AddrPort) (Result, error) {
	if err := checkTarget(target); err != nil {
		return Result{}, err
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if !addr.IsValid() || addr.Port() == 0 {
		return Result{}, fmt.Errorf("%w: address %v", ErrTarget, addr)
	}
	release, err := p.spacer.acquire(ctx, addr)
	if err != nil {
		return Result{}, fmt.Errorf("ed2k probe %v: %w", addr, err)
	}
	defer release()
	start := time.Now()
	res := Result{Peer: addr, Time: start.UTC(), Level: L1Announced, MismatchAt: -1}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	s := &session{cfg: &p.cfg, target: target, res: &res}
	err = s.run(ctx, addr)
	res.Duration = time.Since(start)
	res.TranscriptSHA256 = TranscriptSHA256(res.Transcript)
	if err != nil {
		err = fmt.Errorf("ed2k probe %v: %w", addr, err)
		res.Error = err.Error()
		p.log.Debug("ed2k probe ended early", "peer", addr.String(), "level", res.Level.String(), "reason", res.Reason, "error", err)
	}
	return res, err
}

func checkTarget(t Target) error {
	switch {
	case t.Size <= 0 || t.Size > MaxFileSize:
		return fmt.Errorf("%w: size %d (1 to %d bytes)", ErrTarget, t.Size, MaxFileSize)
	case t.Doc == nil:
		return fmt.Errorf("%w: no catalogued copy to compare with", ErrTarget)
	case t.Hash == ([16]byte{}):
		return fmt.Errorf("%w: zero ed2k hash", ErrTarget)
	}
	return nil
}

// dial opens the TCP connection of one probe.
func (p *session) dial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	d := net.Dialer{Control: p.cfg.Control}
	if p.cfg.LocalAddr.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(p.cfg.LocalAddr, 0))
	}
	return d.DialContext(ctx, "tcp", addr.String())
}
