package fingerprint

import (
	"errors"
	"fmt"
)

// Limits bound what [CheckBencode] accepts. Every field must be positive.
type Limits struct {
	// MaxBytes is the largest input accepted.
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

// ErrBencode is wrapped by every error [CheckBencode] returns.
var ErrBencode = errors.New("invalid bencode")

// CheckBencode scans b iteratively, without recursion or allocation per
// value, and reports whether it is exactly one well-formed bencoded value
// within lim: dictionary keys must be strings, each with a value (key order
// is not checked). Only input that passes may be handed to a bencode decoder:
// anacrolix's decoder recurses without a depth limit (a few million nested
// lists overflow the stack, which no recover catches) and decodes huge
// integers slowly.
func CheckBencode(b []byte, lim Limits) error {
	if len(b) > lim.MaxBytes {
		return fmt.Errorf("%w: %d bytes is more than the limit of %d", ErrBencode, len(b), lim.MaxBytes)
	}
	if len(b) == 0 {
		return fmt.Errorf("%w: empty input", ErrBencode)
	}
	// stack holds one state per open container: a list, a dictionary
	// expecting a key, or a dictionary expecting that key's value.
	const (
		inList = iota
		wantKey
		wantValue
	)
	var stackBuf [64]byte
	stack := stackBuf[:0]
	// done records that a whole value ended, for the container holding it.
	done := func() {
		if n := len(stack); n > 0 {
			switch stack[n-1] {
			case wantKey:
				stack[n-1] = wantValue
			case wantValue:
				stack[n-1] = wantKey
			}
		}
	}
	tokens := 0
	i := 0
	for {
		if i >= len(b) {
			return fmt.Errorf("%w: truncated at byte %d", ErrBencode, i)
		}
		c := b[i]
		if n := len(stack); n > 0 && stack[n-1] == wantKey && c != 'e' && (c < '0' || c > '9') {
			return fmt.Errorf("%w: dictionary key is not a string at byte %d", ErrBencode, i)
		}
		switch {
		case c == 'e':
			if len(stack) == 0 {
				return fmt.Errorf("%w: unexpected 'e' at byte %d", ErrBencode, i)
			}
			if stack[len(stack)-1] == wantValue {
				return fmt.Errorf("%w: dictionary key without a value at byte %d", ErrBencode, i)
			}
			stack = stack[:len(stack)-1]
			done()
			i++
		case c == 'l' || c == 'd':
			if len(stack) >= lim.MaxDepth {
				return fmt.Errorf("%w: nesting deeper than %d at byte %d", ErrBencode, lim.MaxDepth, i)
			}
			if c == 'l' {
				stack = append(stack, inList)
			} else {
				stack = append(stack, wantKey)
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
			n := j - start
			switch {
			case j >= len(b):
				return fmt.Errorf("%w: truncated integer at byte %d", ErrBencode, i)
			case b[j] != 'e' || n == 0:
				return fmt.Errorf("%w: malformed integer at byte %d", ErrBencode, i)
			case n > lim.MaxIntLen:
				return fmt.Errorf("%w: integer of %d digits at byte %d (limit %d)", ErrBencode, n, i, lim.MaxIntLen)
			case n > 1 && b[start] == '0', b[start] == '0' && start != i+1:
				return fmt.Errorf("%w: integer with a leading zero or -0 at byte %d", ErrBencode, i)
			}
			tokens++
			done()
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			n := 0
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				if j-i >= 10 {
					return fmt.Errorf("%w: string length too long at byte %d", ErrBencode, i)
				}
				n = n*10 + int(b[j]-'0')
				j++
			}
			if j >= len(b) || b[j] != ':' {
				return fmt.Errorf("%w: malformed string length at byte %d", ErrBencode, i)
			}
			if j-i > 1 && b[i] == '0' {
				return fmt.Errorf("%w: string length with a leading zero at byte %d", ErrBencode, i)
			}
			j++
			if n > len(b)-j {
				return fmt.Errorf("%w: string of %d bytes at byte %d runs past the end", ErrBencode, n, i)
			}
			tokens++
			done()
			i = j + n
		default:
			return fmt.Errorf("%w: unexpected byte %q at byte %d", ErrBencode, c, i)
		}
		if tokens > lim.MaxTokens {
			return fmt.Errorf("%w: more than %d values", ErrBencode, lim.MaxTokens)
		}
		if len(stack) == 0 {
			if i != len(b) {
				return fmt.Errorf("%w: %d trailing bytes after the value", ErrBencode, len(b)-i)
			}
			return nil
		}
	}
}
