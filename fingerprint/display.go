package fingerprint

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

const (
	maxComponentLen = 255
	maxDisplayPath  = 4096
)

// sanitizeComponent makes one name or path component from untrusted input
// fit for display: "", "." and ".." become "_", "/" and "\" become "_",
// invalid UTF-8 and control characters are escaped as \xNN, format and
// separator characters (bidi overrides, zero widths, U+2028) as \uNNNN, and
// the result is cut to about 255 bytes. It is data, never a file name to
// create.
func sanitizeComponent(c []byte) string {
	switch string(c) {
	case "", ".", "..":
		return "_"
	}
	if len(c) <= maxComponentLen && plainASCII(c) {
		return string(c)
	}
	var sb strings.Builder
	for i := 0; i < len(c); {
		if sb.Len() >= maxComponentLen {
			sb.WriteString("…")
			break
		}
		r, n := utf8.DecodeRune(c[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, c[i])
		case r == '/' || r == '\\':
			sb.WriteByte('_')
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			fmt.Fprintf(&sb, `\x%02x`, r)
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs) || r == utf8.RuneError:
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteRune(r)
		}
		i += n
	}
	return sb.String()
}

// displayPath joins a file's sanitized components with "/". A single-file
// torrent's file is shown under the torrent's (sanitized) name.
func displayPath(f rawFile, name string) string {
	if f.isSingle && len(f.path) == 1 {
		return sanitizeComponent(f.path[0])
	}
	if len(f.path) == 0 {
		return "_"
	}
	var sb strings.Builder
	for i, c := range f.path {
		if i > 0 {
			sb.WriteByte('/')
		}
		sb.WriteString(sanitizeComponent(c))
		if sb.Len() > maxDisplayPath {
			return truncateUTF8(sb.String(), maxDisplayPath) + "…"
		}
	}
	return sb.String()
}

// validUTF8Name reports whether b is a usable alternative name.
func validUTF8Name(b []byte) bool { return len(b) > 0 && utf8.Valid(b) }

func allValidUTF8(p [][]byte) bool {
	for _, c := range p {
		if !utf8.Valid(c) {
			return false
		}
	}
	return true
}

// printable reports whether b is valid UTF-8 without control, format or
// separator characters.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	return true
}

// truncateUTF8 cuts s to at most n bytes on a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// plainASCII reports whether c is printable ASCII without path separators.
func plainASCII(c []byte) bool {
	for _, b := range c {
		if b < 0x20 || b >= 0x7f || b == '/' || b == '\\' {
			return false
		}
	}
	return true
}

// maxEncodingName bounds the "encoding" label looked up.
const maxEncodingName = 40

// nameDecoder returns the decoder for a .torrent's "encoding" label
// (Shift_JIS, EUC-JP, GBK, Big5, ... as the WHATWG encoding labels name
// them), or nil when names are UTF-8 already or the label is unknown.
func nameDecoder(label []byte) *encoding.Decoder {
	if len(label) == 0 || len(label) > maxEncodingName {
		return nil
	}
	e, err := htmlindex.Get(strings.TrimSpace(string(label)))
	if err != nil || e == encoding.Nop {
		return nil
	}
	if n, _ := htmlindex.Name(e); n == "utf-8" || strings.HasPrefix(n, "utf-16") {
		return nil
	}
	return e.NewDecoder()
}

// decodeName decodes a name or path component written in a legacy charset.
// It returns b unchanged when there is no decoder, when b is valid UTF-8
// (creators that label UTF-8 names with their locale's charset exist, and
// UTF-8 Japanese often decodes "cleanly" as Shift_JIS into nonsense, while
// Shift_JIS kanji are almost never valid UTF-8), or when b does not decode
// cleanly: the caller then shows it as it is, escaped where it is not
// UTF-8.
func decodeName(dec *encoding.Decoder, b []byte) []byte {
	if dec == nil || utf8.Valid(b) {
		return b
	}
	out, err := dec.Bytes(b)
	if err != nil || !utf8.Valid(out) || strings.ContainsRune(string(out), utf8.RuneError) {
		return b
	}
	return out
}
