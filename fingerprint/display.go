package fingerprint

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/leakhunt/leakhunt/internal/display"
)

const (
	// maxComponentLen is the number of characters of a name or path
	// component shown (see [display.String]).
	maxComponentLen = 255
	// maxDisplayPath bounds a shown path in bytes; components past it are
	// left out.
	maxDisplayPath = 4096
)

// sanitizeComponent makes one name or path component from untrusted input
// fit for display: "", "." and ".." become "_", "/" and "\" become "_", and
// the rest is shown by [display.String] (unsafe runes and invalid bytes
// escaped, at most maxComponentLen characters). It is data, never a file
// name to create.
func sanitizeComponent(c []byte) string {
	switch string(c) {
	case "", ".", "..":
		return "_"
	}
	s := string(c)
	if strings.ContainsAny(s, `/\`) {
		s = strings.NewReplacer("/", "_", `\`, "_").Replace(s)
	}
	return display.String(s, maxComponentLen)
}

// displayPath joins a file's sanitized components with "/". A single-file
// torrent's file is shown under the torrent's (sanitized) name. A path
// longer than maxDisplayPath bytes ends with "/…[N more components]".
func displayPath(f rawFile, name string) string {
	if f.isSingle && len(f.path) == 1 {
		return sanitizeComponent(f.path[0])
	}
	if len(f.path) == 0 {
		return "_"
	}
	var sb strings.Builder
	for i, c := range f.path {
		s := sanitizeComponent(c)
		if i > 0 && sb.Len()+1+len(s) > maxDisplayPath {
			fmt.Fprintf(&sb, "/…[%d more components]", len(f.path)-i)
			break
		}
		if i > 0 {
			sb.WriteByte('/')
		}
		sb.WriteString(s)
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
