package fingerprint

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// InfoHash is a BitTorrent v1 infohash: the SHA-1 of a torrent's info
// dictionary, or for a v2-only torrent the first 20 bytes of its v2
// infohash (as BEP 52 has the DHT use). Its text form is 40 lower-case hex
// digits; the zero InfoHash (none) has the empty text form.
type InfoHash [20]byte

// ParseInfoHash reads an infohash written as 40 hex digits or 32 base32
// characters (as in magnet links), in either case. It is the one parser of
// infohashes.
func ParseInfoHash(s string) (InfoHash, error) {
	b, ok := decodeHash(strings.TrimSpace(s), 20)
	if !ok {
		return InfoHash{}, fmt.Errorf("infohash %.64q: want 40 hex digits or 32 base32 characters", s)
	}
	return InfoHash(b), nil
}

// String returns the 40 lower-case hex digits, or "" for the zero value.
func (h InfoHash) String() string {
	if h.IsZero() {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// IsZero reports whether h is all zeros (no infohash).
func (h InfoHash) IsZero() bool { return h == InfoHash{} }

// MarshalText returns [InfoHash.String].
func (h InfoHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText accepts what [ParseInfoHash] accepts, and "" (the zero
// value).
func (h *InfoHash) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = InfoHash{}
		return nil
	}
	v, err := ParseInfoHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// InfoHashV2 is a BitTorrent v2 infohash (BEP 52): the SHA-256 of a v2 or
// hybrid torrent's info dictionary. Its text form is 64 lower-case hex
// digits; the zero value has the empty text form.
type InfoHashV2 [32]byte

// ParseInfoHashV2 reads 64 hex digits.
func ParseInfoHashV2(s string) (InfoHashV2, error) {
	b, ok := decodeHash(strings.TrimSpace(s), 32)
	if !ok {
		return InfoHashV2{}, fmt.Errorf("v2 infohash %.80q: want 64 hex digits", s)
	}
	return InfoHashV2(b), nil
}

// String returns the 64 lower-case hex digits, or "" for the zero value.
func (h InfoHashV2) String() string {
	if h == (InfoHashV2{}) {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// Truncated is the v1-sized infohash the DHT and peer wire use for a
// v2-only torrent: the first 20 bytes.
func (h InfoHashV2) Truncated() InfoHash { return InfoHash(h[:20]) }

// IsZero reports whether h is all zeros (none).
func (h InfoHashV2) IsZero() bool { return h == InfoHashV2{} }

// MarshalText returns [InfoHashV2.String].
func (h InfoHashV2) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText accepts 64 hex digits, or "" (the zero value).
func (h *InfoHashV2) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = InfoHashV2{}
		return nil
	}
	v, err := ParseInfoHashV2(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
