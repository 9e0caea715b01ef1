package kad

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Protocol bytes of Kad UDP packets. A packet is <protocol 1><opcode 1>
// <body>; with ProtoPacked the body is a zlib stream.
const (
	ProtoKad    byte = 0xE4
	ProtoPacked byte = 0xE5
)

// Kad2 opcodes (aMule kad2/Client2Client/UDP.h).
const (
	OpBootstrapReq    byte = 0x01
	OpBootstrapRes    byte = 0x09
	OpHelloReq        byte = 0x11
	OpHelloRes        byte = 0x19
	OpReq             byte = 0x21
	OpRes             byte = 0x29
	OpSearchKeyReq    byte = 0x33
	OpSearchSourceReq byte = 0x34
	OpSearchRes       byte = 0x3B
	OpPublishKeyReq   byte = 0x43
	OpPublishSrcReq   byte = 0x44
	OpPublishRes      byte = 0x4B
	OpPing            byte = 0x60
	OpPong            byte = 0x61
)

// Request types of [Req]: the number of contacts asked for.
const (
	FindValue byte = 0x02
	Store     byte = 0x04
	FindNode  byte = 0x0B
)

// Tag names (one byte) used in Kad results and hellos (aMule FileTags.h).
const (
	TagFileName    byte = 0x01
	TagFileSize    byte = 0x02
	TagFileType    byte = 0x03
	TagSources     byte = 0x15
	TagPublishInfo byte = 0x33
	TagKadMisc     byte = 0xF2
	TagEncryption  byte = 0xF3
	TagBuddyHash   byte = 0xF8
	TagServerPort  byte = 0xFA
	TagServerIP    byte = 0xFB
	TagSourceUPort byte = 0xFC
	TagSourcePort  byte = 0xFD
	TagSourceIP    byte = 0xFE
	TagSourceType  byte = 0xFF
)

// Limits of the codec. Packets from the network that exceed them are
// rejected whole.
const (
	// MaxPacket is the largest UDP datagram accepted or produced.
	MaxPacket = 64 << 10
	// MaxInflated is the most a packed packet may expand to.
	MaxInflated = 128 << 10
	// MaxContacts is the most contacts one bootstrap answer may carry (aMule
	// sends at most 20; a routing answer's count is a byte).
	MaxContacts = 255
	// MaxResults is the most results one search answer may carry (aMule
	// sends 50 per packet).
	MaxResults = 300
	// MaxExpr is the longest search expression accepted.
	MaxExpr = 1024
)

// tagLimits bound the tags of one list (a hello, a result).
var tagLimits = emulewire.Limits{MaxTags: 32, MaxName: 64, MaxString: 1024, MaxBlob: 255}

// Errors of the codec.
var (
	ErrUnknownOpcode = errors.New("unknown Kad opcode")
	ErrMalformed     = errors.New("malformed Kad packet")
)

// Tag is an eMule tag as carried in Kad packets.
type Tag = emulewire.Tag

// Contact is a Kad node: its ID, UDP address, TCP port and Kad version. It
// is a value: safe for concurrent use.
type Contact struct {
	ID      ID
	Addr    netip.AddrPort // IPv4 address and UDP port
	TCPPort uint16
	Version uint8
}

// Message is one Kad2 message. The concrete types are the pointer types
// in this file; [Unmarshal] returns them. Messages are plain data: safe to
// share for reading, not for concurrent modification.
type Message interface {
	Opcode() byte
	appendBody(dst []byte) []byte
	decode(r *emulewire.Reader) error
}

// BootstrapReq asks a node for contacts (empty body).
type BootstrapReq struct{}

// BootstrapRes answers a bootstrap: the sender's ID, TCP port and version
// and up to 20 contacts.
type BootstrapRes struct {
	ID       ID
	TCPPort  uint16
	Version  uint8
	Contacts []Contact
}

// Hello is the body of [HelloReq] and [HelloRes]: the sender's ID, TCP
// port, Kad version and tags (TagSourceUPort, TagKadMisc).
type Hello struct {
	ID      ID
	TCPPort uint16
	Version uint8
	Tags    []Tag
}

// HelloReq introduces the sender and asks for a [HelloRes].
type HelloReq struct{ Hello }

// HelloRes answers a [HelloReq].
type HelloRes struct{ Hello }

// Req asks a node for the contacts it knows closest to Target. Type is the
// number of contacts wanted ([FindValue], [Store], [FindNode]); Receiver is
// the ID the sender believes the node has: aMule ignores a Req whose
// Receiver is not its own ID.
type Req struct {
	Type     byte
	Target   ID
	Receiver ID
}

// Res answers a [Req] with contacts.
type Res struct {
	Target   ID
	Contacts []Contact
}

// SearchKeyReq asks a node for the files indexed under the keyword hash
// Target. A non-nil Expr makes the search restrictive: it is a search
// expression (see [KeywordExpr]) the node matches names against.
type SearchKeyReq struct {
	Target ID
	Start  uint16
	Expr   []byte
}

// SearchSourceReq asks a node for the sources of the file with ed2k hash
// Target and size Size (0: any size).
type SearchSourceReq struct {
	Target ID
	Start  uint16
	Size   uint64
}

// SearchResult is one entry of a [SearchRes]: for a source search, Answer
// is the source's user hash and the tags give its address; for a keyword
// search, Answer is the file's ed2k hash and the tags its name and size.
type SearchResult struct {
	Answer ID
	Tags   []Tag
}

// SearchRes carries results for Target from the node Sender.
type SearchRes struct {
	Sender  ID
	Target  ID
	Results []SearchResult
}

// PublishKeyReq publishes files under the keyword hash Target.
type PublishKeyReq struct {
	Target  ID
	Entries []SearchResult
}

// PublishSourceReq publishes the sender as a source (user hash Source) of
// the file File.
type PublishSourceReq struct {
	File   ID
	Source ID
	Tags   []Tag
}

// PublishRes acknowledges a publish; Load is the node's load in percent.
type PublishRes struct {
	Target ID
	Load   uint8
}

// Ping asks for a [Pong] (empty body).
type Ping struct{}

// Pong answers a [Ping] with the UDP port the sender was seen from.
type Pong struct{ Port uint16 }

// Opcode returns OpBootstrapReq.
func (*BootstrapReq) Opcode() byte { return OpBootstrapReq }

// Opcode returns OpBootstrapRes.
func (*BootstrapRes) Opcode() byte { return OpBootstrapRes }

// Opcode returns OpHelloReq.
func (*HelloReq) Opcode() byte { return OpHelloReq }

// Opcode returns OpHelloRes.
func (*HelloRes) Opcode() byte { return OpHelloRes }

// Opcode returns OpReq.
func (*Req) Opcode() byte { return OpReq }

// Opcode returns OpRes.
func (*Res) Opcode() byte { return OpRes }

// Opcode returns OpSearchKeyReq.
func (*SearchKeyReq) Opcode() byte { return OpSearchKeyReq }

// Opcode returns OpSearchSourceReq.
func (*SearchSourceReq) Opcode() byte { return OpSearchSourceReq }

// Opcode returns OpSearchRes.
func (*SearchRes) Opcode() byte { return OpSearchRes }

// Opcode returns OpPublishKeyReq.
func (*PublishKeyReq) Opcode() byte { return OpPublishKeyReq }

// Opcode returns OpPublishSrcReq.
func (*PublishSourceReq) Opcode() byte { return OpPublishSrcReq }

// Opcode returns OpPublishRes.
func (*PublishRes) Opcode() byte { return OpPublishRes }

// Opcode returns OpPing.
func (*Ping) Opcode() byte { return OpPing }

// Opcode returns OpPong.
func (*Pong) Opcode() byte { return OpPong }

func newMessage(op byte) Message {
	switch op {
	case OpBootstrapReq:
		return &BootstrapReq{}
	case OpBootstrapRes:
		return &BootstrapRes{}
	case OpHelloReq:
		return &HelloReq{}
	case OpHelloRes:
		return &HelloRes{}
	case OpReq:
		return &Req{}
	case OpRes:
		return &Res{}
	case OpSearchKeyReq:
		return &SearchKeyReq{}
	case OpSearchSourceReq:
		return &SearchSourceReq{}
	case OpSearchRes:
		return &SearchRes{}
	case OpPublishKeyReq:
		return &PublishKeyReq{}
	case OpPublishSrcReq:
		return &PublishSourceReq{}
	case OpPublishRes:
		return &PublishRes{}
	case OpPing:
		return &Ping{}
	case OpPong:
		return &Pong{}
	}
	return nil
}

// Marshal returns m as an unpacked Kad packet.
func Marshal(m Message) []byte {
	return m.appendBody([]byte{ProtoKad, m.Opcode()})
}

// MarshalPacked returns m as a packed (zlib) packet when that is smaller,
// as aMule does for packets over 200 bytes, and unpacked otherwise.
func MarshalPacked(m Message) []byte {
	body := m.appendBody(nil)
	z := emulewire.Deflate(body)
	if len(z) >= len(body) {
		return append([]byte{ProtoKad, m.Opcode()}, body...)
	}
	return append([]byte{ProtoPacked, m.Opcode()}, z...)
}

// Unmarshal parses one Kad packet, packed or not. Every length is checked
// against the packet and the limits of this package; trailing bytes are an
// error.
func Unmarshal(b []byte) (Message, error) {
	if len(b) > MaxPacket {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrMalformed, len(b), MaxPacket)
	}
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	body := b[2:]
	switch b[0] {
	case ProtoKad:
	case ProtoPacked:
		var err error
		if body, err = emulewire.Inflate(body, MaxInflated); err != nil {
			return nil, fmt.Errorf("%w: packed opcode 0x%02X: %w", ErrMalformed, b[1], err)
		}
	default:
		return nil, fmt.Errorf("%w: protocol 0x%02X", ErrMalformed, b[0])
	}
	m := newMessage(b[1])
	if m == nil {
		return nil, fmt.Errorf("%w 0x%02X", ErrUnknownOpcode, b[1])
	}
	r := emulewire.NewReader(body)
	if err := m.decode(r); err != nil {
		return nil, fmt.Errorf("%w: opcode 0x%02X: %w", ErrMalformed, b[1], err)
	}
	if err := r.End("body"); err != nil {
		return nil, fmt.Errorf("%w: opcode 0x%02X: %w", ErrMalformed, b[1], err)
	}
	return m, nil
}

// Kad writes IPv4 addresses as little-endian uint32s of the host-order
// value: 1.2.3.4 is 0x01020304, bytes 04 03 02 01.
func appendIP(dst []byte, a netip.Addr) []byte {
	v := a.Unmap().As4()
	return binary.LittleEndian.AppendUint32(dst, binary.BigEndian.Uint32(v[:]))
}

func ipFromUint32(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

func appendContact(dst []byte, c Contact) []byte {
	dst = appendID(dst, c.ID)
	dst = appendIP(dst, c.Addr.Addr())
	dst = binary.LittleEndian.AppendUint16(dst, c.Addr.Port())
	dst = binary.LittleEndian.AppendUint16(dst, c.TCPPort)
	return append(dst, c.Version)
}

// contactSize is the wire size of a contact: ID, IP, UDP port, TCP port,
// version.
const contactSize = 16 + 4 + 2 + 2 + 1

func readContact(r *emulewire.Reader) Contact {
	var c Contact
	c.ID = readID(r)
	ip := ipFromUint32(r.U32())
	c.Addr = netip.AddrPortFrom(ip, r.U16())
	c.TCPPort = r.U16()
	c.Version = r.U8()
	return c
}

func readContacts(r *emulewire.Reader, n int) ([]Contact, error) {
	if n > MaxContacts {
		return nil, fmt.Errorf("%d contacts (max %d)", n, MaxContacts)
	}
	if n*contactSize != r.Len() {
		return nil, fmt.Errorf("%d contacts in %d bytes", n, r.Len())
	}
	cs := make([]Contact, n)
	for i := range cs {
		cs[i] = readContact(r)
	}
	return cs, r.Err()
}

func appendTags(dst []byte, tags []Tag) []byte {
	dst = append(dst, byte(min(len(tags), 255)))
	for _, t := range tags[:min(len(tags), 255)] {
		dst = emulewire.AppendTag(dst, t)
	}
	return dst
}

func readTags(r *emulewire.Reader) ([]Tag, error) {
	n := int(r.U8())
	if r.Err() != nil {
		return nil, r.Err()
	}
	return emulewire.ReadTags(r, n, emulewire.Kad, tagLimits)
}

func (*BootstrapReq) appendBody(dst []byte) []byte   { return dst }
func (*BootstrapReq) decode(*emulewire.Reader) error { return nil }
func (*Ping) appendBody(dst []byte) []byte           { return dst }
func (*Ping) decode(*emulewire.Reader) error         { return nil }
func (m *Pong) appendBody(dst []byte) []byte         { return binary.LittleEndian.AppendUint16(dst, m.Port) }
func (m *Pong) decode(r *emulewire.Reader) error     { m.Port = r.U16(); return r.Err() }
func (m *PublishRes) appendBody(dst []byte) []byte   { return append(appendID(dst, m.Target), m.Load) }
func (m *PublishRes) decode(r *emulewire.Reader) error {
	m.Target, m.Load = readID(r), r.U8()
	return r.Err()
}

func (m *BootstrapRes) appendBody(dst []byte) []byte {
	dst = appendID(dst, m.ID)
	dst = binary.LittleEndian.AppendUint16(dst, m.TCPPort)
	dst = append(dst, m.Version)
	cs := m.Contacts[:min(len(m.Contacts), MaxContacts)]
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(cs)))
	for _, c := range cs {
		dst = appendContact(dst, c)
	}
	return dst
}

func (m *BootstrapRes) decode(r *emulewire.Reader) error {
	m.ID, m.TCPPort, m.Version = readID(r), r.U16(), r.U8()
	n := int(r.U16())
	if r.Err() != nil {
		return r.Err()
	}
	var err error
	m.Contacts, err = readContacts(r, n)
	return err
}

func (h *Hello) appendBody(dst []byte) []byte {
	dst = appendID(dst, h.ID)
	dst = binary.LittleEndian.AppendUint16(dst, h.TCPPort)
	dst = append(dst, h.Version)
	return appendTags(dst, h.Tags)
}

func (h *Hello) decode(r *emulewire.Reader) error {
	h.ID, h.TCPPort, h.Version = readID(r), r.U16(), r.U8()
	var err error
	h.Tags, err = readTags(r)
	return err
}

func (m *Req) appendBody(dst []byte) []byte {
	dst = append(dst, m.Type)
	return appendID(appendID(dst, m.Target), m.Receiver)
}

func (m *Req) decode(r *emulewire.Reader) error {
	m.Type, m.Target, m.Receiver = r.U8(), readID(r), readID(r)
	return r.Err()
}

func (m *Res) appendBody(dst []byte) []byte {
	dst = appendID(dst, m.Target)
	cs := m.Contacts[:min(len(m.Contacts), MaxContacts)]
	dst = append(dst, byte(len(cs)))
	for _, c := range cs {
		dst = appendContact(dst, c)
	}
	return dst
}

func (m *Res) decode(r *emulewire.Reader) error {
	m.Target = readID(r)
	n := int(r.U8())
	if r.Err() != nil {
		return r.Err()
	}
	var err error
	m.Contacts, err = readContacts(r, n)
	return err
}

func (m *SearchKeyReq) appendBody(dst []byte) []byte {
	dst = appendID(dst, m.Target)
	start := m.Start & 0x7FFF
	if m.Expr != nil {
		start |= 0x8000
	}
	dst = binary.LittleEndian.AppendUint16(dst, start)
	return append(dst, m.Expr...)
}

func (m *SearchKeyReq) decode(r *emulewire.Reader) error {
	m.Target = readID(r)
	start := r.U16()
	m.Start = start & 0x7FFF
	if start&0x8000 != 0 {
		if r.Len() > MaxExpr {
			return fmt.Errorf("search expression of %d bytes (max %d)", r.Len(), MaxExpr)
		}
		if r.Len() == 0 {
			return errors.New("restrictive search without an expression")
		}
		m.Expr = append([]byte{}, r.Rest()...)
	}
	return r.Err()
}

func (m *SearchSourceReq) appendBody(dst []byte) []byte {
	dst = appendID(dst, m.Target)
	dst = binary.LittleEndian.AppendUint16(dst, m.Start&0x7FFF)
	return binary.LittleEndian.AppendUint64(dst, m.Size)
}

func (m *SearchSourceReq) decode(r *emulewire.Reader) error {
	m.Target, m.Start, m.Size = readID(r), r.U16()&0x7FFF, r.U64()
	return r.Err()
}

func appendResults(dst []byte, rs []SearchResult) []byte {
	rs = rs[:min(len(rs), MaxResults)]
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(rs)))
	for _, e := range rs {
		dst = appendTags(appendID(dst, e.Answer), e.Tags)
	}
	return dst
}

func readResults(r *emulewire.Reader) ([]SearchResult, error) {
	n := int(r.U16())
	if r.Err() != nil {
		return nil, r.Err()
	}
	// Each result takes at least 17 bytes: check before allocating.
	if n > MaxResults || n*17 > r.Len() {
		return nil, fmt.Errorf("%d results in %d bytes (max %d)", n, r.Len(), MaxResults)
	}
	rs := make([]SearchResult, n)
	for i := range rs {
		rs[i].Answer = readID(r)
		tags, err := readTags(r)
		if err != nil {
			return nil, fmt.Errorf("result %d: %w", i, err)
		}
		rs[i].Tags = tags
	}
	return rs, r.Err()
}

func (m *SearchRes) appendBody(dst []byte) []byte {
	return appendResults(appendID(appendID(dst, m.Sender), m.Target), m.Results)
}

func (m *SearchRes) decode(r *emulewire.Reader) error {
	m.Sender, m.Target = readID(r), readID(r)
	var err error
	m.Results, err = readResults(r)
	return err
}

func (m *PublishKeyReq) appendBody(dst []byte) []byte {
	return appendResults(appendID(dst, m.Target), m.Entries)
}

func (m *PublishKeyReq) decode(r *emulewire.Reader) error {
	m.Target = readID(r)
	var err error
	m.Entries, err = readResults(r)
	return err
}

func (m *PublishSourceReq) appendBody(dst []byte) []byte {
	return appendTags(appendID(appendID(dst, m.File), m.Source), m.Tags)
}

func (m *PublishSourceReq) decode(r *emulewire.Reader) error {
	m.File, m.Source = readID(r), readID(r)
	var err error
	m.Tags, err = readTags(r)
	return err
}

// KeywordExpr returns the restrictive search expression aMule understands
// for "all of these words": a chain of AND nodes over string terms. It
// returns nil for no words. At most 12 words are used (aMule refuses
// expressions deeper than 24 levels).
func KeywordExpr(words []string) []byte {
	words = words[:min(len(words), 12)]
	var b []byte
	for i, w := range words {
		if i < len(words)-1 {
			b = append(b, 0x00, 0x00) // boolean operator AND
		}
		w = w[:min(len(w), 255)]
		b = append(b, 0x01)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(w)))
		b = append(b, w...)
	}
	return b
}

// IntTag returns a tag named by the one-byte id holding v in the smallest
// integer type that fits, as aMule writes integer tags.
func IntTag(id byte, v uint64) Tag { return emulewire.IntTag(id, v) }

// StringTag returns a string tag named by the one-byte id.
func StringTag(id byte, s string) Tag { return emulewire.StringTag(id, s) }
