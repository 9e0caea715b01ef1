package emulefixture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/internal/ed2kwire"
	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// PeerBehaviour is how a fixture ed2k peer behaves.
type PeerBehaviour int

const (
	// PeerHonest serves the file like aMule: eMule info, hello answer, file
	// name and status, an upload slot at once, the requested blocks.
	PeerHonest PeerBehaviour = iota
	// PeerLiar claims the file and serves wrong bytes (one byte flipped).
	PeerLiar
	// PeerHugeLength answers the hello with a packet header announcing
	// nearly 4 GiB.
	PeerHugeLength
	// PeerBadZlib serves the block as a compressed part that is not zlib.
	PeerBadZlib
	// PeerZipBomb serves the block as a compressed part that inflates far
	// beyond the block.
	PeerZipBomb
	// PeerEndlessQueue answers the upload request with queue rankings,
	// again and again.
	PeerEndlessQueue
	// PeerSlowDrip sends its hello answer one byte every 200 ms.
	PeerSlowDrip
	// PeerNoFile says it does not have the file.
	PeerNoFile
	// PeerTagFlood answers the hello with 200 tags.
	PeerTagFlood
	// PeerWrongRange serves bytes outside the requested block.
	PeerWrongRange
	// PeerFlood answers the upload request with endless unknown packets.
	PeerFlood
	// PeerSilent accepts the connection and never says anything.
	PeerSilent
)

// PeerOptions configure [StartPeer].
type PeerOptions struct {
	Hash [16]byte
	Size int64
	Data io.ReaderAt
	Name string
	// Parts lists the parts the peer claims; nil claims the whole file.
	Parts []int
	// Compress serves blocks as zlib streams (COMPRESSEDPART) when the peer
	// asked for compression.
	Compress  bool
	Behaviour PeerBehaviour
	// UserHash is the peer's user hash (random with eMule marks if zero).
	UserHash [16]byte
}

// PeerStats count what a fixture peer did.
type PeerStats struct {
	Connections    int64
	UploadRequests int64
	BlocksServed   int64
	BytesServed    int64
	InfoAnswers    int64 // eMule info answers received from the client
}

// Peer is a fixture ed2k peer on 127.0.0.1. It is safe for concurrent use;
// Close stops it and waits for its connections.
type Peer struct {
	opts PeerOptions
	ln   net.Listener
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool

	connections, uploads, blocks, bytes, infos atomic.Int64
}

// StartPeer starts a fixture ed2k peer on 127.0.0.1.
func StartPeer(o PeerOptions) (*Peer, error) {
	if o.UserHash == ([16]byte{}) {
		o.UserHash = ed2k.NewUserHash()
	}
	if o.Behaviour == PeerZipBomb {
		zipBomb() // built now, not while a prober waits for the block
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fixture ed2k peer: %w", err)
	}
	p := &Peer{opts: o, ln: ln, conns: make(map[net.Conn]bool)}
	p.wg.Add(1)
	go p.accept() // owned by p: Close closes the listener and waits
	return p, nil
}

// Addr returns the peer's TCP address.
func (p *Peer) Addr() netip.AddrPort { return p.ln.Addr().(*net.TCPAddr).AddrPort() }

// Stats returns the peer's counters.
func (p *Peer) Stats() PeerStats {
	return PeerStats{Connections: p.connections.Load(), UploadRequests: p.uploads.Load(),
		BlocksServed: p.blocks.Load(), BytesServed: p.bytes.Load(), InfoAnswers: p.infos.Load()}
}

// Close stops the peer and its connections.
func (p *Peer) Close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Peer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.connections.Add(1)
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() { // owned by p
			defer p.wg.Done()
			defer func() {
				p.mu.Lock()
				delete(p.conns, c)
				p.mu.Unlock()
				c.Close()
			}()
			c.SetDeadline(time.Now().Add(2 * time.Minute))
			p.serve(c)
		}()
	}
}

func (p *Peer) serve(c net.Conn) {
	o := &p.opts
	r := bufio.NewReader(c)
	w := func(proto, op byte, body []byte) error {
		_, err := c.Write(ed2kwire.Packet{Proto: proto, Opcode: op, Body: body}.Marshal())
		return err
	}
	compression := false
	for {
		pk, err := ed2kwire.ReadPacket(r, 64<<10, 64<<10)
		if err != nil {
			return
		}
		switch {
		case pk.Proto == ed2kwire.ProtoED2K && pk.Opcode == ed2kwire.OpHello:
			if o.Behaviour == PeerSilent {
				continue
			}
			hello, err := ed2kwire.ParseHello(pk.Body, true)
			if err != nil {
				return
			}
			compression = helloWantsCompression(hello)
			if err := p.greet(c, w); err != nil {
				return
			}
		case pk.Proto == ed2kwire.ProtoEMule && pk.Opcode == ed2kwire.OpEMuleInfoAnswer:
			p.infos.Add(1)
		case pk.Proto == ed2kwire.ProtoED2K && pk.Opcode == ed2kwire.OpRequestFileName:
			if o.Behaviour == PeerNoFile || !hashIs(pk.Body, o.Hash) {
				continue // aMule does not answer for files it lacks
			}
			name := []byte(o.Name)
			body := binary.LittleEndian.AppendUint16(append(o.Hash[:0:0], o.Hash[:]...), uint16(len(name)))
			w(ed2kwire.ProtoED2K, ed2kwire.OpReqFileNameAns, append(body, name...))
		case pk.Proto == ed2kwire.ProtoED2K && pk.Opcode == ed2kwire.OpSetReqFileID:
			if o.Behaviour == PeerNoFile || !hashIs(pk.Body, o.Hash) {
				w(ed2kwire.ProtoED2K, ed2kwire.OpFileReqAnsNoFile, pk.Body[:min(16, len(pk.Body))])
				continue
			}
			w(ed2kwire.ProtoED2K, ed2kwire.OpFileStatus, p.fileStatus())
		case pk.Proto == ed2kwire.ProtoED2K && pk.Opcode == ed2kwire.OpStartUploadReq:
			p.uploads.Add(1)
			if err := p.upload(w); err != nil {
				return
			}
		case pk.Proto == ed2kwire.ProtoED2K && pk.Opcode == ed2kwire.OpRequestParts,
			pk.Proto == ed2kwire.ProtoEMule && pk.Opcode == ed2kwire.OpRequestParts64:
			if err := p.serveParts(c, w, pk, compression); err != nil {
				return
			}
		case pk.Proto == ed2kwire.ProtoED2K && pk.Opcode == ed2kwire.OpCancelTransfer:
			return
		}
	}
}

func hashIs(b []byte, h [16]byte) bool { return len(b) >= 16 && [16]byte(b[:16]) == h }

// helloWantsCompression reads the data compression version of a hello.
func helloWantsCompression(h ed2kwire.Hello) bool {
	for _, t := range h.Tags {
		if id, _ := t.ID(); id == ed2kwire.TagMiscOptions1 {
			v, _ := t.Uint()
			return (v>>20)&0x0F >= 1
		}
	}
	return false
}

// greet sends the eMule info and hello answer, or misbehaves.
func (p *Peer) greet(c net.Conn, w func(byte, byte, []byte) error) error {
	o := &p.opts
	hello := ed2kwire.Hello{UserHash: o.UserHash, Port: 4662, Tags: []ed2kwire.Tag{
		emulewire.StringTag(ed2kwire.TagName, "fixture peer"),
		emulewire.Uint32Tag(ed2kwire.TagVersion, 0x3C),
		emulewire.Uint32Tag(ed2kwire.TagMuleVersion, 3<<24|2<<17|3<<10|3<<7),
	}}
	switch o.Behaviour {
	case PeerHugeLength:
		_, err := c.Write([]byte{ed2kwire.ProtoED2K, 0xF0, 0xFF, 0xFF, 0xFF, ed2kwire.OpHelloAnswer, 1, 2, 3})
		return err
	case PeerTagFlood:
		for range 200 {
			hello.Tags = append(hello.Tags, emulewire.Uint32Tag(0x99, 1))
		}
	case PeerSlowDrip:
		for _, b := range (ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpHelloAnswer, Body: hello.Marshal(false)}).Marshal() {
			if _, err := c.Write([]byte{b}); err != nil {
				return err
			}
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	}
	info := []byte{0x47, 0x01}
	infoTags := []ed2kwire.Tag{emulewire.Uint32Tag(0x20, 1), emulewire.Uint32Tag(0x26, 3), emulewire.StringTag(ed2kwire.TagModVersion, "fixture 1.0")}
	info = binary.LittleEndian.AppendUint32(info, uint32(len(infoTags)))
	for _, t := range infoTags {
		info = emulewire.AppendTag(info, t)
	}
	if err := w(ed2kwire.ProtoEMule, ed2kwire.OpEMuleInfo, info); err != nil {
		return err
	}
	return w(ed2kwire.ProtoED2K, ed2kwire.OpHelloAnswer, hello.Marshal(false))
}

// fileStatus returns the FILESTATUS body for the claimed parts.
func (p *Peer) fileStatus() []byte {
	o := &p.opts
	b := append([]byte(nil), o.Hash[:]...)
	if o.Parts == nil {
		return binary.LittleEndian.AppendUint16(b, 0)
	}
	count := int(o.Size/ed2kwire.PartSize) + 1
	b = binary.LittleEndian.AppendUint16(b, uint16(count))
	bitmap := make([]byte, (count+7)/8)
	for _, i := range o.Parts {
		bitmap[i/8] |= 1 << (i % 8)
	}
	return append(b, bitmap...)
}

// upload answers an upload request.
func (p *Peer) upload(w func(byte, byte, []byte) error) error {
	switch p.opts.Behaviour {
	case PeerEndlessQueue:
		for rank := 1; ; rank++ {
			body := binary.LittleEndian.AppendUint16(nil, uint16(rank))
			if err := w(ed2kwire.ProtoEMule, ed2kwire.OpQueueRanking, append(body, make([]byte, 10)...)); err != nil {
				return err
			}
			time.Sleep(10 * time.Millisecond)
		}
	case PeerFlood:
		for {
			if err := w(ed2kwire.ProtoEMule, 0x77, make([]byte, 1000)); err != nil {
				return err
			}
		}
	}
	return w(ed2kwire.ProtoED2K, ed2kwire.OpAcceptUploadReq, nil)
}

// serveParts sends the blocks a REQUESTPARTS asks for.
func (p *Peer) serveParts(c net.Conn, w func(byte, byte, []byte) error, pk ed2kwire.Packet, compression bool) error {
	o := &p.opts
	large := pk.Opcode == ed2kwire.OpRequestParts64
	rd := emulewire.NewReader(pk.Body[16:])
	var starts, ends [3]uint64
	for i := range 6 {
		v := uint64(0)
		if large {
			v = rd.U64()
		} else {
			v = uint64(rd.U32())
		}
		if i < 3 {
			starts[i] = v
		} else {
			ends[i-3] = v
		}
	}
	if rd.Err() != nil {
		return rd.Err()
	}
	for i := range 3 {
		start, end := starts[i], ends[i]
		if end <= start || end > uint64(o.Size) || end-start > 3*ed2kwire.BlockSize {
			continue
		}
		data := make([]byte, end-start)
		if _, err := o.Data.ReadAt(data, int64(start)); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if o.Behaviour == PeerLiar {
			data[len(data)/2] ^= 0xFF
		}
		if o.Behaviour == PeerWrongRange {
			start, end = start+ed2kwire.BlockSize, end+ed2kwire.BlockSize
		}
		p.blocks.Add(1)
		p.bytes.Add(int64(len(data)))
		var err error
		switch {
		case o.Behaviour == PeerBadZlib:
			err = sendPacked(w, o.Hash, start, end, []byte("this is not a zlib stream at all"))
		case o.Behaviour == PeerZipBomb:
			err = sendPacked(w, o.Hash, start, end, zipBomb())
		case o.Compress && compression:
			err = sendPacked(w, o.Hash, start, end, emulewire.Deflate(data))
		default:
			err = sendPlain(w, o.Hash, start, data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// zipBomb is a zlib stream of 4 KiB that inflates to 4 MiB.
var zipBomb = sync.OnceValue(func() []byte { return emulewire.Deflate(make([]byte, 4<<20)) })

// sendPlain sends data as SENDINGPART packets of about 10 KB, like aMule.
func sendPlain(w func(byte, byte, []byte) error, hash [16]byte, start uint64, data []byte) error {
	for len(data) > 0 {
		n := min(len(data), 10240)
		end := start + uint64(n)
		body := append([]byte(nil), hash[:]...)
		proto, op := ed2kwire.ProtoED2K, ed2kwire.OpSendingPart
		if end > 0xFFFFFFFF {
			proto, op = ed2kwire.ProtoEMule, ed2kwire.OpSendingPart64
			body = binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(body, start), end)
		} else {
			body = binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(body, uint32(start)), uint32(end))
		}
		if err := w(proto, op, append(body, data[:n]...)); err != nil {
			return err
		}
		start, data = end, data[n:]
	}
	return nil
}

// sendPacked sends a compressed block stream as COMPRESSEDPART packets.
func sendPacked(w func(byte, byte, []byte) error, hash [16]byte, start, end uint64, z []byte) error {
	total := uint32(len(z))
	for len(z) > 0 {
		n := min(len(z), 10240)
		body := append([]byte(nil), hash[:]...)
		op := ed2kwire.OpCompressedPart
		if end > 0xFFFFFFFF {
			op = ed2kwire.OpCompressedPart64
			body = binary.LittleEndian.AppendUint64(body, start)
		} else {
			body = binary.LittleEndian.AppendUint32(body, uint32(start))
		}
		body = binary.LittleEndian.AppendUint32(body, total)
		if err := w(ed2kwire.ProtoEMule, op, append(body, z[:n]...)); err != nil {
			return err
		}
		z = z[n:]
	}
	return nil
}
