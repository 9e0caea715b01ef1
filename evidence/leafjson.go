package evidence

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeLeaf decodes a log leaf into o, as json.Unmarshal would. Leaves in
// the form json.Marshal writes them (every leaf leakhunt appends) are
// decoded by a parser made for that form, several times faster; anything
// else (an unknown field, a null, a float, an escaped key) goes to
// encoding/json, so the result is always encoding/json's.
func DecodeLeaf(leaf []byte, o *Observation) error {
	var fast Observation
	p := leafParser{b: leaf}
	if p.observation(&fast) && p.end() {
		*o = fast
		return nil
	}
	*o = Observation{}
	return json.Unmarshal(leaf, o)
}

// leafParser reads JSON in the form json.Marshal writes; every method
// returns false at the first thing it does not expect.
type leafParser struct {
	b []byte
	i int
}

func (p *leafParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *leafParser) byte(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *leafParser) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// object calls field for each key of an object; field reads the value
// and returns the key's position in the struct, or -1. Keys must come in
// struct order, as json.Marshal writes them: a repeated or reordered key
// goes to encoding/json.
func (p *leafParser) object(field func(key string) int) bool {
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return true
	}
	last := -1
	for {
		key, ok := p.key()
		if !ok || !p.byte(':') {
			return false
		}
		pos := field(key)
		if pos <= last {
			return false
		}
		last = pos
		if p.byte(',') {
			continue
		}
		return p.byte('}')
	}
}

// at is pos when ok, else -1.
func at(pos int, ok bool) int {
	if !ok {
		return -1
	}
	return pos
}

// key reads an object key with no escapes.
func (p *leafParser) key() (string, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			k := string(p.b[p.i+1 : j])
			p.i = j + 1
			return k, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// str reads a string value, undoing the escapes encoding/json writes.
func (p *leafParser) str(dst *string) bool {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return false
	}
	start := p.i + 1
	j := start
	for ; j < len(p.b); j++ {
		c := p.b[j]
		if c == '"' {
			*dst = string(p.b[start:j])
			p.i = j + 1
			return true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	// Slow path: escapes or non-ASCII.
	out := make([]byte, 0, j-start+16)
	out = append(out, p.b[start:j]...)
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			*dst = string(out)
			p.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(p.b) {
				return false
			}
			switch e := p.b[j+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				j += 2
			case 'b':
				out, j = append(out, '\b'), j+2
			case 'f':
				out, j = append(out, '\f'), j+2
			case 'n':
				out, j = append(out, '\n'), j+2
			case 'r':
				out, j = append(out, '\r'), j+2
			case 't':
				out, j = append(out, '\t'), j+2
			case 'u':
				r, ok := hex4(p.b, j+2)
				if !ok {
					return false
				}
				j += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if j+1 < len(p.b) && p.b[j] == '\\' && p.b[j+1] == 'u' {
						r2, ok = hex4(p.b, j+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r, j = dec, j+6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				return false
			}
		case c < 0x80:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(p.b[j:])
			if r == utf8.RuneError && size == 1 {
				return false // encoding/json replaces it; let it
			}
			out = append(out, p.b[j:j+size]...)
			j += size
		}
	}
	return false
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(v), err == nil
}

// int reads an integer (no fraction, no exponent).
func (p *leafParser) int(dst *int64) bool {
	p.ws()
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	if j < len(p.b) && (p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E') {
		return false
	}
	digits := p.b[p.i:j]
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) > 1 && digits[0] == '0' { // JSON has no leading zeros
		return false
	}
	v, err := strconv.ParseInt(string(p.b[p.i:j]), 10, 64)
	if err != nil {
		return false
	}
	*dst, p.i = v, j
	return true
}

func (p *leafParser) intField(dst *int) bool {
	var v int64
	if !p.int(&v) || int64(int(v)) != v {
		return false
	}
	*dst = int(v)
	return true
}

// array reads an array, calling elem to read each element.
func (p *leafParser) array(elem func() bool) bool {
	if !p.byte('[') {
		return false
	}
	if p.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.byte(',') {
			continue
		}
		return p.byte(']')
	}
}

// ints reads an array of integers.
func (p *leafParser) ints(dst *[]int) bool {
	out := []int{}
	ok := p.array(func() bool {
		var v int
		if !p.intField(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	if ok {
		*dst = out
	}
	return ok
}

// level reads a level's number.
func (p *leafParser) level(dst *Level) bool {
	var v int
	if !p.intField(&v) {
		return false
	}
	*dst = Level(v)
	return true
}

// strs reads an array of strings.
func (p *leafParser) strs(dst *[]string) bool {
	out := []string{}
	ok := p.array(func() bool {
		var v string
		if !p.str(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	if ok {
		*dst = out
	}
	return ok
}

// text reads a string into an encoding.TextUnmarshaler.
func (p *leafParser) text(dst interface{ UnmarshalText([]byte) error }) bool {
	var s string
	return p.str(&s) && dst.UnmarshalText([]byte(s)) == nil
}

func (p *leafParser) observation(o *Observation) bool {
	return p.object(func(k string) int {
		switch k {
		case "time":
			return at(0, p.text(&o.Time))
		case "clock_offset":
			return at(1, p.str(&o.ClockOffset))
		case "clock":
			o.Clock = &ClockMeasurement{}
			return at(2, p.clock(o.Clock))
		case "level":
			return at(3, p.level(&o.Level))
		case "source":
			return at(4, p.str(&o.Source))
		case "ip":
			return at(5, p.str(&o.IP))
		case "port":
			return at(6, p.intField(&o.Port))
		case "peer_id":
			return at(7, p.str(&o.PeerID))
		case "client":
			return at(8, p.str(&o.Client))
		case "transport":
			return at(9, p.str(&o.Transport))
		case "infohash":
			return at(10, p.text(&o.InfoHash))
		case "document":
			return at(11, p.str(&o.Document))
		case "pieces_claimed":
			return at(12, p.ints(&o.PiecesClaimed))
		case "claimed_count":
			return at(13, p.intField(&o.ClaimedCount))
		case "pieces_verified":
			return at(14, p.ints(&o.PiecesVerified))
		case "pieces_failed":
			return at(15, p.ints(&o.PiecesFailed))
		case "doc_bytes_verified":
			return at(16, p.int(&o.DocBytesVerified))
		case "basis":
			return at(17, p.str(&o.Basis))
		case "error":
			return at(18, p.str(&o.Error))
		case "reason":
			return at(19, p.str(&o.Reason))
		case "transports_tried":
			return at(20, p.strs(&o.Tried))
		case "ended":
			return at(21, p.text(&o.Ended))
		case "detail":
			return at(22, p.str(&o.Detail))
		case "listen_addr":
			return at(23, p.str(&o.ListenAddr))
		case "your_ip":
			return at(24, p.str(&o.YourIP))
		case "version":
			return at(25, p.str(&o.Version))
		case "transcript_sha256":
			return at(26, p.str(&o.TranscriptSHA256))
		case "network":
			return at(27, p.str(&o.Network))
		case "ed2k":
			return at(28, p.text(&o.ED2K))
		case "parts_claimed":
			return at(29, p.ints(&o.PartsClaimed))
		case "block_requested":
			o.BlockRequested = &ByteRange{}
			return at(30, p.byteRange(o.BlockRequested))
		case "block_verified":
			o.BlockVerified = &ByteRange{}
			return at(31, p.byteRange(o.BlockVerified))
		case "sensor":
			return at(32, p.str(&o.Sensor))
		case "sensor_addr":
			return at(33, p.str(&o.SensorAddr))
		}
		return -1 // a field this parser does not know: encoding/json decides
	})
}

func (p *leafParser) clock(m *ClockMeasurement) bool {
	return p.object(func(k string) int {
		switch k {
		case "asked":
			return at(0, p.strs(&m.Asked))
		case "answered":
			return at(1, p.intField(&m.Answered))
		case "agreeing":
			return at(2, p.intField(&m.Agreeing))
		case "server":
			return at(3, p.str(&m.Server))
		case "stratum":
			return at(4, p.intField(&m.Stratum))
		case "offset":
			return at(5, p.text(&m.Offset))
		case "rtt":
			return at(6, p.text(&m.RTT))
		case "root_distance":
			return at(7, p.text(&m.RootDistance))
		case "measured_at":
			return at(8, p.text(&m.MeasuredAt))
		case "error":
			return at(9, p.str(&m.Error))
		}
		return -1 // a field this parser does not know: encoding/json decides
	})
}

func (p *leafParser) byteRange(r *ByteRange) bool {
	return p.object(func(k string) int {
		switch k {
		case "start":
			return at(0, p.int(&r.Start))
		case "end":
			return at(1, p.int(&r.End))
		}
		return -1
	})
}
