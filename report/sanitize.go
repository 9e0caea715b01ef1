package report

import (
	"strings"

	"github.com/leakhunt/leakhunt/internal/display"
)

// maxField is the number of characters of a network-supplied string
// shown in letters, HTML, SVG and CSV; longer strings are cut with a marker.
const maxField = 200

// field is what a report shows of a network-supplied string (see
// [display.String]).
func field(s string) string { return display.String(s, maxField) }

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
