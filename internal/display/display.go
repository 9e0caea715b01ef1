// Package display makes text that came from the network (torrent and file
// names, client strings, page titles, tracker messages) safe to show in a
// terminal, a letter, an HTML or SVG page, a CSV cell or a JSON file.
//
// # The rule
//
// A rune is unsafe ([Unsafe]) when it could change how the text around it
// is shown or read: C0 and C1 control characters and DEL, the line and
// paragraph separators U+2028 and U+2029, bidirectional overrides and
// isolates and every other format character (Unicode category Cf: zero
// widths, U+FEFF, tag characters), private-use characters, and U+FFFD.
// [String] shows an unsafe rune as a visible escape (\u202e, or
// \U000e0001 above U+FFFF) and each byte of invalid UTF-8 as \xNN, so that
// the result is valid UTF-8 and a reader sees that something was there.
//
// # The limit
//
// [String] shows at most max characters of its input (an escaped rune or
// byte counts as one) and replaces the rest with "…[N more bytes]", N
// counting the input's bytes left out. It never splits a character or an
// escape.
//
// Exports add their own neutralising on top: [CSV] for spreadsheet cells,
// [JSON] for encoded JSON.
//
// Everything here is a pure function, safe for concurrent use.
package display

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NoLimit is a max for [String] that never cuts.
const NoLimit = int(^uint(0) >> 1)

// Unsafe reports whether r could change how surrounding text is displayed
// or read (see the package comment).
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r < 0x80:
		return false
	case r == 0x2028, r == 0x2029, r == utf8.RuneError:
		return true
	}
	// Cf includes U+00AD, U+200B–F, U+202A–E, U+2060–4, U+2066–9, U+FEFF
	// and the tag characters U+E0001–E007F.
	return unicode.In(r, unicode.Cf, unicode.Co) || !utf8.ValidRune(r)
}

// Safe reports whether s is valid UTF-8 without an unsafe rune: what
// [String] returns unchanged when it is short enough.
func Safe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return safeSlow(s[i:])
		}
	}
	return true
}

func safeSlow(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return false
			}
		}
		if Unsafe(r) {
			return false
		}
	}
	return true
}

// String returns s fit for display: unsafe runes escaped, invalid bytes
// escaped, at most max characters of s shown and the rest replaced by
// "…[N more bytes]". The result is valid UTF-8 without unsafe runes, and
// String of it is itself when max does not cut.
func String(s string, max int) string {
	if len(s) <= max && Safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*max+32))
	n := 0
	for i := 0; i < len(s); {
		if n >= max {
			fmt.Fprintf(&b, "…[%d more bytes]", len(s)-i)
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r > 0xffff && Unsafe(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		case Unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
		n++
	}
	return b.String()
}

// Truncate cuts s to at most n bytes on a rune boundary, for a value kept
// with a bound in bytes. It neither escapes nor marks the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// CSV makes s a CSV cell a spreadsheet shows and never evaluates: unsafe
// runes are escaped as by [String] (without a length limit), and a cell
// that starts with = + - @, a tab or a carriage return gets a leading
// apostrophe.
func CSV(s string) string {
	s = String(s, NoLimit)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// JSON rewrites the unsafe runes above U+007F inside encoded JSON as \uXXXX
// escapes (UTF-16 pairs above U+FFFF). The JSON decodes to the same values
// (such runes can occur only inside strings, and encoding/json escapes
// control characters itself) but no longer reorders or hides text when a
// person views the file. It returns b itself when there is nothing to
// rewrite.
func JSON(b []byte) []byte {
	if !jsonUnsafe(b) {
		return b
	}
	var out strings.Builder
	out.Grow(len(b) + 32)
	for _, r := range string(b) {
		switch {
		case r < 0x80 || !Unsafe(r) || r == utf8.RuneError:
			out.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xd800+(r>>10)&0x3ff, 0xdc00+r&0x3ff)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return []byte(out.String())
}

func jsonUnsafe(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if Unsafe(r) && r != utf8.RuneError {
			return true
		}
		i += n
	}
	return false
}

// Lines renders n records with line(i), at most max of them (0: all),
// and then one line saying how many more there are, so that a transcript
// shown to people is cut the same way everywhere.
func Lines(n, max int, line func(i int) string) []string {
	shown := n
	if max > 0 && n > max {
		shown = max
	}
	out := make([]string, 0, shown+1)
	for i := range shown {
		out = append(out, line(i))
	}
	if shown < n {
		out = append(out, fmt.Sprintf("... %d more records", n-shown))
	}
	return out
}
