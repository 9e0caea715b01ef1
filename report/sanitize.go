package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxField is the number of runes of a network-supplied string shown in
// letters, HTML, SVG and CSV; longer strings are cut with a marker.
const maxField = 200

// unsafeRune reports whether r could change how surrounding text is
// displayed or read: control characters, bidirectional overrides and
// isolates, other format characters, line and paragraph separators.
func unsafeRune(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case unicode.Is(unicode.Cf, r): // includes U+200E/F, U+202A–E, U+2066–9, U+FEFF
		return true
	}
	return false
}

// display makes a network-supplied string inert for display: unsafe runes
// become visible \uXXXX escapes and the result is cut to max runes.
func display(s string, max int) string {
	if len(s) <= max && plainASCII(s) {
		return s
	}
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n >= max {
			fmt.Fprintf(&b, "…[%d more bytes]", len(s)-i)
			break
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, "\\x%02x", s[i])
				n++
				continue
			}
		}
		if unsafeRune(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
		} else {
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}

// field is display with the default cap.
func field(s string) string { return display(s, maxField) }

// defang rewrites dotted quads and colon-separated hex runs inside a
// network-supplied string so that a torrent named "10.0.0.1" is not read
// as an accused address: every '.' or ':' between two alphanumerics
// becomes "[.]" or "[:]". Used in letters only, where addresses matter.
func defang(s string) string {
	if !strings.ContainsAny(s, ".:") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == '.' || c == ':') && i > 0 && i+1 < len(s) && isHexDigit(s[i-1]) && isHexDigit(s[i+1]) && looksLikeAddr(s, i) {
			b.WriteByte('[')
			b.WriteByte(c)
			b.WriteByte(']')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// plainASCII reports whether s is printable ASCII only (nothing to escape).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// looksLikeAddr reports whether the token around s[i] holds at least three
// dots or two colons, the shape of an IP address.
func looksLikeAddr(s string, i int) bool {
	lo, hi := i, i
	for lo > 0 && (isHexDigit(s[lo-1]) || s[lo-1] == '.' || s[lo-1] == ':') {
		lo--
	}
	for hi < len(s) && (isHexDigit(s[hi]) || s[hi] == '.' || s[hi] == ':') {
		hi++
	}
	tok := s[lo:hi]
	return strings.Count(tok, ".") >= 3 || strings.Count(tok, ":") >= 2
}

// letterField is what a letter shows of a network-supplied string.
func letterField(s string) string { return defang(field(s)) }

// csvCell neutralizes a cell a spreadsheet would evaluate: one that starts
// with = + - @, a tab or a carriage return gets a leading apostrophe.
// Unsafe runes are escaped as in display, without a length cap.
func csvCell(s string) string {
	s = display(s, 1<<20)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// escapeJSONUnsafe rewrites unsafe runes inside already-encoded JSON as
// \uXXXX escapes. The JSON decodes to the same values (they can occur only
// inside strings, since encoding/json escapes control characters itself)
// but no longer reorders or hides text when a person views the file.
func escapeJSONUnsafe(b []byte) []byte {
	if plainASCII(string(b)) {
		return b
	}
	ok := true
	for _, r := range string(b) {
		if r >= 0x80 && unsafeRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return b
	}
	var out strings.Builder
	for _, r := range string(b) {
		if r >= 0x80 && unsafeRune(r) && r != utf8.RuneError {
			if r > 0xffff {
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
				continue
			}
			fmt.Fprintf(&out, "\\u%04x", r)
			continue
		}
		out.WriteRune(r)
	}
	return []byte(out.String())
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
