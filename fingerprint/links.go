package fingerprint

import (
	"bytes"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/leakhunt/leakhunt/internal/display"
)

// Limits applied by [ParseLink] and [ExtractLinks].
const (
	// MaxLinkLen is the longest link accepted, in bytes.
	MaxLinkLen = 16 << 10
	// MaxExtractBytes is how much of a text [ExtractLinks] scans; the rest
	// is ignored.
	MaxExtractBytes = 16 << 20
	// MaxExtractLinks is the most links [ExtractLinks] returns.
	MaxExtractLinks = 10_000
	// MaxLinkPeers is the most peer addresses kept from one link.
	MaxLinkPeers = 64
	// minLinkLen is shorter than any valid link ("magnet:?xt=urn:sha1:"
	// and 32 characters is the shortest).
	minLinkLen = 40
	// maxMagnetParams bounds the parameters read from one magnet.
	maxMagnetParams = 512
)

// Link kinds.
const (
	KindMagnet = "magnet"
	KindED2K   = "ed2k"
)

// ErrLink is wrapped by every error [ParseLink] returns.
var ErrLink = errors.New("invalid link")

// Link is what a magnet URI or an ed2k link says about one content. Hashes
// are normalized: hex fields lower case, TTH and AICH upper-case base32
// without padding (as [Fingerprint.TTH]). When a magnet carries several
// values of one kind (xt.1, xt.2), the first valid one is kept.
type Link struct {
	// Raw is the link as given (for ExtractLinks, as found after decoding).
	Raw string
	// Kind is KindMagnet or KindED2K.
	Kind string
	// BTIH is the BitTorrent v1 infohash, from urn:btih (zero when none).
	BTIH InfoHash
	// BTMH is the BitTorrent v2 infohash, from urn:btmh (zero when none).
	BTMH InfoHashV2
	// ED2K is the eDonkey2000 hash (32 hex).
	ED2K string
	// SHA1 is the content's SHA-1 (40 hex), from urn:sha1 or urn:bitprint.
	SHA1 string
	// TTH is the Tiger Tree Hash root (39 base32), from urn:tree:tiger or
	// urn:bitprint.
	TTH string
	// AICH is the eMule AICH root (32 base32), from an ed2k link's h=.
	AICH string
	// Size is the exact length in bytes (magnet xl, ed2k size), or -1 when
	// the link does not say (0 is the size of an empty file).
	Size int64
	// Name is the display name (dn, or the ed2k name), sanitized for
	// display; never a file name to create.
	Name string
	// Trackers are the tr URLs, at most MaxTrackers.
	Trackers []string
	// Peers are host:port addresses (magnet x.pe, ed2k sources), at most
	// MaxLinkPeers.
	Peers []string
}

// ParseLink parses one magnet URI or ed2k file link. It never panics and
// is safe for concurrent use.
func ParseLink(s string) (Link, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLinkLen {
		return Link{}, fmt.Errorf("%w: %d bytes is longer than %d", ErrLink, len(s), MaxLinkLen)
	}
	switch {
	case hasPrefixFold(s, "magnet:"):
		return parseMagnet(s)
	case hasPrefixFold(s, "ed2k://"):
		return parseED2K(s)
	}
	return Link{}, fmt.Errorf("%w: not a magnet or ed2k link", ErrLink)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// decodeHash reads a hash of n bytes written in hex or base32.
func decodeHash(s string, n int) ([]byte, bool) {
	switch len(s) {
	case 2 * n:
		b, err := hex.DecodeString(s)
		return b, err == nil
	case (8*n + 4) / 5:
		b, err := b32.DecodeString(strings.ToUpper(s))
		return b, err == nil && len(b) == n
	}
	return nil, false
}

func parseMagnet(s string) (Link, error) {
	l := Link{Raw: s, Kind: KindMagnet, Size: -1}
	q := s[len("magnet:"):]
	if !strings.HasPrefix(q, "?") {
		return Link{}, fmt.Errorf("%w: magnet without '?'", ErrLink)
	}
	params := strings.Split(q[1:], "&")
	if len(params) > maxMagnetParams {
		params = params[:maxMagnetParams]
	}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		k = strings.ToLower(k)
		if i := strings.IndexByte(k, '.'); i > 0 && k[:i] != "x" {
			if _, err := strconv.Atoi(k[i+1:]); err == nil {
				k = k[:i] // xt.1 → xt
			}
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		switch k {
		case "xt":
			l.addXT(val)
		case "xl":
			if n, err := strconv.ParseInt(val, 10, 64); err == nil && n >= 0 && n <= MaxTorrentLength && l.Size < 0 {
				l.Size = n
			}
		case "dn":
			if l.Name == "" && val != "" {
				l.Name = sanitizeComponent([]byte(val))
			}
		case "tr":
			l.Trackers = addTracker(l.Trackers, []byte(val))
		case "x.pe":
			l.addPeer(val)
		}
	}
	if l.BTIH.IsZero() && l.BTMH.IsZero() && l.ED2K == "" && l.SHA1 == "" && l.TTH == "" {
		return Link{}, fmt.Errorf("%w: magnet has no supported xt hash", ErrLink)
	}
	return l, nil
}

// addXT records one exact-topic URN; unknown or malformed ones are ignored.
func (l *Link) addXT(v string) {
	urn, val, ok := cutURN(v)
	if !ok {
		return
	}
	set := func(dst *string, s string) {
		if *dst == "" {
			*dst = s
		}
	}
	switch urn {
	case "btih":
		if h, ok := decodeHash(val, 20); ok && l.BTIH.IsZero() {
			l.BTIH = InfoHash(h)
		}
	case "btmh":
		if h, err := hex.DecodeString(val); err == nil && len(h) == 34 && h[0] == 0x12 && h[1] == 0x20 && l.BTMH.IsZero() {
			l.BTMH = InfoHashV2(h[2:])
		}
	case "ed2k", "ed2khash":
		if h, err := ParseED2KHash(val); err == nil && len(val) == 32 {
			set(&l.ED2K, h.String())
		}
	case "sha1":
		if h, ok := decodeHash(val, 20); ok {
			set(&l.SHA1, hex.EncodeToString(h))
		}
	case "tree:tiger", "tree:tiger/", "tree:tiger/1024":
		if h, ok := decodeHash(val, 24); ok {
			set(&l.TTH, b32.EncodeToString(h))
		}
	case "bitprint":
		s1, t1, ok := strings.Cut(val, ".")
		h1, ok1 := decodeHash(s1, 20)
		h2, ok2 := decodeHash(t1, 24)
		if ok && ok1 && ok2 && len(s1) == 32 && len(t1) == 39 {
			set(&l.SHA1, hex.EncodeToString(h1))
			set(&l.TTH, b32.EncodeToString(h2))
		}
	}
}

// cutURN splits "urn:NAME:VALUE" into the lower-case NAME and VALUE. Names
// containing a colon (tree:tiger) are handled by matching known prefixes.
func cutURN(v string) (string, string, bool) {
	if !hasPrefixFold(v, "urn:") {
		return "", "", false
	}
	v = v[4:]
	for _, name := range []string{"tree:tiger/1024:", "tree:tiger/:", "tree:tiger:"} {
		if hasPrefixFold(v, name) {
			return name[:len(name)-1], v[len(name):], true
		}
	}
	name, val, ok := strings.Cut(v, ":")
	return strings.ToLower(name), val, ok
}

// addPeer records a host:port address if it is one.
func (l *Link) addPeer(s string) {
	if len(l.Peers) >= MaxLinkPeers || len(s) > 300 {
		return
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || !display.Safe(host) {
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return
	}
	for _, p := range l.Peers {
		if p == s {
			return
		}
	}
	l.Peers = append(l.Peers, s)
}

// parseED2K parses ed2k://|file|NAME|SIZE|HASH|[h=AICH|][p=...|][s=...|]/
// optionally followed by |sources,IP:port,...|/.
func parseED2K(s string) (Link, error) {
	l := Link{Raw: s, Kind: KindED2K}
	parts := strings.Split(s[len("ed2k://"):], "|")
	if len(parts) < 5 || parts[0] != "" {
		return Link{}, fmt.Errorf("%w: ed2k link too short", ErrLink)
	}
	if !strings.EqualFold(parts[1], "file") {
		return Link{}, fmt.Errorf("%w: ed2k link is not a file link", ErrLink)
	}
	name := parts[2]
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	if name == "" {
		return Link{}, fmt.Errorf("%w: ed2k link without a name", ErrLink)
	}
	l.Name = sanitizeComponent([]byte(name))
	size, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || size < 0 || size > MaxTorrentLength {
		return Link{}, fmt.Errorf("%w: ed2k size %q", ErrLink, parts[3])
	}
	l.Size = size
	h, err := ParseED2KHash(parts[4])
	if err != nil || len(parts[4]) != 32 {
		return Link{}, fmt.Errorf("%w: ed2k hash %q", ErrLink, parts[4])
	}
	l.ED2K = h.String()
	for _, p := range parts[5:] {
		switch {
		case hasPrefixFold(p, "h="):
			if a, ok := decodeHash(p[2:], 20); ok && len(p) == 2+32 && l.AICH == "" {
				l.AICH = b32.EncodeToString(a)
			}
		case hasPrefixFold(p, "sources,"):
			for _, src := range strings.Split(p[len("sources,"):], ",") {
				l.addPeer(src)
			}
		}
	}
	return l, nil
}

// ExtractLinks finds every magnet URI and ed2k file link in a text or HTML
// page: plain, HTML-entity-encoded (&amp;) and percent-encoded
// (magnet%3A%3F… inside another URL). It scans at most MaxExtractBytes,
// skips links longer than MaxLinkLen or that do not parse, removes
// duplicates (same kind, hashes, size and name: the first is kept) and
// returns at most MaxExtractLinks, in order of appearance.
// Safe for concurrent use.
func ExtractLinks(text []byte) []Link {
	if len(text) > MaxExtractBytes {
		text = text[:MaxExtractBytes]
	}
	var out []Link
	seen := make(map[string]bool)
	add := func(s string) {
		l, err := ParseLink(s)
		key := strings.Join([]string{l.Kind, l.BTIH.String(), l.BTMH.String(), l.ED2K, l.SHA1, l.TTH, strconv.FormatInt(l.Size, 10), l.Name}, "|")
		if err != nil || seen[key] || len(out) >= MaxExtractLinks {
			return
		}
		seen[key] = true
		out = append(out, l)
	}
	ed2k := newED2KScan(text)
	for i := 0; i < len(text) && len(out) < MaxExtractLinks; {
		j, kind, encoded := nextLinkStart(text, i)
		if j < 0 {
			break
		}
		var run []byte
		if kind == KindMagnet {
			run = magnetRun(text[j:])
		} else {
			run = ed2k.run(j, encoded)
		}
		i = j + max(len(run), 1)
		if len(run) > MaxLinkLen*3 || len(run) < minLinkLen {
			continue
		}
		s := string(run)
		if encoded {
			u, err := url.QueryUnescape(s)
			if err != nil {
				continue
			}
			s = u
		}
		s = html.UnescapeString(s)
		if kind == KindMagnet {
			s = trimTrailingPunct(s)
		}
		add(s)
	}
	return out
}

var linkStarts = []struct {
	prefix  string
	kind    string
	encoded bool
}{
	{"magnet:?", KindMagnet, false},
	{"magnet%3a%3f", KindMagnet, true},
	{"ed2k://|", KindED2K, false},
	{"ed2k%3a%2f%2f%7c", KindED2K, true},
	{"ed2k://%7c", KindED2K, true},
}

// nextLinkStart finds the next place at or after i where a link starts.
func nextLinkStart(text []byte, i int) (int, string, bool) {
	for ; i < len(text); i++ {
		if c := text[i] | 0x20; c != 'm' && c != 'e' {
			continue
		}
		for _, ls := range linkStarts {
			if hasLowerPrefix(text[i:], ls.prefix) {
				return i, ls.kind, ls.encoded
			}
		}
	}
	return -1, "", false
}

// hasLowerPrefix reports whether b starts with prefix (lower-case ASCII),
// ignoring ASCII case.
func hasLowerPrefix(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for k := 0; k < len(prefix); k++ {
		c := b[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[k] {
			return false
		}
	}
	return true
}

// endsLink reports whether c ends a link in text or HTML.
func endsLink(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' || c == 0x7f
}

// magnetRun returns the magnet at the start of b, up to the first byte that
// cannot be part of it.
func magnetRun(b []byte) []byte {
	n := 0
	for n < len(b) && n <= MaxLinkLen*3 && !endsLink(b[n]) {
		n++
	}
	return b[:n]
}

// ed2kScan finds where plain ed2k links end. It caches the next "|/" and
// the next line break or markup, so that scanning a hostile text full of
// link starts stays linear.
type ed2kScan struct {
	text       []byte
	pipeSlash  int // first "|/" at or after the last search, or len(text)
	hard       int // first byte that ends any link, likewise
	searchedPS int
	searchedH  int
}

func newED2KScan(text []byte) *ed2kScan {
	return &ed2kScan{text: text, searchedPS: -1, searchedH: -1}
}

// end returns the index just after the first "|/" at or after from, if it
// comes before any line break or markup and within MaxLinkLen of start;
// otherwise -1.
func (s *ed2kScan) end(start, from int) int {
	if s.searchedPS < 0 || s.pipeSlash < from {
		s.pipeSlash = len(s.text)
		if i := bytes.Index(s.text[from:], []byte("|/")); i >= 0 {
			s.pipeSlash = from + i
		}
		s.searchedPS = from
	}
	if s.searchedH < 0 || s.hard < from {
		s.hard = len(s.text)
		if i := bytes.IndexAny(s.text[from:], "\n\r<>\""); i >= 0 {
			s.hard = from + i
		}
		s.searchedH = from
	}
	if s.pipeSlash >= len(s.text) || s.pipeSlash > s.hard || s.pipeSlash+2-start > MaxLinkLen {
		return -1
	}
	return s.pipeSlash + 2
}

// run returns the ed2k link starting at j. Plain names may hold spaces, so
// the link ends at "|/" (or "|/|sources,…|/"), not at white space.
func (s *ed2kScan) run(j int, encoded bool) []byte {
	b := s.text[j:]
	if encoded {
		return magnetRun(b)
	}
	n := s.end(j, j+len("ed2k://|"))
	if n < 0 {
		return magnetRun(b)
	}
	if rest := s.text[n:]; len(rest) > 9 && bytes.EqualFold(rest[:9], []byte("|sources,")) {
		if m := s.end(j, n+1); m > 0 {
			n = m
		}
	}
	return s.text[j:n]
}

// trimTrailingPunct removes sentence punctuation and unbalanced closing
// brackets that text puts after a link.
func trimTrailingPunct(s string) string {
	for len(s) > 0 {
		switch c := s[len(s)-1]; c {
		case '.', ',', ';', ':', '!', '?':
			s = s[:len(s)-1]
			continue
		case ')':
			if strings.Count(s, "(") < strings.Count(s, ")") {
				s = s[:len(s)-1]
				continue
			}
		case ']':
			if strings.Count(s, "[") < strings.Count(s, "]") {
				s = s[:len(s)-1]
				continue
			}
		}
		return s
	}
	return s
}
