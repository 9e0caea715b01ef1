package kad

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/md4"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// ID is a 128-bit Kad identifier (a node ID, a file's ed2k hash, a keyword
// hash) as a big-endian number: the bytes of an ed2k hash are the bytes of
// its ID. On the wire Kad writes it as four little-endian 32-bit words,
// most significant word first; [ID] hides that. An ID is a value: safe for
// concurrent use.
type ID [16]byte

// ParseID parses 32 hex digits.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("kad ID %q: want 32 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}

// RandomID returns a random ID.
func RandomID() ID {
	var id ID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	return id
}

// String returns the ID as 32 lower-case hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Xor returns the XOR distance between id and o.
func (id ID) Xor(o ID) ID {
	var d ID
	for i := range d {
		d[i] = id[i] ^ o[i]
	}
	return d
}

// Cmp compares two IDs (or distances) as numbers: -1, 0 or +1.
func (id ID) Cmp(o ID) int { return bytes.Compare(id[:], o[:]) }

// prefixLen returns the number of leading zero bits of id (128 for zero).
func (id ID) prefixLen() int {
	for i, b := range id {
		if b != 0 {
			for j := 7; j >= 0; j-- {
				if b&(1<<j) != 0 {
					return i*8 + 7 - j
				}
			}
		}
	}
	return 128
}

// SearchTolerance is aMule's SEARCHTOLERANCE: a node stores and answers
// for a target only when the most significant 32 bits of their XOR
// distance are at most this value (the top 7 bits agree).
const SearchTolerance = 1 << 24

// WithinTolerance reports whether a node with ID id is close enough to
// target for aMule to publish to it or search it (see [SearchTolerance]).
func (id ID) WithinTolerance(target ID) bool {
	d := id.Xor(target)
	return binary.BigEndian.Uint32(d[:4]) <= SearchTolerance
}

func appendID(dst []byte, id ID) []byte {
	for i := 0; i < 16; i += 4 {
		dst = binary.LittleEndian.AppendUint32(dst, binary.BigEndian.Uint32(id[i:i+4]))
	}
	return dst
}

func readID(r *emulewire.Reader) ID {
	var id ID
	for i := 0; i < 16; i += 4 {
		binary.BigEndian.PutUint32(id[i:i+4], r.U32())
	}
	return id
}

// KeywordID returns the Kad target of a keyword: the MD4 of its lower-case
// UTF-8 bytes, as aMule computes it (KadGetKeywordHash after GetWords).
func KeywordID(word string) ID {
	h := md4.New()
	h.Write([]byte(strings.ToLower(word)))
	var id ID
	copy(id[:], h.Sum(nil))
	return id
}

// keywordSeparators are the characters aMule splits keywords on
// (CSearchManager::GetInvalidKeywordChars).
const keywordSeparators = " ()[]{}<>,._-!?:;\\/\""

// MinWordBytes is the shortest keyword aMule indexes, in UTF-8 bytes.
const MinWordBytes = 3

// Words splits a file name or query into the keywords Kad indexes: split on
// aMule's separator characters, lower-cased, at least [MinWordBytes] UTF-8
// bytes, each once, in order. Invalid UTF-8 is replaced first.
func Words(s string) []string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r < utf8.RuneSelf && strings.ContainsRune(keywordSeparators, r)
	})
	var words []string
	seen := map[string]bool{}
	for _, f := range fields {
		w := strings.ToLower(f)
		if len(w) < MinWordBytes || seen[w] {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	return words
}
