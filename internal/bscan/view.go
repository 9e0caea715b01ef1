package bscan

import (
	"bytes"
	"errors"
)

// ErrType is returned by [View] methods when the value at an index is not
// of the type asked for.
var ErrType = errors.New("wrong type")

// View reads bencode that [Check] has already accepted: every value is well
// formed and nesting is bounded, so its methods do not repeat those checks
// and never recurse on the input. An index is the position of a value's
// first byte. Given input that did not pass [Check], the methods may panic.
type View []byte

// End returns the index just past the value that starts at i.
func (b View) End(i int) int {
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

// strAt decodes the string at i, which must start with a digit, and
// returns it with the index past it.
func (b View) strAt(i int) ([]byte, int) {
	n := 0
	j := i
	for b[j] != ':' {
		n = n*10 + int(b[j]-'0')
		j++
	}
	j++
	return b[j : j+n], j + n
}

// Str returns the string at i (a sub-slice of b) or [ErrType].
func (b View) Str(i int) ([]byte, error) {
	if c := b[i]; c < '0' || c > '9' {
		return nil, ErrType
	}
	s, _ := b.strAt(i)
	return s, nil
}

// Int returns the integer at i, or an error when it is not an integer
// ([ErrType]) or does not fit in an int64.
func (b View) Int(i int) (int64, error) {
	if b[i] != 'i' {
		return 0, ErrType
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
			return 0, errors.New("integer out of range")
		}
		v = v*10 + d
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// Dict calls fn for every key of the dictionary at i, with the index of its
// value, in the order of the input. It stops at the first error fn returns
// and returns it, or [ErrType] when the value at i is not a dictionary.
func (b View) Dict(i int, fn func(key []byte, v int) error) error {
	if b[i] != 'd' {
		return ErrType
	}
	i++
	for b[i] != 'e' {
		k, v := b.strAt(i)
		if err := fn(k, v); err != nil {
			return err
		}
		i = b.End(v)
	}
	return nil
}

// List calls fn with the index of every element of the list at i. It stops
// at the first error fn returns and returns it, or [ErrType] when the value
// at i is not a list.
func (b View) List(i int, fn func(v int) error) error {
	if b[i] != 'l' {
		return ErrType
	}
	i++
	for b[i] != 'e' {
		if err := fn(i); err != nil {
			return err
		}
		i = b.End(i)
	}
	return nil
}

// IsDict reports whether the value at i is a dictionary.
func (b View) IsDict(i int) bool { return b[i] == 'd' }
