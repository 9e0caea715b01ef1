package web

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/width"
)

// sizeRe matches a size written in text: an integer part (with optional
// thousands separators), an optional decimal part and a byte unit. The
// leading and trailing groups stand in for word boundaries.
var sizeRe = regexp.MustCompile(`(?:^|[^\w.,])(\d{1,3}(?:[,\x{00a0}\x{202f}]\d{3})+|\d{1,19})(?:[.,](\d{1,9}))?[ \x{00a0}]?((?i:bytes?|octets?|[kmgtpe]i?b(?:ytes?)?)|(?-i:B)|バイト|[KMGTkmgt]バイト|キロバイト|メガバイト|ギガバイト|テラバイト)(?:$|[^\w])`)

// unitShift is log2 of a unit's multiplier. Torrent sites and clients write
// "GB" for GiB, so KB, MB, ... are taken as binary too.
func unitShift(unit string) (uint, bool) {
	u := strings.ToLower(unit)
	switch {
	case u == "b" || strings.HasPrefix(u, "byte") || strings.HasPrefix(u, "octet") || u == "バイト":
		return 0, true
	case strings.HasPrefix(u, "キロ"):
		return 10, true
	case strings.HasPrefix(u, "メガ"):
		return 20, true
	case strings.HasPrefix(u, "ギガ"):
		return 30, true
	case strings.HasPrefix(u, "テラ"):
		return 40, true
	}
	switch u[0] {
	case 'k':
		return 10, true
	case 'm':
		return 20, true
	case 'g':
		return 30, true
	case 't':
		return 40, true
	case 'p':
		return 50, true
	case 'e':
		return 60, true
	}
	return 0, false
}

// foldWidth maps full-width digits, letters and punctuation to ASCII
// ("１．２ＧＢ" → "1.2GB").
func foldWidth(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return width.Fold.String(s)
		}
	}
	return s
}

// FindSize returns the first size written in s, in bytes ("1.2 GB",
// "350 MiB", "1,234,567 bytes", "１．２ＧＢ", "700メガバイト"), and whether
// one was found. KB, MB, GB are read as binary units, as torrent sites mean
// them; the result is approximate unless the text gives bytes.
func FindSize(s string) (int64, bool) {
	if strings.IndexFunc(s, func(r rune) bool { return (r >= '0' && r <= '9') || (r >= '０' && r <= '９') }) < 0 {
		return 0, false
	}
	s = foldWidth(s)
	for _, m := range sizeRe.FindAllStringSubmatch(s, 8) {
		if n, ok := sizeValue(m[1], m[2], m[3]); ok {
			return n, true
		}
	}
	return 0, false
}

// wholeSize reports whether s, trimmed, is nothing but a size (a table
// cell), and its value.
func wholeSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 60 {
		return 0, false
	}
	s = foldWidth(s)
	// Cheap refusal first: a size starts with a digit (after at most one
	// boundary character).
	if !isDigit(s[0]) && (len(s) < 2 || !isDigit(s[1])) {
		return 0, false
	}
	loc := sizeRe.FindStringSubmatchIndex(s)
	if loc == nil {
		return 0, false
	}
	// The match may include one boundary character on each side.
	if loc[2] > 1 || len(s)-loc[1] > 1 {
		return 0, false
	}
	g := func(i int) string {
		if loc[2*i] < 0 {
			return ""
		}
		return s[loc[2*i]:loc[2*i+1]]
	}
	return sizeValue(g(1), g(2), g(3))
}

func sizeValue(intPart, frac, unit string) (int64, bool) {
	shift, ok := unitShift(unit)
	if !ok {
		return 0, false
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, intPart)
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64>>shift {
		return 0, false
	}
	v := n << shift
	if frac != "" && shift > 0 {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err == nil {
			add := int64(math.Round(f * float64(int64(1)<<shift)))
			if v > math.MaxInt64-add {
				return 0, false
			}
			v += add
		}
	}
	if v <= 0 {
		return 0, false
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
