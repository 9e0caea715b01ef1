package ed2k

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/leakhunt/leakhunt/internal/ed2kwire"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Errors that say why a probe stopped short.
var (
	ErrNoFile   = errors.New("the peer does not share the file")
	ErrNoParts  = errors.New("the peer claims no part of the file")
	ErrQueued   = errors.New("the peer queued us instead of giving an upload slot")
	ErrCanceled = errors.New("the peer canceled the transfer")
	ErrMismatch = errors.New("the served bytes differ from the catalogued copy")
	ErrShort    = errors.New("the served block is too short to prove the document")
)

// maxDataBody is the largest data packet body: a whole block and the
// largest data header.
const maxDataBody = BlockSize + 16 + 8 + 8

// maxPackedOverhead is how much larger than the block a compressed block's
// stream may say it is (zlib's worst case is a few bytes per 16 KiB).
const maxPackedOverhead = 1024

// session is one probe's connection and state.
type session struct {
	cfg    *Config
	target Target
	res    *Result

	conn    net.Conn
	r       *bufio.Reader
	lim     *limitedReader
	packets int

	info         *ed2kwire.EMuleInfo
	hello        *ed2kwire.Hello
	infoAnswered bool
}

// limitedReader fails with ErrLimit once more than max bytes were read.
type limitedReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n >= l.max {
		return 0, fmt.Errorf("%w: %d bytes read from the peer", ErrLimit, l.n)
	}
	p = p[:min(int64(len(p)), l.max-l.n)]
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func (s *session) reach(l Level) {
	if l > s.res.Level {
		s.res.Level = l
	}
}

func (s *session) run(ctx context.Context, addr netip.AddrPort) error {
	conn, err := s.dial(ctx, addr)
	if err != nil {
		s.res.Reason = "connect failed"
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	// A canceled context unblocks a read or write at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	s.conn = conn
	s.lim = &limitedReader{r: conn, max: s.cfg.MaxBytes}
	s.r = bufio.NewReaderSize(s.lim, 32<<10)
	if la, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		ap := la.AddrPort()
		s.res.Local = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}

	if err := s.handshake(ctx); err != nil {
		return err
	}
	if err := s.fileStatus(ctx); err != nil {
		return err
	}
	if s.res.Level >= s.cfg.MaxLevel {
		s.res.Reason = fmt.Sprintf("stopped at %v as configured", s.cfg.MaxLevel)
		return nil
	}
	block := chooseBlock(s.target.Size, s.res.PartsClaimed)
	s.res.Requested = block
	if err := s.uploadSlot(ctx); err != nil {
		return err
	}
	data, err := s.download(ctx, block)
	if err != nil {
		return err
	}
	// Free the slot: we want nothing more.
	_ = s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpCancelTransfer})
	return s.compare(block, data)
}

func (s *session) handshake(ctx context.Context) error {
	if err := s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpHello, Body: ourHello(s.cfg).Marshal(true)}); err != nil {
		s.res.Reason = "sending hello failed"
		return err
	}
	err := s.until(ctx, s.cfg.HelloTimeout, "the hello answer", func(p ed2kwire.Packet) (bool, error) {
		if p.Proto != ed2kwire.ProtoED2K || p.Opcode != ed2kwire.OpHelloAnswer {
			return false, nil
		}
		h, err := ed2kwire.ParseHello(p.Body, false)
		if err != nil {
			return false, err
		}
		s.hello = &h
		return true, nil
	})
	if err != nil {
		return err
	}
	s.res.Client = clientInfo(*s.hello, s.info)
	return nil
}

func (s *session) fileStatus(ctx context.Context) error {
	hash := s.target.Hash
	for _, op := range []byte{ed2kwire.OpRequestFileName, ed2kwire.OpSetReqFileID} {
		if err := s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: op, Body: hash[:]}); err != nil {
			s.res.Reason = "sending the file request failed"
			return err
		}
	}
	var gotName, gotStatus bool
	return s.until(ctx, s.cfg.FileTimeout, "the file status", func(p ed2kwire.Packet) (bool, error) {
		if p.Proto != ed2kwire.ProtoED2K {
			return false, nil
		}
		switch p.Opcode {
		case ed2kwire.OpReqFileNameAns:
			h, name, err := ed2kwire.ParseFileName(p.Body)
			if err != nil {
				return false, err
			}
			if h != hash {
				return false, fmt.Errorf("%w: file name answer for %x", ErrProtocol, h)
			}
			gotName, s.res.FileName = true, name
			s.reach(L2Connected)
		case ed2kwire.OpFileStatus:
			fs, err := ed2kwire.ParseFileStatus(p.Body, s.target.Size)
			if err != nil {
				return false, err
			}
			if fs.Hash != hash {
				return false, fmt.Errorf("%w: file status for %x", ErrProtocol, fs.Hash)
			}
			gotStatus = true
			s.res.Complete, s.res.PartsClaimed = fs.Complete, fs.Claimed
			s.reach(L2Connected)
			if len(fs.Claimed) > 0 {
				s.reach(L3Claims)
			}
		case ed2kwire.OpFileReqAnsNoFile:
			if len(p.Body) >= 16 && bytes.Equal(p.Body[:16], hash[:]) {
				s.res.Reason = "no file"
				return false, ErrNoFile
			}
		}
		if gotStatus && s.res.Level < L3Claims {
			s.res.Reason = "no part claimed"
			return false, ErrNoParts
		}
		return gotStatus || (gotName && s.cfg.MaxLevel <= L2Connected), nil
	})
}

func (s *session) uploadSlot(ctx context.Context) error {
	hash := s.target.Hash
	if err := s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpStartUploadReq, Body: hash[:]}); err != nil {
		s.res.Reason = "sending the upload request failed"
		return err
	}
	return s.until(ctx, s.cfg.UploadTimeout, "an upload slot", func(p ed2kwire.Packet) (bool, error) {
		switch {
		case p.Proto == ed2kwire.ProtoED2K && p.Opcode == ed2kwire.OpAcceptUploadReq:
			return true, nil
		case p.Proto == ed2kwire.ProtoED2K && p.Opcode == ed2kwire.OpQueueRank, p.Proto == ed2kwire.ProtoEMule && p.Opcode == ed2kwire.OpQueueRanking:
			rank, err := ed2kwire.ParseQueueRank(p)
			if err != nil {
				return false, err
			}
			s.res.Queued, s.res.QueueRank, s.res.Reason = true, rank, "queued"
			return false, fmt.Errorf("%w (rank %d)", ErrQueued, rank)
		case p.Proto == ed2kwire.ProtoED2K && p.Opcode == ed2kwire.OpFileReqAnsNoFile:
			s.res.Reason = "no file"
			return false, ErrNoFile
		case p.Proto == ed2kwire.ProtoED2K && (p.Opcode == ed2kwire.OpCancelTransfer || p.Opcode == ed2kwire.OpOutOfPartReqs):
			s.res.Reason = "canceled"
			return false, ErrCanceled
		}
		return false, nil
	})
}

// download requests block and receives it, plain or compressed.
func (s *session) download(ctx context.Context, block Range) ([]byte, error) {
	hash := s.target.Hash
	if err := s.send(ed2kwire.RequestParts(hash, uint64(block.Start), uint64(block.End))); err != nil {
		s.res.Reason = "sending the block request failed"
		return nil, err
	}
	n := block.Len()
	data := make([]byte, n)
	var got []Range // received plain ranges, relative to the block, sorted
	var have int64
	var packed []byte
	var packedSize uint32
	err := s.until(ctx, s.cfg.BlockTimeout, "the block", func(p ed2kwire.Packet) (bool, error) {
		switch {
		case p.Proto == ed2kwire.ProtoED2K && (p.Opcode == ed2kwire.OpCancelTransfer || p.Opcode == ed2kwire.OpOutOfPartReqs):
			s.res.Reason = "canceled"
			return false, ErrCanceled
		case !ed2kwire.IsData(p.Proto, p.Opcode):
			return false, nil
		}
		d, err := ed2kwire.ParseData(p)
		if err != nil {
			return false, err
		}
		if d.Hash != hash {
			return false, fmt.Errorf("%w: data for another file %x", ErrProtocol, d.Hash)
		}
		if d.Packed {
			if have > 0 || d.Start != uint64(block.Start) {
				return false, fmt.Errorf("%w: compressed data at %d, block %d-%d", ErrProtocol, d.Start, block.Start, block.End)
			}
			if packedSize == 0 {
				if d.PackedSize == 0 || int64(d.PackedSize) > n+maxPackedOverhead {
					return false, fmt.Errorf("%w: compressed block of %d bytes for %d", ErrLimit, d.PackedSize, n)
				}
				packedSize = d.PackedSize
			}
			if d.PackedSize != packedSize || len(packed)+len(d.Data) > int(packedSize) {
				return false, fmt.Errorf("%w: compressed stream overruns its %d bytes", ErrProtocol, packedSize)
			}
			s.res.Compressed = true
			packed = append(packed, d.Data...)
			if len(packed) < int(packedSize) {
				return false, nil
			}
			out, err := emulewire.Inflate(packed, int(n))
			if err != nil {
				return false, fmt.Errorf("%w: compressed block: %w", ErrProtocol, err)
			}
			if int64(len(out)) != n {
				return false, fmt.Errorf("%w: compressed block holds %d bytes, want %d", ErrProtocol, len(out), n)
			}
			copy(data, out)
			return true, nil
		}
		if packed != nil {
			return false, fmt.Errorf("%w: plain data inside a compressed block", ErrProtocol)
		}
		if d.Start < uint64(block.Start) || d.End > uint64(block.End) {
			return false, fmt.Errorf("%w: data %d-%d outside the block %d-%d", ErrProtocol, d.Start, d.End, block.Start, block.End)
		}
		r := Range{int64(d.Start) - block.Start, int64(d.End) - block.Start}
		var ok bool
		if got, ok = addRange(got, r); !ok {
			return false, fmt.Errorf("%w: data %d-%d sent twice", ErrProtocol, d.Start, d.End)
		}
		copy(data[r.Start:], d.Data)
		have += r.Len()
		return have == n, nil
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// addRange inserts r into the sorted, disjoint list rs; it reports false
// when r overlaps a range already there.
func addRange(rs []Range, r Range) ([]Range, bool) {
	if r.Len() <= 0 {
		return rs, true
	}
	i := 0
	for i < len(rs) && rs[i].End <= r.Start {
		i++
	}
	if i < len(rs) && rs[i].Start < r.End {
		return rs, false
	}
	rs = append(rs, Range{})
	copy(rs[i+1:], rs[i:])
	rs[i] = r
	return rs, true
}

// compare checks the block against the catalogued copy.
func (s *session) compare(block Range, data []byte) error {
	want := make([]byte, len(data))
	if n, err := s.target.Doc.ReadAt(want, block.Start); n < len(want) {
		s.res.Reason = "reading the catalogued copy failed"
		return fmt.Errorf("read catalogued copy at %d: %w", block.Start, err)
	}
	s.res.BytesCompared = int64(len(data))
	for i := range data {
		if data[i] != want[i] {
			s.res.MismatchAt = block.Start + int64(i)
			s.res.Reason = "served bytes differ"
			return fmt.Errorf("%w at offset %d", ErrMismatch, s.res.MismatchAt)
		}
	}
	if int64(len(data)) < min(s.target.Size, BlockSize) {
		s.res.Reason = "block too short"
		return fmt.Errorf("%w (%d bytes)", ErrShort, len(data))
	}
	s.res.Verified = block
	s.reach(L4Served)
	s.res.Reason = "served"
	return nil
}

// chooseBlock picks the block to request: the first block of the first
// claimed part that is a full block (or the whole document when it is
// shorter than a block); failing that, the longest first block of a
// claimed part. Blocks never cross a part boundary.
func chooseBlock(size int64, claimed []int) Range {
	want := min(size, BlockSize)
	best := Range{}
	for _, p := range claimed {
		start := int64(p) * PartSize
		partEnd := min(start+PartSize, size)
		r := Range{start, min(start+BlockSize, partEnd)}
		if r.Len() >= want {
			return r
		}
		if r.Len() > best.Len() {
			best = r
		}
	}
	return best
}

// send writes one packet and records it.
func (s *session) send(p ed2kwire.Packet) error {
	s.res.Transcript = append(s.res.Transcript, recordPacket(DirWrite, p, time.Now()))
	if err := s.conn.SetWriteDeadline(time.Now().Add(s.cfg.DialTimeout)); err != nil {
		return err
	}
	if _, err := s.conn.Write(p.Marshal()); err != nil {
		return fmt.Errorf("send 0x%02X/0x%02X: %w", p.Proto, p.Opcode, err)
	}
	return nil
}

// until reads packets until handle reports done or fails, for at most
// timeout. It answers, on the way, what any peer may ask of us: the eMule
// info packet, and requests for our (non-existent) files.
func (s *session) until(ctx context.Context, timeout time.Duration, what string, handle func(ed2kwire.Packet) (bool, error)) error {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := s.conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	for {
		p, err := s.readPacket()
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, ErrLimit) {
				err = ctx.Err()
			}
			s.res.Reason = "read failed waiting for " + what
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
				s.res.Reason = "timeout waiting for " + what
			}
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if p, err = ed2kwire.Unpack(p, s.cfg.MaxPacket); err != nil {
			s.res.Reason = "bad packed packet"
			return err
		}
		if err := s.common(p); err != nil {
			return err
		}
		done, err := handle(p)
		if err != nil {
			if s.res.Reason == "" {
				s.res.Reason = "protocol violation waiting for " + what
			}
			return err
		}
		if done {
			return nil
		}
	}
}

// common handles packets that may come at any time.
func (s *session) common(p ed2kwire.Packet) error {
	switch {
	case p.Proto == ed2kwire.ProtoEMule && p.Opcode == ed2kwire.OpEMuleInfo:
		info, err := ed2kwire.ParseEMuleInfo(p.Body)
		if err != nil {
			s.res.Reason = "bad eMule info"
			return err
		}
		s.info = &info
		if s.hello != nil {
			s.res.Client = clientInfo(*s.hello, s.info)
		}
		if !s.infoAnswered {
			s.infoAnswered = true
			return s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoEMule, Opcode: ed2kwire.OpEMuleInfoAnswer, Body: emuleInfoAnswer(s.cfg)})
		}
	case p.Proto == ed2kwire.ProtoED2K && (p.Opcode == ed2kwire.OpRequestFileName || p.Opcode == ed2kwire.OpSetReqFileID) && len(p.Body) >= 16:
		// We share nothing: whatever file the peer asks about, we have not.
		return s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpFileReqAnsNoFile, Body: bytes.Clone(p.Body[:16])})
	case p.Proto == ed2kwire.ProtoED2K && (p.Opcode == ed2kwire.OpAskSharedFiles || p.Opcode == ed2kwire.OpAskSharedDirs):
		return s.send(ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpAskSharedDenied})
	}
	return nil
}

// readPacket reads and records one packet under the probe's limits.
func (s *session) readPacket() (ed2kwire.Packet, error) {
	if s.packets >= s.cfg.MaxPackets {
		return ed2kwire.Packet{}, fmt.Errorf("%w: %d packets", ErrLimit, s.packets)
	}
	var h [ed2kwire.HeaderSize]byte
	n, err := io.ReadFull(s.r, h[:])
	if err != nil {
		if n > 0 {
			s.cut(h[:n], nil)
		}
		return ed2kwire.Packet{}, err
	}
	proto, op, size, err := ed2kwire.ReadHeader(h[:], s.cfg.MaxPacket, maxDataBody)
	if err != nil {
		s.cut(h[:], nil)
		return ed2kwire.Packet{}, err
	}
	s.packets++
	body := make([]byte, size)
	if m, err := io.ReadFull(s.r, body); err != nil {
		s.cut(h[:], body[:m])
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return ed2kwire.Packet{}, err
	}
	p := ed2kwire.Packet{Proto: proto, Opcode: op, Body: body}
	s.res.Transcript = append(s.res.Transcript, recordPacket(DirRead, p, time.Now()))
	return p, nil
}

// cut records a packet read only in part, redacted like a whole one.
func (s *session) cut(header, body []byte) {
	rec := Record{Time: time.Now().UTC(), Dir: DirRead, Kind: KindCut, Bytes: bytes.Clone(header)}
	if len(header) == ed2kwire.HeaderSize && len(body) > 0 {
		r := recordPacket(DirRead, ed2kwire.Packet{Proto: header[0], Opcode: header[5], Body: body}, time.Now())
		rec.Bytes = append(rec.Bytes[:ed2kwire.HeaderSize], r.Bytes[ed2kwire.HeaderSize:]...)
	}
	s.res.Transcript = append(s.res.Transcript, rec)
}
