package fingerprint

import (
	"bytes"
	"errors"
	"fmt"
)

var errType = errors.New("wrong type")

// bview reads bencode that [CheckBencode] has already accepted: every value
// is well formed and nesting is bounded, so the helpers below do not repeat
// those checks and never recurse on the input.
type bview []byte

// end returns the index just past the value that starts at i.
func (b bview) end(i int) int {
	depth := 0
	for {
		switch c := b[i]; {
		case c == 'e':
			depth--
			i++
		case c == 'l' || c == 'd':
			depth++
			i++
		case c == 'i':
			i += bytes.IndexByte(b[i:], 'e') + 1
		default:
			_, i = b.strAt(i)
		}
		if depth == 0 {
			return i
		}
	}
}

// strAt decodes the string at i, which must start with a digit.
func (b bview) strAt(i int) ([]byte, int) {
	n := 0
	j := i
	for b[j] != ':' {
		n = n*10 + int(b[j]-'0')
		j++
	}
	j++
	return b[j : j+n], j + n
}

// str returns the string at i or errType.
func (b bview) str(i int) ([]byte, error) {
	if c := b[i]; c < '0' || c > '9' {
		return nil, errType
	}
	s, _ := b.strAt(i)
	return s, nil
}

// int returns the integer at i, or an error when it is not an integer or
// does not fit in an int64.
func (b bview) int(i int) (int64, error) {
	if b[i] != 'i' {
		return 0, errType
	}
	j := i + 1
	neg := false
	if b[j] == '-' {
		neg = true
		j++
	}
	var v uint64
	for ; b[j] != 'e'; j++ {
		d := uint64(b[j] - '0')
		if v > (1<<63-1-d)/10 {
			return 0, fmt.Errorf("integer out of range")
		}
		v = v*10 + d
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// dict calls fn for every key of the dictionary at i, with the index of its
// value. It stops at the first error fn returns.
func (b bview) dict(i int, fn func(key []byte, v int) error) error {
	if b[i] != 'd' {
		return errType
	}
	i++
	for b[i] != 'e' {
		k, v := b.strAt(i)
		if err := fn(k, v); err != nil {
			return err
		}
		i = b.end(v)
	}
	return nil
}

// list calls fn for every element of the list at i.
func (b bview) list(i int, fn func(v int) error) error {
	if b[i] != 'l' {
		return errType
	}
	i++
	for b[i] != 'e' {
		if err := fn(i); err != nil {
			return err
		}
		i = b.end(i)
	}
	return nil
}

// isDict reports whether the value at i is a dictionary.
func (b bview) isDict(i int) bool { return b[i] == 'd' }
