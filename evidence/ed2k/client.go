package ed2k

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/ed2kwire"
	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// ourHello is the hello the probe sends: our user hash, no client ID (no
// server), the advertised port, a name, and options that ask for nothing
// but compressed data (Unicode names, data compression version 1, large
// files, "no view shared files"). It claims no eMule version, no secure
// identification, no source exchange: aMule then sends its eMule info
// packet, which the probe answers ([emuleInfoAnswer]).
func ourHello(cfg *Config) ed2kwire.Hello {
	const misc1 = 1<<28 | 1<<20 | 1<<2 // unicode, data compression 1, no shared files view
	const misc2 = 1 << 4               // large files (64-bit offsets)
	return ed2kwire.Hello{
		UserHash: cfg.UserHash,
		Port:     cfg.Port,
		Tags: []emulewire.Tag{
			emulewire.StringTag(ed2kwire.TagName, cfg.ClientName),
			emulewire.Uint32Tag(ed2kwire.TagVersion, ed2kwire.EdonkeyVersion),
			emulewire.Uint32Tag(ed2kwire.TagMiscOptions1, misc1),
			emulewire.Uint32Tag(ed2kwire.TagMiscOptions2, misc2),
		},
	}
}

// emuleInfoAnswer is our answer to an eMule info packet: compression
// version 1 and nothing else supported.
func emuleInfoAnswer(cfg *Config) []byte {
	b := []byte{0x47, 0x01} // eMule version byte, EMULE_PROTOCOL
	tags := []emulewire.Tag{
		emulewire.Uint32Tag(ed2kwire.InfoCompression, 1),
		emulewire.Uint32Tag(ed2kwire.InfoUDPVersion, 0),
		emulewire.Uint32Tag(ed2kwire.InfoSourceExchange, 0),
		emulewire.Uint32Tag(ed2kwire.InfoComments, 0),
		emulewire.Uint32Tag(ed2kwire.InfoExtendedRequests, 0),
		emulewire.Uint32Tag(ed2kwire.InfoFeatures, 0),
		emulewire.StringTag(ed2kwire.TagModVersion, cfg.ClientName),
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tags)))
	for _, t := range tags {
		b = emulewire.AppendTag(b, t)
	}
	return b
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
func clientInfo(h ed2kwire.Hello, info *ed2kwire.EMuleInfo) ClientInfo {
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
		case id == ed2kwire.TagName && t.Type == emulewire.TypeString:
			ci.Name = display.String(t.Str, display.NoLimit) // bounded by the hello limits
		case id == ed2kwire.TagPort && isInt:
			ci.Port = uint16(v)
		case id == ed2kwire.TagUDPPorts && isInt:
			ci.KadPort, ci.UDPPort = uint16(v>>16), uint16(v)
		case id == ed2kwire.TagModVersion && t.Type == emulewire.TypeString:
			ci.Mod = display.String(t.Str, display.NoLimit)
		case id == ed2kwire.TagMuleVersion && isInt:
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
