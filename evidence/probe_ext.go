package evidence

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
)

// extLimits bound the bencode of BEP 10 messages before decoding.
var extLimits = fingerprint.Limits{MaxBytes: maxExtendedMsg, MaxDepth: 16, MaxTokens: 4096, MaxIntLen: 20}

// maxClientLen caps the characters of a recorded client string.
const maxClientLen = 64

type extHandshakeOut struct {
	M map[string]int `bencode:"m"`
	V string         `bencode:"v,omitempty"`
}

type extHandshakeIn struct {
	V string `bencode:"v"`
	// YourIP is our address as the peer saw it (4 or 16 bytes).
	YourIP string `bencode:"yourip"`
}

type pexIn struct {
	Added  string `bencode:"added"`
	Added6 string `bencode:"added6"`
}

// extendedHandshake is our BEP 10 handshake: ut_pex only, no listen port
// ("p"), no address fields.
func extendedHandshake(clientName string) []byte {
	b, err := bencode.Marshal(extHandshakeOut{M: map[string]int{string(pp.ExtensionNamePex): ourPexID}, V: clientName})
	if err != nil { // a map of string to int and a string always encode
		panic(err)
	}
	return b
}

// onExtended reads the peer's extended handshake (for its client name) and
// its ut_pex messages (for leads). Undecodable payloads are ignored: they
// carry no evidence either way.
func (s *session) onExtended(m pp.Message) {
	if fingerprint.CheckBencode(m.ExtendedPayload, extLimits) != nil {
		return
	}
	switch m.ExtendedID {
	case pp.HandshakeExtendedID:
		var h extHandshakeIn
		if bencode.Unmarshal(m.ExtendedPayload, &h) == nil {
			if v := cleanClient(h.V); v != "" {
				s.res.Observation.Client = v
			}
			if ip, ok := netip.AddrFromSlice([]byte(h.YourIP)); ok && (len(h.YourIP) == 4 || len(h.YourIP) == 16) {
				s.res.Observation.YourIP = ip.Unmap().String()
			}
		}
	case ourPexID:
		var px pexIn
		if bencode.Unmarshal(m.ExtendedPayload, &px) == nil {
			s.addPEX(px.Added, 6)
			s.addPEX(px.Added6, 18)
		}
	}
}

// addPEX adds compact peers (IPv4 6 bytes, IPv6 18 bytes each) to the
// session's PEX set, skipping port 0 and unusable addresses.
func (s *session) addPEX(b string, size int) {
	for ; len(b) >= size && len(s.pexSet) < s.p.cfg.MaxPEX; b = b[size:] {
		ip, ok := netip.AddrFromSlice([]byte(b[:size-2]))
		port := binary.BigEndian.Uint16([]byte(b[size-2 : size]))
		if !ok || port == 0 || ip.IsUnspecified() || ip.IsMulticast() {
			continue
		}
		s.pexSet[netip.AddrPortFrom(ip.Unmap(), port)] = struct{}{}
	}
}

// cleanClient makes a peer-supplied client string safe to store and show:
// surrounding spaces trimmed, then [display.String] with at most
// maxClientLen characters.
func cleanClient(v string) string {
	return display.String(strings.TrimSpace(v), maxClientLen)
}
