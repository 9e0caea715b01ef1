package kad

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Source types a publisher states (aMule Search.cpp, STOREFILE).
const (
	SourceOpen             uint8 = 1 // reachable ("high ID")
	SourceFirewalled       uint8 = 3 // firewalled, reachable through a buddy
	SourceOpenLarge        uint8 = 4 // reachable, file over 4 GB
	SourceFirewalledLarge  uint8 = 5 // firewalled with a buddy, file over 4 GB
	SourceFirewalledDirect uint8 = 6 // firewalled, direct UDP callback
)

// Source is a host that published itself in Kad as a source of a file: an
// L1 lead (anyone can publish any address), to be probed over ed2k. It is
// a value: safe for concurrent use.
type Source struct {
	// IP and TCPPort are where the source says it accepts ed2k
	// connections; for firewalled types IP is not reachable directly.
	IP      netip.Addr
	TCPPort uint16
	// UDPPort is the source's Kad UDP port (0 when not stated).
	UDPPort uint16
	// Type is the source type (SourceOpen, ...).
	Type uint8
	// UserHash is the source's ed2k user hash, as published.
	UserHash [16]byte
	// Size is the file size the source published (0: not stated).
	Size uint64
	// Encryption holds the source's connect options (bit 0 supports, bit 1
	// requests, bit 2 requires protocol obfuscation); 0 when not stated.
	Encryption uint8
	// Node is the Kad node that returned this source.
	Node netip.AddrPort
}

// Addr returns the ed2k TCP address IP:TCPPort.
func (s Source) Addr() netip.AddrPort { return netip.AddrPortFrom(s.IP, s.TCPPort) }

// Firewalled reports whether the source says it cannot take direct
// connections (a probe cannot reach it at Addr).
func (s Source) Firewalled() bool {
	return s.Type == SourceFirewalled || s.Type == SourceFirewalledLarge || s.Type == SourceFirewalledDirect
}

// KeywordHit is a file that a Kad node indexes under a searched keyword:
// its ed2k hash, name and size as published. A hit is a sighting (L0): it
// says only that someone published this name for this hash. It is a value:
// safe for concurrent use.
type KeywordHit struct {
	Hash [16]byte
	// Name is the published file name, with invalid UTF-8 replaced. It is
	// data from the network: never use it as a path.
	Name string
	Size uint64
	// FileType is the published type ("Doc", "Pro", ...), if any.
	FileType string
	// Sources is the availability the node reports (0: not stated).
	Sources uint32
	// Node is the Kad node that returned this hit.
	Node netip.AddrPort
}

// Link returns the hit as an ed2k link (name with '|' and '/' escaped).
func (h KeywordHit) Link() string {
	name := strings.NewReplacer("|", "%7C", "/", "%2F").Replace(h.Name)
	return fmt.Sprintf("ed2k://|file|%s|%d|%X|/", name, h.Size, h.Hash)
}

// tagSize reads a file size tag: an integer, or 8 bytes (a bsob) for
// files over 4 GB as eMule publishes them.
func tagSize(t Tag) (uint64, bool) {
	if v, ok := t.Uint(); ok {
		return v, true
	}
	if len(t.Bytes) == 8 {
		return binary.LittleEndian.Uint64(t.Bytes), true
	}
	return 0, false
}

// parseSource builds a Source from a source search result, or reports why
// the result is unusable.
func parseSource(r SearchResult, from netip.AddrPort) (Source, error) {
	s := Source{UserHash: r.Answer, Node: from}
	var haveIP, haveType bool
	for _, t := range r.Tags {
		id, ok := t.ID()
		if !ok {
			continue
		}
		v, isInt := t.Uint()
		switch {
		case id == TagSourceType && isInt:
			s.Type, haveType = uint8(v), v <= 0xFF
		case id == TagSourceIP && isInt:
			s.IP, haveIP = ipFromUint32(uint32(v)), v <= 0xFFFFFFFF
		case id == TagSourcePort && isInt:
			s.TCPPort = uint16(v)
		case id == TagSourceUPort && isInt:
			s.UDPPort = uint16(v)
		case id == TagEncryption && isInt:
			s.Encryption = uint8(v)
		case id == TagFileSize:
			s.Size, _ = tagSize(t)
		}
	}
	switch {
	case !haveType || s.Type == 0 || s.Type == 2 || s.Type > SourceFirewalledDirect:
		return s, fmt.Errorf("source result without a known type (%d)", s.Type)
	case !haveIP:
		return s, fmt.Errorf("source result without an IP")
	case s.TCPPort == 0:
		return s, fmt.Errorf("source result without a TCP port")
	}
	return s, nil
}

// parseHit builds a KeywordHit from a keyword search result.
func parseHit(r SearchResult, from netip.AddrPort) (KeywordHit, error) {
	h := KeywordHit{Hash: r.Answer, Node: from}
	var haveName bool
	for _, t := range r.Tags {
		id, ok := t.ID()
		if !ok {
			continue
		}
		switch id {
		case TagFileName:
			if t.Type == emulewire.TypeString {
				h.Name, haveName = strings.ToValidUTF8(t.Str, "\uFFFD"), t.Str != ""
			}
		case TagFileSize:
			h.Size, _ = tagSize(t)
		case TagFileType:
			if t.Type == emulewire.TypeString {
				h.FileType = strings.ToValidUTF8(t.Str, "\uFFFD")
			}
		case TagSources:
			if v, ok := t.Uint(); ok {
				h.Sources = uint32(min(v, 0xFFFFFFFF))
			}
		}
	}
	if !haveName {
		return h, fmt.Errorf("keyword result without a name")
	}
	return h, nil
}
