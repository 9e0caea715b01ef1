package evidence

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"time"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/peerdial"
	"github.com/leakhunt/leakhunt/internal/peerwire"
)

// ourPexID is the extension number we assign to ut_pex in our extended
// handshake; peers send their PEX messages with it.
const ourPexID = 1

// maxOutstanding is how many block requests a probe keeps in flight.
const maxOutstanding = 16

// maxRejects bounds how many of our requests a peer may reject in one probe.
const maxRejects = 256

var (
	errNoClaim = errors.New("peer claimed no piece overlapping the document before the claim wait ended")
	errChoked  = errors.New("waiting for the peer to unchoke us")
)

// session is the state of one probe after the connection is up. It is
// owned by one goroutine.
type session struct {
	p      *Prober
	t      *Target
	w      *wire
	res    *ProbeResult
	fast   bool
	ltep   bool
	pexSet map[netip.AddrPort]struct{}

	// What the peer claims. haveAll is set by HaveAll; otherwise have holds
	// the claimed pieces.
	claimsSeen bool
	haveAll    bool
	have       []bool
	choked     bool
	allowed    map[int]bool

	// The piece being downloaded (-1 when none).
	piece     int
	buf       []byte
	blocks    []blockState
	inFlight  int
	received  int
	rejects   int
	tried     map[int]bool
	verified  []int
	failed    []int
	docBytes  int64  // document bytes in verified pieces, equal to the catalogued copy's
	differs   []int  // verified pieces whose document bytes differ from the catalogued copy
	docBuf    []byte // the catalogued copy's bytes of the piece being compared
	claimWait time.Time
}

type blockState uint8

const (
	blockWanted blockState = iota
	blockRequested
	blockDone
)

func (p *Prober) run(ctx context.Context, t *Target, addr netip.AddrPort, a peerdial.Attempt, tr *transcript, res *ProbeResult) error {
	tr.record(TranscriptConnection, []byte(a.String()))
	conn, err := p.dial(ctx, addr, a, t.InfoHash)
	if err != nil {
		return &dialError{err}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // unblocks reads on cancel
	defer stop()
	res.Observation.ListenAddr = conn.LocalAddr().String()

	w := newWire(conn, tr, p.cfg.MaxBytes, t.NumPieces)
	s := &session{p: p, t: t, w: w, res: res, choked: true, piece: -1,
		allowed: map[int]bool{}, tried: map[int]bool{}, pexSet: map[netip.AddrPort]struct{}{}}
	err = s.run(ctx)
	s.finish()
	return err
}

func (s *session) run(ctx context.Context) error {
	deadline, _ := ctx.Deadline()
	hsDeadline := time.Now().Add(s.p.cfg.HandshakeTimeout)
	if deadline.IsZero() || hsDeadline.Before(deadline) {
		deadline = hsDeadline
	}
	_ = s.w.conn.SetDeadline(deadline)
	if err := s.handshake(); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("waiting for the peer's handshake: %w (%v)", context.DeadlineExceeded, err)
		}
		return err
	}
	_ = s.w.conn.SetWriteDeadline(time.Time{})
	if d, ok := ctx.Deadline(); ok {
		_ = s.w.conn.SetWriteDeadline(d)
	}
	if s.p.cfg.MaxLevel == L2Connected {
		return nil // the handshake is all that was asked
	}
	if err := s.greet(); err != nil {
		return err
	}
	s.claimWait = time.Now().Add(s.p.cfg.ClaimWait)
	for {
		done, err := s.step()
		if done || err != nil {
			return err
		}
		deadline, _ := ctx.Deadline()
		waitingClaims := !s.claimsOverlap()
		if waitingClaims && (deadline.IsZero() || s.claimWait.Before(deadline)) {
			deadline = s.claimWait
		}
		_ = s.w.conn.SetReadDeadline(deadline)
		m, skipped, err := s.w.readMsg()
		if err != nil {
			switch {
			case waitingClaims && !time.Now().Before(s.claimWait):
				return errNoClaim
			case ctx.Err() != nil:
				return s.stalled(ctx.Err(), nil)
			case errors.Is(err, os.ErrDeadlineExceeded):
				return s.stalled(context.DeadlineExceeded, err)
			}
			return err
		}
		if skipped {
			continue
		}
		if err := s.handle(m); err != nil {
			return err
		}
	}
}

// handshake sends ours and checks theirs; success is L2.
func (s *session) handshake() error {
	ours := peerwire.Handshake{Reserved: pp.NewPeerExtensionBytes(pp.ExtensionBitLtep, pp.ExtensionBitFast),
		InfoHash: s.t.InfoHash, PeerID: s.p.cfg.PeerID}
	if err := s.w.write(ours.Append(nil)); err != nil {
		return fmt.Errorf("write handshake: %w", err)
	}
	got, err := s.w.readHandshake()
	if err != nil {
		return err
	}
	if err := got.CheckInfoHash(s.t.InfoHash); err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	s.res.Extensions = got.Reserved
	s.fast = got.Reserved.SupportsFast()
	s.ltep = got.Reserved.SupportsExtended()
	o := &s.res.Observation
	o.Level = L2Connected
	o.PeerID = hex.EncodeToString(got.PeerID[:])
	o.Client = clientFromPeerID(got.PeerID[:])
	return nil
}

// greet sends what follows our handshake: the extended handshake (only
// ut_pex, no listen port), HaveNone when Fast is on (we claim nothing), and
// interested.
func (s *session) greet() error {
	if s.ltep {
		payload := extendedHandshake(s.p.cfg.ClientName)
		if err := s.w.writeMsg(pp.Message{Type: pp.Extended, ExtendedID: pp.HandshakeExtendedID, ExtendedPayload: payload}); err != nil {
			return err
		}
	}
	if s.fast {
		if err := s.w.writeMsg(pp.Message{Type: pp.HaveNone}); err != nil {
			return err
		}
	}
	return s.w.writeMsg(pp.Message{Type: pp.Interested})
}

// handle applies one message from the peer.
func (s *session) handle(m pp.Message) error {
	if m.Keepalive {
		return nil
	}
	switch m.Type {
	case pp.Bitfield:
		if s.claimsSeen {
			return fmt.Errorf("%w: bitfield after other claims", ErrProtocol)
		}
		for _, b := range m.Bitfield[s.t.NumPieces:] {
			if b {
				return fmt.Errorf("%w: bitfield spare bits set", ErrProtocol)
			}
		}
		s.claimsSeen = true
		s.have = m.Bitfield[:s.t.NumPieces]
	case pp.HaveAll, pp.HaveNone:
		if !s.fast {
			return fmt.Errorf("%w: %v without the Fast extension", ErrProtocol, m.Type)
		}
		if s.claimsSeen {
			return fmt.Errorf("%w: %v after other claims", ErrProtocol, m.Type)
		}
		s.claimsSeen = true
		s.haveAll = m.Type == pp.HaveAll
	case pp.Have:
		i := int(m.Index)
		if i >= s.t.NumPieces {
			return fmt.Errorf("%w: have %d of %d pieces", ErrProtocol, i, s.t.NumPieces)
		}
		s.claimsSeen = true
		if !s.haveAll {
			if s.have == nil {
				s.have = make([]bool, s.t.NumPieces)
			}
			s.have[i] = true
		}
	case pp.Choke:
		s.choked = true
		if !s.fast { // without Fast a choke drops every pending request
			s.unrequestAll()
		}
	case pp.Unchoke:
		s.choked = false
	case pp.AllowedFast:
		if int(m.Index) < s.t.NumPieces && len(s.allowed) < 1024 {
			s.allowed[int(m.Index)] = true
		}
	case pp.Request:
		// We never upload: reject when we can say so, else ignore.
		if s.fast {
			return s.w.writeMsg(pp.Message{Type: pp.Reject, Index: m.Index, Begin: m.Begin, Length: m.Length})
		}
	case pp.Reject:
		return s.onReject(m)
	case pp.Piece:
		return s.onBlock(m)
	case pp.Extended:
		s.onExtended(m)
	}
	return nil
}

// step starts or continues the download; done is true when the probe has
// what it came for.
func (s *session) step() (done bool, err error) {
	if s.p.cfg.MaxLevel == L3Claims {
		return s.claimsOverlap(), nil // claims are all that was asked: download nothing
	}
	if s.piece < 0 {
		if len(s.failed) > 0 || len(s.differs) > 0 {
			return true, nil // a peer that served bad data gets no second chance
		}
		if s.docBytes >= s.t.needDocBytes() && !s.p.cfg.FullCopy {
			return true, nil
		}
		next := s.nextPiece()
		if next < 0 {
			if len(s.verified) > 0 {
				return true, nil // nothing more this peer claims
			}
			return false, nil
		}
		s.startPiece(next)
	}
	if s.choked && !s.allowed[s.piece] {
		return false, nil
	}
	for i := range s.blocks {
		if s.inFlight >= maxOutstanding {
			break
		}
		if s.blocks[i] != blockWanted {
			continue
		}
		begin := int64(i) * BlockSize
		length := min(BlockSize, int64(len(s.buf))-begin)
		if err := s.w.writeMsg(pp.Message{Type: pp.Request, Index: pp.Integer(s.piece), Begin: pp.Integer(begin), Length: pp.Integer(length)}); err != nil {
			return false, err
		}
		s.blocks[i] = blockRequested
		s.inFlight++
	}
	return false, nil
}

// stalled is the error of a session that ran out of time (cause is
// context.DeadlineExceeded or ctx's error; err the read error, if any).
func (s *session) stalled(cause, err error) error {
	if s.piece >= 0 && s.choked && !s.allowed[s.piece] {
		return fmt.Errorf("%w: %w", errChoked, cause)
	}
	if err != nil {
		return fmt.Errorf("%s: %w (%v)", s.phase(), cause, err)
	}
	return fmt.Errorf("%s: %w", s.phase(), cause)
}

// phase says what the session was doing, for error messages.
func (s *session) phase() string {
	switch {
	case !s.claimsOverlap():
		return "waiting for the peer to claim a piece of the document"
	case s.piece >= 0 && s.choked && !s.allowed[s.piece]:
		return "waiting for the peer to unchoke us"
	case s.piece >= 0:
		return fmt.Sprintf("downloading piece %d (%d of %d blocks)", s.piece, s.received, len(s.blocks))
	}
	return "talking to the peer"
}

// claims reports whether the peer claims piece i.
func (s *session) claims(i int) bool {
	return s.haveAll || (s.have != nil && s.have[i])
}

func (s *session) claimsOverlap() bool {
	if s.haveAll {
		return true
	}
	for i := s.t.firstPiece(); i <= s.t.lastPiece() && s.have != nil; i++ {
		if s.have[i] {
			return true
		}
	}
	return false
}

// nextPiece picks a claimed, untried piece of the document. Interior pieces
// come first: they hold only document bytes, while the first and last may
// be shared with neighbouring files.
func (s *session) nextPiece() int {
	first, last := s.t.firstPiece(), s.t.lastPiece()
	for i := first + 1; i < last; i++ {
		if s.claims(i) && !s.tried[i] {
			return i
		}
	}
	for _, i := range []int{first, last} {
		if s.claims(i) && !s.tried[i] {
			return i
		}
	}
	return -1
}

func (s *session) startPiece(i int) {
	n := s.t.pieceLen(i)
	s.piece = i
	s.tried[i] = true
	if int64(cap(s.buf)) >= n {
		s.buf = s.buf[:n]
	} else {
		s.buf = make([]byte, n)
	}
	nb := int((n + BlockSize - 1) / BlockSize)
	s.blocks = make([]blockState, nb)
	s.inFlight, s.received = 0, 0
}

func (s *session) unrequestAll() {
	for i, b := range s.blocks {
		if b == blockRequested {
			s.blocks[i] = blockWanted
		}
	}
	s.inFlight = 0
}

// block returns the block index of (index, begin, length) in the current
// piece, or -1.
func (s *session) block(index, begin, length pp.Integer) int {
	if s.piece < 0 || int(index) != s.piece || begin%BlockSize != 0 {
		return -1
	}
	i := int(begin / BlockSize)
	if i >= len(s.blocks) || int64(length) != min(BlockSize, int64(len(s.buf))-int64(begin)) {
		return -1
	}
	return i
}

func (s *session) onReject(m pp.Message) error {
	i := s.block(m.Index, m.Begin, m.Length)
	if i < 0 || s.blocks[i] != blockRequested {
		return nil
	}
	s.rejects++
	if s.rejects > maxRejects {
		return fmt.Errorf("peer rejected %d requests", s.rejects)
	}
	s.blocks[i] = blockWanted
	s.inFlight--
	return nil
}

func (s *session) onBlock(m pp.Message) error {
	i := s.block(m.Index, m.Begin, pp.Integer(len(m.Piece)))
	if i < 0 || s.blocks[i] != blockRequested {
		return nil // unrequested data: counted against the byte limit, not used
	}
	copy(s.buf[m.Begin:], m.Piece)
	s.blocks[i] = blockDone
	s.inFlight--
	s.received++
	if s.received < len(s.blocks) {
		return nil
	}
	if sha1.Sum(s.buf) != s.t.PieceHashes[s.piece] {
		s.failed = append(s.failed, s.piece)
		s.piece = -1
		return nil
	}
	s.verified = append(s.verified, s.piece)
	if err := s.compareDocument(); err != nil {
		return err
	}
	s.piece = -1
	return nil
}

// compareDocument compares the document's bytes in the verified piece with
// the catalogued copy. Equal bytes count towards L4; different bytes mean
// the torrent's piece hash does not describe the catalogued document there
// (a crafted torrent), and the probe stops below L4.
func (s *session) compareDocument() error {
	inPiece, inDoc, n := s.t.docOverlap(s.piece)
	if n == 0 || s.t.Doc == nil {
		return nil
	}
	if int64(cap(s.docBuf)) < n {
		s.docBuf = make([]byte, n)
	}
	want := s.docBuf[:n]
	if got, err := s.t.Doc.ReadAt(want, inDoc); got < len(want) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read the catalogued document at %d: %w", inDoc, err)
	}
	if !bytes.Equal(s.buf[inPiece:inPiece+n], want) {
		s.differs = append(s.differs, s.piece)
		return nil
	}
	s.docBytes += n
	return nil
}

// finish grades the observation from what the session saw.
func (s *session) finish() {
	o := &s.res.Observation
	if o.Level < L2Connected {
		return
	}
	var claimed []int
	count := 0
	for i := s.t.firstPiece(); i <= s.t.lastPiece(); i++ {
		if s.claims(i) {
			count++
			if len(claimed) < s.p.cfg.MaxClaimed {
				claimed = append(claimed, i)
			}
		}
	}
	o.PiecesClaimed, o.ClaimedCount = claimed, count
	sort.Ints(s.verified)
	sort.Ints(s.failed)
	o.PiecesVerified, o.PiecesFailed = s.verified, s.failed
	o.DocBytesVerified = s.docBytes
	o.Level = L2Connected
	if count > 0 {
		o.Level = L3Claims
	}
	// Bad data never rises above L3; nor does a piece whose document bytes
	// differ from the catalogued copy, nor edge pieces holding less than
	// min(document size, piece length) bytes of the document.
	if len(s.failed) == 0 && len(s.differs) == 0 && s.docBytes >= s.t.needDocBytes() {
		o.Level = L4Served
		if s.p.cfg.FullCopy && len(s.verified) == s.t.lastPiece()-s.t.firstPiece()+1 && s.docBytes == s.t.DocLength {
			o.Level = L5FullCopy
		}
	}
	switch {
	case len(s.failed) > 0 || len(s.differs) > 0:
		o.Reason = ReasonBadData
	case o.Level == L3Claims && len(s.verified) > 0 && s.p.cfg.MaxLevel != L3Claims:
		o.Reason = ReasonEdgeOnly
	}
	if len(s.differs) > 0 && o.Error == "" {
		o.Error = fmt.Sprintf("piece %d matched the torrent's hash but its bytes in the document's range differ from the catalogued copy", s.differs[0])
	}
	if len(s.pexSet) > 0 {
		s.res.PEX = make([]netip.AddrPort, 0, len(s.pexSet))
		for a := range s.pexSet {
			s.res.PEX = append(s.res.PEX, a)
		}
		sort.Slice(s.res.PEX, func(i, j int) bool { return s.res.PEX[i].Compare(s.res.PEX[j]) < 0 })
	}
}
