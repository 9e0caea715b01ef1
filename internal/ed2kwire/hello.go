package ed2kwire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/leakhunt/leakhunt/internal/display"
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
	InfoCompression      byte = 0x20
	InfoUDPVersion       byte = 0x22
	InfoSourceExchange   byte = 0x23
	InfoComments         byte = 0x24
	InfoExtendedRequests byte = 0x25
	InfoCompatibleClient byte = 0x26
	InfoFeatures         byte = 0x27
)

// EdonkeyVersion is the value of TagVersion every eMule-family client
// sends (EDONKEYVERSION).
const EdonkeyVersion = 0x3C

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
		case id == InfoCompatibleClient:
			v, _ := t.Uint()
			e.Compatible = uint8(v)
		case id == TagModVersion && t.Type == emulewire.TypeString:
			e.ModVersion = display.String(t.Str, display.NoLimit) // bounded by helloLimits
		}
	}
	return e, nil
}
