package fingerprint

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// InfoHash is a BitTorrent v1 infohash: the SHA-1 of a torrent's info
// dictionary, or for a v2-only torrent the first 20 bytes of its v2
// infohash (as BEP 52 has the DHT use). Its text form is 40 lower-case hex
// digits.
type InfoHash [20]byte

// ParseInfoHash reads an infohash written as 40 hex digits or 32 base32
// characters (as in magnet links), in either case.
func ParseInfoHash(s string) (InfoHash, error) {
	b, ok := decodeHash(strings.TrimSpace(s), 20)
	if !ok {
		return InfoHash{}, fmt.Errorf("infohash %.64q: want 40 hex digits or 32 base32 characters", s)
	}
	return InfoHash(b), nil
}

// String returns the 40 lower-case hex digits.
func (h InfoHash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros (no infohash).
func (h InfoHash) IsZero() bool { return h == InfoHash{} }

// MarshalText returns the 40 lower-case hex digits.
func (h InfoHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText accepts what [ParseInfoHash] accepts.
func (h *InfoHash) UnmarshalText(b []byte) error {
	v, err := ParseInfoHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
