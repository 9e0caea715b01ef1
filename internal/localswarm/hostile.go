package localswarm

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// HostileKind names a way a hostile metadata peer misbehaves.
type HostileKind int

const (
	// HostileDeepNesting serves 3,000,000 nested lists (6 MB) whose SHA-1 is
	// the infohash, advertising their true size. It killed anacrolix's client.
	HostileDeepNesting HostileKind = iota
	// HostileDeepNestingSmall serves 2,000,000 nested lists (4,000,000 bytes,
	// under the 4 MiB cap) whose SHA-1 is the infohash.
	HostileDeepNestingSmall
	// HostileHugeInteger serves a 4,000,000-digit integer whose SHA-1 is the
	// infohash.
	HostileHugeInteger
	// HostileHugeSize advertises a metadata_size of 2 GiB.
	HostileHugeSize
	// HostileNegativeSize advertises a metadata_size of -1.
	HostileNegativeSize
	// HostileSizeMismatch advertises a metadata_size larger than the
	// total_size it then sends with each piece.
	HostileSizeMismatch
	// HostileWrongBytes serves a valid info dictionary whose SHA-1 is not the
	// infohash.
	HostileWrongBytes
	// HostileSlowDrip serves valid metadata one byte every 20 ms.
	HostileSlowDrip
	// HostileHugeMessage sends a 2 GiB message length after the handshake.
	HostileHugeMessage
	// HostileNoMetadata does not offer ut_metadata.
	HostileNoMetadata
	// HostileReject rejects every metadata request.
	HostileReject
)

// HostileKinds returns every kind, for table tests.
func HostileKinds() []HostileKind {
	return []HostileKind{
		HostileDeepNesting, HostileDeepNestingSmall, HostileHugeInteger, HostileHugeSize,
		HostileNegativeSize, HostileSizeMismatch, HostileWrongBytes, HostileSlowDrip,
		HostileHugeMessage, HostileNoMetadata, HostileReject,
	}
}

func (k HostileKind) String() string {
	switch k {
	case HostileDeepNesting:
		return "deep-nesting-3M"
	case HostileDeepNestingSmall:
		return "deep-nesting-2M"
	case HostileHugeInteger:
		return "huge-integer"
	case HostileHugeSize:
		return "huge-size"
	case HostileNegativeSize:
		return "negative-size"
	case HostileSizeMismatch:
		return "size-mismatch"
	case HostileWrongBytes:
		return "wrong-bytes"
	case HostileSlowDrip:
		return "slow-drip"
	case HostileHugeMessage:
		return "huge-message"
	case HostileNoMetadata:
		return "no-metadata"
	case HostileReject:
		return "reject"
	}
	return fmt.Sprintf("HostileKind(%d)", int(k))
}

// Hostile is a misbehaving metadata peer on 127.0.0.1. It serves one
// infohash. Its methods are safe for concurrent use.
type Hostile struct {
	Kind     HostileKind
	infohash [20]byte
	srv      *peerServer
}

// SampleInfo returns a small valid bencoded info dictionary for a
// single-file torrent named name.
func SampleInfo(name string, length int64) []byte {
	info := struct {
		Length      int64  `bencode:"length"`
		Name        string `bencode:"name"`
		PieceLength int64  `bencode:"piece length"`
		Pieces      []byte `bencode:"pieces"`
	}{Length: length, Name: name, PieceLength: 16 << 10}
	n := (length + info.PieceLength - 1) / info.PieceLength
	info.Pieces = bytes.Repeat([]byte{0xab}, int(n)*20)
	return bencode.MustMarshal(info)
}

// StartHostile starts a hostile peer of the given kind.
func StartHostile(kind HostileKind) (*Hostile, error) {
	valid := SampleInfo("hostile.bin", 1<<20)
	pol := &policy{info: valid, advertised: int64(len(valid)), totalSize: int64(len(valid))}
	ih := sha1.Sum(valid)
	setInfo := func(b []byte) {
		pol.info, pol.advertised, pol.totalSize = b, int64(len(b)), int64(len(b))
		ih = sha1.Sum(b)
	}
	switch kind {
	case HostileDeepNesting:
		setInfo(nested(3_000_000))
	case HostileDeepNestingSmall:
		setInfo(nested(2_000_000))
	case HostileHugeInteger:
		setInfo([]byte("i" + strings.Repeat("9", 4_000_000) + "e"))
	case HostileHugeSize:
		pol.advertised = 2 << 30
	case HostileNegativeSize:
		pol.advertised = -1
	case HostileSizeMismatch:
		big := SampleInfo("big.bin", 1<<30) // ~ 1.3 MB of metadata
		setInfo(big)
		pol.totalSize = pol.advertised - 100_000
	case HostileWrongBytes:
		ih = sha1.Sum([]byte("something else"))
	case HostileSlowDrip:
		pol.drip = 20 * time.Millisecond
	case HostileHugeMessage:
		pol.hugeLength = true
	case HostileNoMetadata:
		pol.noMetadata = true
	case HostileReject:
		pol.reject = true
	default:
		return nil, fmt.Errorf("unknown hostile kind %d", int(kind))
	}
	want := ih
	srv, err := startPeerServer("-LSHOST-", func(got [20]byte) (*policy, bool) {
		return pol, got == want
	})
	if err != nil {
		return nil, err
	}
	return &Hostile{Kind: kind, infohash: ih, srv: srv}, nil
}

func nested(depth int) []byte {
	b := make([]byte, 2*depth)
	for i := 0; i < depth; i++ {
		b[i] = 'l'
		b[depth+i] = 'e'
	}
	return b
}

// InfoHash returns the infohash the peer claims to serve.
func (h *Hostile) InfoHash() [20]byte { return h.infohash }

// Addr returns the peer's TCP address.
func (h *Hostile) Addr() netip.AddrPort { return h.srv.addr() }

// Close stops the peer and waits for its connections to end.
func (h *Hostile) Close() { h.srv.close() }
