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

// ED2KHash is an eDonkey2000 file hash: the MD4 root that names a file on
// the eMule network (ed2k links, Kad source searches, ed2k peers), as
// [Fingerprint.ED2K] computes it. Its text form is 32 lower-case hex
// digits; the zero ED2KHash (none) has the empty text form.
type ED2KHash [16]byte

// ParseED2KHash reads an ed2k hash written as 32 hex digits, in either
// case. It is the one parser of ed2k hashes ([Link.ED2K] and
// [Fingerprint.ED2K] hold its text form).
func ParseED2KHash(s string) (ED2KHash, error) {
	s = strings.TrimSpace(s)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return ED2KHash{}, fmt.Errorf("ed2k hash %.64q: want 32 hex digits", s)
	}
	return ED2KHash(b), nil
}

// String returns the 32 lower-case hex digits, or "" for the zero value.
func (h ED2KHash) String() string {
	if h.IsZero() {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// IsZero reports whether h is all zeros (no ed2k hash).
func (h ED2KHash) IsZero() bool { return h == ED2KHash{} }

// MarshalText returns [ED2KHash.String].
func (h ED2KHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText accepts what [ParseED2KHash] accepts, and "" (the zero
// value).
func (h *ED2KHash) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = ED2KHash{}
		return nil
	}
	v, err := ParseED2KHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
