package web

import (
	"bytes"
	"regexp"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// metaCharset finds a declared charset in <meta charset>, <meta
// http-equiv=Content-Type content="...; charset=..."> or an XML declaration.
var metaCharset = regexp.MustCompile(`(?i)(?:<meta\b[^>]*?\bcharset\s*=\s*["']?|<\?xml\b[^>]*?\bencoding\s*=\s*["'])([a-z0-9_.:\-]{1,40})`)

// prescanBytes is how far into a document a charset declaration is looked
// for. HTML says 1024; real pages put long <head>s first, so look further.
const prescanBytes = 16 << 10

// toUTF8 decodes body to UTF-8 and returns the name of the charset used,
// chosen from a BOM, the Content-Type charset, a declaration in the first
// bytes, then from the bytes: valid UTF-8, else EUC-JP or Shift_JIS when the
// bytes are valid in one of them, else windows-1252 (as browsers do).
// Invalid sequences become U+FFFD; the result is always valid UTF-8.
func toUTF8(body []byte, contentType string) ([]byte, string) {
	enc, name := detectCharset(body, contentType)
	if enc == nil || name == "utf-8" {
		if utf8.Valid(body) {
			return body, "utf-8"
		}
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), "utf-8"
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil || !utf8.Valid(out) {
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), "utf-8"
	}
	return out, name
}

func detectCharset(body []byte, contentType string) (encoding.Encoding, string) {
	if e, name, certain := charset.DetermineEncoding(body, contentType); certain {
		return e, name
	}
	head := body
	if len(head) > prescanBytes {
		head = head[:prescanBytes]
	}
	if m := metaCharset.FindSubmatch(head); m != nil {
		if e, name := charset.Lookup(string(m[1])); e != nil {
			// A UTF-16 label in a byte-oriented document means UTF-8.
			if name == "utf-16le" || name == "utf-16be" {
				return nil, "utf-8"
			}
			return e, name
		}
	}
	if utf8.Valid(body) {
		return nil, "utf-8"
	}
	switch {
	case validEUCJP(head):
		return japanese.EUCJP, "euc-jp"
	case validShiftJIS(head):
		return japanese.ShiftJIS, "shift_jis"
	}
	return charmap.Windows1252, "windows-1252"
}

// validEUCJP reports whether b is plausible EUC-JP with at least one
// two-byte character. Shift_JIS text (hiragana lead byte 0x82, ...) fails.
func validEUCJP(b []byte) bool {
	multi := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
		case c == 0x8e: // half-width katakana
			if i+1 >= len(b) {
				return true // cut by the prefix
			}
			if b[i+1] < 0xa1 || b[i+1] > 0xdf {
				return false
			}
			i++
			multi = true
		case c == 0x8f: // JIS X 0212
			if i+2 >= len(b) {
				return true
			}
			if b[i+1] < 0xa1 || b[i+2] < 0xa1 || b[i+1] == 0xff || b[i+2] == 0xff {
				return false
			}
			i += 2
			multi = true
		case c >= 0xa1 && c <= 0xfe:
			if i+1 >= len(b) {
				return multi
			}
			if b[i+1] < 0xa1 || b[i+1] > 0xfe {
				return false
			}
			i++
			multi = true
		default:
			return false
		}
	}
	return multi
}

// validShiftJIS reports whether b is plausible Shift_JIS.
func validShiftJIS(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80, c >= 0xa1 && c <= 0xdf:
		case (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc):
			if i+1 >= len(b) {
				return true
			}
			t := b[i+1]
			if t < 0x40 || t == 0x7f || t > 0xfc {
				return false
			}
			i++
		default:
			return false
		}
	}
	return true
}
