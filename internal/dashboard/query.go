package dashboard

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// PeerFilter selects peers: every set field must hold. It is what the
// peers page and /api/peers read from their query parameters
// ([ParsePeerFilter]).
type PeerFilter struct {
	// MinLevel is the lowest level listed (min_level=L2).
	MinLevel evidence.Level
	// Level, when not -1, is the only level listed (level=L4).
	Level evidence.Level
	// Document is a catalogued document's SHA-256, or its first 8 or
	// more hex digits (document=).
	Document string
	// InfoHash is one torrent (infohash=).
	InfoHash fingerprint.InfoHash
	// IP and Port are one address (ip=, port=).
	IP   netip.Addr
	Port int
	// ASN is one autonomous system (asn=AS64500 or asn=64500).
	ASN uint32
	// ISP is part of the network's name, any case (isp=).
	ISP string
	// Country is an ISO 3166 code (country=JP).
	Country string
	// Since and Until bound when the peer was seen: last seen at or after
	// Since, first seen at or before Until (since=, until=: RFC 3339, a
	// date, or a date and minutes as a browser's date-time field sends).
	Since, Until time.Time
	// Offset and Limit page the result (offset=, limit=; 0: all).
	Offset, Limit int
}

// maxFilterText bounds the length of a text parameter.
const maxFilterText = 200

// maxOffset bounds offset=.
const maxOffset = 1 << 30

// ParsePeerFilter reads a filter from query parameters. maxLimit caps
// limit= (0: no cap) and is the limit when none is given. Unknown
// parameters are ignored; a malformed one is an error naming it.
func ParsePeerFilter(q url.Values, maxLimit int) (PeerFilter, error) {
	f := PeerFilter{Level: -1, Limit: maxLimit}
	var err error
	for _, p := range []struct {
		name string
		set  func(string) error
	}{
		{"min_level", func(v string) (err error) { f.MinLevel, err = evidence.ParseLevel(v); return }},
		{"level", func(v string) (err error) { f.Level, err = evidence.ParseLevel(v); return }},
		{"document", func(v string) error { f.Document, err = parseDocument(v); return err }},
		{"infohash", func(v string) (err error) { f.InfoHash, err = fingerprint.ParseInfoHash(v); return }},
		{"ip", func(v string) (err error) { f.IP, err = netip.ParseAddr(v); f.IP = f.IP.Unmap(); return }},
		{"port", func(v string) error { f.Port, err = parseInt(v, 1, 65535); return err }},
		{"asn", func(v string) error { f.ASN, err = parseASN(v); return err }},
		{"isp", func(v string) error { f.ISP, err = parseText(v); f.ISP = strings.ToLower(f.ISP); return err }},
		{"country", func(v string) error { f.Country, err = parseCountry(v); return err }},
		{"since", func(v string) (err error) { f.Since, err = parseTime(v, false); return }},
		{"until", func(v string) (err error) { f.Until, err = parseTime(v, true); return }},
		{"offset", func(v string) error { f.Offset, err = parseInt(v, 0, maxOffset); return err }},
		{"limit", func(v string) error { f.Limit, err = parseLimit(v, maxLimit); return err }},
	} {
		v := strings.TrimSpace(q.Get(p.name))
		if v == "" {
			continue
		}
		if err := p.set(v); err != nil {
			return PeerFilter{}, fmt.Errorf("%s=%q: %v", p.name, shorten(v), err)
		}
	}
	return f, nil
}

func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("want a number from %d to %d", lo, hi)
	}
	return n, nil
}

func parseLimit(v string, maxLimit int) (int, error) {
	hi := maxLimit
	if hi == 0 {
		hi = maxOffset
	}
	return parseInt(v, 1, hi)
}

func parseDocument(v string) (string, error) {
	v = strings.ToLower(v)
	if len(v) < 8 || len(v) > 64 || strings.Trim(v, "0123456789abcdef") != "" {
		return "", fmt.Errorf("want a document's SHA-256 or its first 8 or more hex digits")
	}
	return v, nil
}

func parseASN(v string) (uint32, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(v), "AS"), 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("want an AS number (AS64500)")
	}
	return uint32(n), nil
}

func parseText(v string) (string, error) {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxFilterText {
		return "", fmt.Errorf("want at most %d characters of text", maxFilterText)
	}
	return v, nil
}

func parseCountry(v string) (string, error) {
	v = strings.ToUpper(v)
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		return "", fmt.Errorf("want a two-letter country code")
	}
	return v, nil
}

// parseTime reads RFC 3339, "2006-01-02T15:04" (a browser's date-time
// field, taken as UTC) or a date; a date ends its day when end is set.
func parseTime(v string, end bool) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a time (2026-03-01T12:00:00Z) or a date (2026-03-01)")
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

// shorten cuts a parameter for an error message.
func shorten(v string) string {
	if len(v) > 64 {
		return v[:64] + "…"
	}
	return v
}

// Values is the filter as query parameters (without offset), for links
// that keep it.
func (f PeerFilter) Values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.MinLevel > 0 {
		set("min_level", f.MinLevel.String())
	}
	if f.Level >= 0 {
		set("level", f.Level.String())
	}
	set("document", f.Document)
	if !f.InfoHash.IsZero() {
		set("infohash", f.InfoHash.String())
	}
	if f.IP.IsValid() {
		set("ip", f.IP.String())
	}
	if f.Port != 0 {
		set("port", strconv.Itoa(f.Port))
	}
	if f.ASN != 0 {
		set("asn", "AS"+strconv.FormatUint(uint64(f.ASN), 10))
	}
	set("isp", f.ISP)
	set("country", f.Country)
	if !f.Since.IsZero() {
		set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		set("until", f.Until.Format(time.RFC3339Nano))
	}
	return q
}

// match reports whether a peer passes the filter.
func (f *PeerFilter) match(r *PeerRow) bool {
	switch {
	case r.Level < f.MinLevel, f.Level >= 0 && r.Level != f.Level:
		return false
	case f.Document != "" && !strings.HasPrefix(r.Document, f.Document):
		return false
	case !f.InfoHash.IsZero() && r.InfoHash != f.InfoHash:
		return false
	case f.IP.IsValid() && r.IP != f.IP.String(), f.Port != 0 && r.Port != f.Port:
		return false
	case f.ASN != 0 && r.ASN != f.ASN, f.Country != "" && r.Country != f.Country:
		return false
	case f.ISP != "" && !strings.Contains(strings.ToLower(r.ISP), f.ISP):
		return false
	case !f.Since.IsZero() && r.LastSeen.Before(f.Since), !f.Until.IsZero() && r.FirstSeen.After(f.Until):
		return false
	}
	return true
}
