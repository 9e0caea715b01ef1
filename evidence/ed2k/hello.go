package ed2k

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Tag is an eMule tag as carried in ed2k packets.
type Tag = emulewire.Tag

// Hello tag names (aMule ClientTags.h).
const (
	TagName         byte = 0x01
	TagPort         byte = 0x0F
	TagVersion      byte = 0x11
	TagModVersion   byte = 0x55
	TagUDPPorts     byte = 0xF9
	TagMiscOptions1 byte = 0xFA
	TagMuleVersion  byte = 0xFB
	TagMiscOptions2 byte = 0xFE
)

// eMule info tag names (aMule ClientTags.h, ET_*).
const (
	infoCompression      byte = 0x20
	infoUDPVersion       byte = 0x22
	infoSourceExchange   byte = 0x23
	infoComments         byte = 0x24
	infoExtendedRequests byte = 0x25
	infoCompatibleClient byte = 0x26
	infoFeatures         byte = 0x27
)

// edonkeyVersion is the value of TagVersion every eMule-family client
// sends (EDONKEYVERSION).
const edonkeyVersion = 0x3C

// helloLimits bound the tags of hello and eMule info packets.
var helloLimits = emulewire.Limits{MaxTags: 64, MaxName: 64, MaxString: 1024, MaxBlob: 1024}

// Hello is the body of a HELLO (after its user-hash length byte) or a
// HELLOANSWER.
type Hello struct {
	UserHash   [16]byte
	ClientID   uint32
	Port       uint16
	Tags       []Tag
	ServerIP   uint32
	ServerPort uint16
}

// ParseHello parses a HELLO body (withSize: starting with the user hash
// length, which must be 16) or a HELLOANSWER body. A hybrid's or
// MLdonkey's 4 trailing bytes are accepted and ignored.
func ParseHello(b []byte, withSize bool) (Hello, error) {
	var h Hello
	r := emulewire.NewReader(b)
	if withSize {
		if n := r.U8(); r.Err() == nil && n != 16 {
			return h, fmt.Errorf("%w: hello with a user hash of %d bytes", ErrProtocol, n)
		}
	}
	h.UserHash = r.Hash()
	h.ClientID = r.U32()
	h.Port = r.U16()
	tags, err := readTagList(r, "hello")
	if err != nil {
		return h, err
	}
	h.Tags = tags
	h.ServerIP = r.U32()
	h.ServerPort = r.U16()
	if r.Len() == 4 {
		r.U32()
	}
	if err := r.End("hello"); err != nil {
		return h, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return h, nil
}

// readTagList reads the 32-bit tag count and the tags of a hello or an
// eMule info packet under helloLimits.
func readTagList(r *emulewire.Reader, what string) ([]Tag, error) {
	n := r.U32()
	if r.Err() != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrProtocol, what, r.Err())
	}
	if n > uint32(helloLimits.MaxTags) {
		return nil, fmt.Errorf("%w: %s with %d tags (max %d)", ErrLimit, what, n, helloLimits.MaxTags)
	}
	tags, err := emulewire.ReadTags(r, int(n), emulewire.ED2K, helloLimits)
	switch {
	case errors.Is(err, emulewire.ErrTagLimit):
		return nil, fmt.Errorf("%w: %s: %w", ErrLimit, what, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrProtocol, what, err)
	}
	return tags, nil
}

// Marshal returns the hello body; withSize prefixes the user hash length
// as a HELLO does.
func (h Hello) Marshal(withSize bool) []byte {
	var b []byte
	if withSize {
		b = append(b, 16)
	}
	b = append(b, h.UserHash[:]...)
	b = binary.LittleEndian.AppendUint32(b, h.ClientID)
	b = binary.LittleEndian.AppendUint16(b, h.Port)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.Tags)))
	for _, t := range h.Tags {
		b = emulewire.AppendTag(b, t)
	}
	b = binary.LittleEndian.AppendUint32(b, h.ServerIP)
	return binary.LittleEndian.AppendUint16(b, h.ServerPort)
}

// ourHello is the hello the probe sends: our user hash, no client ID (no
// server), the advertised port, a name, and options that ask for nothing
// but compressed data (Unicode names, data compression version 1, large
// files, "no view shared files"). It claims no eMule version, no secure
// identification, no source exchange: aMule then sends its eMule info
// packet, which the probe answers ([emuleInfoAnswer]).
func ourHello(cfg *Config) Hello {
	const misc1 = 1<<28 | 1<<20 | 1<<2 // unicode, data compression 1, no shared files view
	const misc2 = 1 << 4               // large files (64-bit offsets)
	return Hello{
		UserHash: cfg.UserHash,
		Port:     cfg.Port,
		Tags: []Tag{
			emulewire.StringTag(TagName, cfg.ClientName),
			emulewire.Uint32Tag(TagVersion, edonkeyVersion),
			emulewire.Uint32Tag(TagMiscOptions1, misc1),
			emulewire.Uint32Tag(TagMiscOptions2, misc2),
		},
	}
}

// emuleInfoAnswer is our answer to an eMule info packet: compression
// version 1 and nothing else supported.
func emuleInfoAnswer(cfg *Config) []byte {
	b := []byte{0x47, 0x01} // eMule version byte, EMULE_PROTOCOL
	tags := []Tag{
		emulewire.Uint32Tag(infoCompression, 1),
		emulewire.Uint32Tag(infoUDPVersion, 0),
		emulewire.Uint32Tag(infoSourceExchange, 0),
		emulewire.Uint32Tag(infoComments, 0),
		emulewire.Uint32Tag(infoExtendedRequests, 0),
		emulewire.Uint32Tag(infoFeatures, 0),
		emulewire.StringTag(TagModVersion, cfg.ClientName),
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tags)))
	for _, t := range tags {
		b = emulewire.AppendTag(b, t)
	}
	return b
}

// EMuleInfo is the content of an eMule info packet that matters here.
type EMuleInfo struct {
	Version    uint8  // the eMule version byte
	Protocol   uint8  // 1 (EMULE_PROTOCOL); 0xFF for an OS info packet
	Compatible uint8  // compatible client ID (0: eMule)
	ModVersion string // free text, e.g. "aMule 2.3.3"
	Tags       []Tag
}

// ParseEMuleInfo parses an eMule info (or info answer) body.
func ParseEMuleInfo(b []byte) (EMuleInfo, error) {
	var e EMuleInfo
	r := emulewire.NewReader(b)
	e.Version, e.Protocol = r.U8(), r.U8()
	tags, err := readTagList(r, "eMule info")
	if err != nil {
		return e, err
	}
	if err := r.End("eMule info"); err != nil {
		return e, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	e.Tags = tags
	for _, t := range tags {
		id, _ := t.ID()
		switch {
		case id == infoCompatibleClient:
			v, _ := t.Uint()
			e.Compatible = uint8(v)
		case id == TagModVersion && t.Type == emulewire.TypeString:
			e.ModVersion = printable(t.Str)
		}
	}
	return e, nil
}

// NewUserHash returns a random user hash marked as an eMule-compatible
// client's (bytes 5 and 14 are 14 and 111, as eMule and aMule make theirs).
// Generate it once and keep it: aMule bans for two hours a client that
// comes back from the same IP with another user hash.
func NewUserHash() [16]byte {
	var h [16]byte
	_, _ = rand.Read(h[:]) // crypto/rand.Read never fails
	h[5], h[14] = 14, 111
	return h
}

// Client software IDs (aMule ClientSoftware.h), by compatible client ID.
var softwareNames = map[uint8]string{
	0: "eMule", 1: "cDonkey", 2: "xMule", 3: "aMule", 4: "Shareaza", 5: "eMule Plus",
	6: "Hydranode", 0x0a: "MLdonkey", 0x14: "lphant", 0x28: "Shareaza", 0x32: "eDonkey Hybrid",
	0x33: "eDonkey", 0x34: "MLdonkey", 0x35: "old eMule", 0x44: "Shareaza", 0x98: "MLdonkey",
}

// ClientInfo is what a peer says about itself in its hello and eMule info.
type ClientInfo struct {
	UserHash [16]byte
	Name     string // the user name (CT_NAME)
	Software string // e.g. "aMule", "eMule", or "unknown"
	Version  string // e.g. "2.3.3", "0.50a"; empty when not stated
	Mod      string // mod version string, if any
	Port     uint16 // TCP port the peer says it listens on
	UDPPort  uint16
	KadPort  uint16
}

// clientInfo decodes a hello's tags (and an eMule info, if one came).
func clientInfo(h Hello, info *EMuleInfo) ClientInfo {
	ci := ClientInfo{UserHash: h.UserHash, Port: h.Port, Software: "unknown"}
	switch {
	case h.UserHash[5] == 14 && h.UserHash[14] == 111:
		ci.Software = "eMule"
	case h.UserHash[5] == 13 && h.UserHash[14] == 110:
		ci.Software = "old eMule"
	case h.UserHash[5] == 'M' && h.UserHash[14] == 'L':
		ci.Software = "MLdonkey"
	}
	if info != nil {
		if name, ok := softwareNames[info.Compatible]; ok {
			ci.Software = name
		}
		ci.Mod = info.ModVersion
	}
	for _, t := range h.Tags {
		id, ok := t.ID()
		if !ok {
			continue
		}
		v, isInt := t.Uint()
		switch {
		case id == TagName && t.Type == emulewire.TypeString:
			ci.Name = printable(t.Str)
		case id == TagPort && isInt:
			ci.Port = uint16(v)
		case id == TagUDPPorts && isInt:
			ci.KadPort, ci.UDPPort = uint16(v>>16), uint16(v)
		case id == TagModVersion && t.Type == emulewire.TypeString:
			ci.Mod = printable(t.Str)
		case id == TagMuleVersion && isInt:
			compat := uint8(v >> 24)
			if name, ok := softwareNames[compat]; ok {
				ci.Software = name
			} else {
				ci.Software = fmt.Sprintf("client 0x%02X", compat)
			}
			mjr, mnr, upd := (v>>17)&0x7F, (v>>10)&0x7F, (v>>7)&0x07
			if compat == 0 { // eMule numbers its versions 0.50a
				ci.Version = fmt.Sprintf("%d.%02d%c", mjr, mnr, 'a'+byte(upd))
			} else {
				ci.Version = fmt.Sprintf("%d.%d.%d", mjr, mnr, upd)
			}
		}
	}
	return ci
}

// printable returns s as valid UTF-8 without control characters: names and
// versions are data from the network.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F {
			return -1
		}
		return r
	}, s)
}
