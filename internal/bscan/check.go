package bscan

import (
	"errors"
	"fmt"
)

// Limits bound what [Check] and [ValueLen] accept. Every field must be
// positive.
type Limits struct {
	// MaxBytes is the largest value accepted.
	MaxBytes int
	// MaxDepth is the deepest nesting of lists and dictionaries.
	MaxDepth int
	// MaxTokens is the most values (integers, strings, lists, dicts) in total.
	MaxTokens int
	// MaxIntLen is the most digits an integer may have (sign excluded).
	MaxIntLen int
}

// MetadataLimits are the limits for an info dictionary received from a peer
// (BEP 9): 4 MiB, depth 100, 3M tokens, as libtorrent.
func MetadataLimits() Limits {
	return Limits{MaxBytes: 4 << 20, MaxDepth: 100, MaxTokens: 3_000_000, MaxIntLen: 20}
}

// TorrentFileLimits are the limits for a whole .torrent file.
func TorrentFileLimits() Limits {
	return Limits{MaxBytes: 16 << 20, MaxDepth: 100, MaxTokens: 3_000_000, MaxIntLen: 20}
}

// ErrInvalid is wrapped by every error [Check] and [ValueLen] return.
var ErrInvalid = errors.New("invalid bencode")

// Check reports whether b is exactly one well-formed bencoded value within
// lim: dictionary keys must be strings, each with a value (key order is not
// checked).
func Check(b []byte, lim Limits) error {
	if len(b) > lim.MaxBytes {
		return fmt.Errorf("%w: %d bytes is more than the limit of %d", ErrInvalid, len(b), lim.MaxBytes)
	}
	n, err := ValueLen(b, lim)
	if err != nil {
		return err
	}
	if n != len(b) {
		return fmt.Errorf("%w: %d trailing bytes after the value", ErrInvalid, len(b)-n)
	}
	return nil
}

// ValueLen returns the length of the bencoded value at the start of b,
// which must be well formed and within lim, as [Check] requires; bytes
// after it are not read. MaxBytes bounds the value, not b.
func ValueLen(b []byte, lim Limits) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty input", ErrInvalid)
	}
	var stackBuf [64]byte
	st := stack(stackBuf[:0])
	tokens := 0
	i := 0
	for {
		if i >= len(b) {
			return 0, fmt.Errorf("%w: truncated at byte %d", ErrInvalid, i)
		}
		c := b[i]
		if st.top() == wantKey && c != 'e' && (c < '0' || c > '9') {
			return 0, fmt.Errorf("%w: dictionary key is not a string at byte %d", ErrInvalid, i)
		}
		switch {
		case c == 'e':
			switch st.top() {
			case none:
				return 0, fmt.Errorf("%w: unexpected 'e' at byte %d", ErrInvalid, i)
			case wantValue:
				return 0, fmt.Errorf("%w: dictionary key without a value at byte %d", ErrInvalid, i)
			}
			st = st[:len(st)-1]
			st.done()
			i++
		case c == 'l' || c == 'd':
			if len(st) >= lim.MaxDepth {
				return 0, fmt.Errorf("%w: nesting deeper than %d at byte %d", ErrInvalid, lim.MaxDepth, i)
			}
			if c == 'l' {
				st = append(st, inList)
			} else {
				st = append(st, wantKey)
			}
			tokens++
			i++
		case c == 'i':
			j := i + 1
			if j < len(b) && b[j] == '-' {
				j++
			}
			start := j
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			if n := j - start; j >= len(b) || b[j] != 'e' || n == 0 || n > lim.MaxIntLen || b[start] == '0' && (n > 1 || start != i+1) {
				return 0, intError(b, i, j, n, lim.MaxIntLen)
			}
			tokens++
			st.done()
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			n := 0
			for j < len(b) && b[j] >= '0' && b[j] <= '9' && j-i < 10 {
				n = n*10 + int(b[j]-'0')
				j++
			}
			if j >= len(b) || b[j] != ':' || j-i > 1 && b[i] == '0' || n > len(b)-j-1 {
				return 0, stringError(b, i, j, n)
			}
			tokens++
			st.done()
			i = j + 1 + n
		default:
			return 0, fmt.Errorf("%w: unexpected byte %q at byte %d", ErrInvalid, c, i)
		}
		if tokens > lim.MaxTokens {
			return 0, fmt.Errorf("%w: more than %d values", ErrInvalid, lim.MaxTokens)
		}
		if i > lim.MaxBytes {
			return 0, fmt.Errorf("%w: value longer than the limit of %d bytes", ErrInvalid, lim.MaxBytes)
		}
		if len(st) == 0 {
			return i, nil
		}
	}
}

// stack holds one state per open container.
type stack []byte

// Container states: a list, a dictionary expecting a key, or a dictionary
// expecting that key's value; none is the top of an empty stack.
const (
	inList = iota
	wantKey
	wantValue
	none
)

func (s stack) top() byte {
	if len(s) == 0 {
		return none
	}
	return s[len(s)-1]
}

// done records that a whole value ended, for the container holding it.
func (s stack) done() {
	if n := len(s); n > 0 {
		switch s[n-1] {
		case wantKey:
			s[n-1] = wantValue
		case wantValue:
			s[n-1] = wantKey
		}
	}
}

// intError says what is wrong with the integer at b[i] == 'i', whose n
// digits end at b[j].
func intError(b []byte, i, j, n, maxLen int) error {
	switch {
	case j >= len(b):
		return fmt.Errorf("%w: truncated integer at byte %d", ErrInvalid, i)
	case b[j] != 'e' || n == 0:
		return fmt.Errorf("%w: malformed integer at byte %d", ErrInvalid, i)
	case n > maxLen:
		return fmt.Errorf("%w: integer of %d digits at byte %d (limit %d)", ErrInvalid, n, i, maxLen)
	}
	return fmt.Errorf("%w: integer with a leading zero or -0 at byte %d", ErrInvalid, i)
}

// stringError says what is wrong with the string whose length, read up to
// its tenth digit, starts at b[i] and ends at b[j] with the value n.
func stringError(b []byte, i, j, n int) error {
	switch {
	case j < len(b) && b[j] >= '0' && b[j] <= '9':
		return fmt.Errorf("%w: string length too long at byte %d", ErrInvalid, i)
	case j >= len(b) || b[j] != ':':
		return fmt.Errorf("%w: malformed string length at byte %d", ErrInvalid, i)
	case j-i > 1 && b[i] == '0':
		return fmt.Errorf("%w: string length with a leading zero at byte %d", ErrInvalid, i)
	}
	return fmt.Errorf("%w: string of %d bytes at byte %d runs past the end", ErrInvalid, n, i)
}
