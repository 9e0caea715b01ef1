package display

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "report.pdf", 64, "report.pdf"},
		{"japanese", "給与一覧_2026.csv", 64, "給与一覧_2026.csv"},
		{"C0", "a\x00b\x1bc\td\ne", 64, `a\u0000b\u001bc\u0009d\u000ae`},
		{"DEL", "a\x7fb", 64, `a\u007fb`},
		{"C1", "a\u0085b\u009bc", 64, `a\u0085b\u009bc`},
		{"line and paragraph separators", "a\u2028b\u2029c", 64, `a\u2028b\u2029c`},
		{"bidi override", "\u202egpj.exe", 64, `\u202egpj.exe`},
		{"bidi isolates and marks", "\u2066a\u2069\u200e\u200f", 64, `\u2066a\u2069\u200e\u200f`},
		{"zero widths and BOM", "a\u200bb\u2060c\ufeff", 64, `a\u200bb\u2060c\ufeff`},
		{"tag character", "a\U000e0041", 64, `a\U000e0041`},
		{"private use", "a\ue000", 64, `a\ue000`},
		{"replacement character", "a\ufffd", 64, `a\ufffd`},
		{"invalid bytes", "a\xff\xc3(", 64, `a\xff\xc3(`},
		{"cut", "abcdef", 3, "abc…[3 more bytes]"},
		{"cut at max exactly", "abc", 3, "abc"},
		{"cut counts characters", "給与一覧", 2, "給与…[6 more bytes]"},
		{"an escape counts one", "\u202e\u202e\u202ex", 2, `\u202e\u202e…[4 more bytes]`},
		{"zero", "abc", 0, "…[3 more bytes]"},
		{"empty", "", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in, tt.max); got != tt.want {
				t.Errorf("String(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", `\u0009x`},
		{"a=1", "a=1"},
		{"\u202e=cmd", `\u202e=cmd`},
		{"", ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := CSV(tt.in); got != tt.want {
				t.Errorf("CSV(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	for _, s := range []string{"plain", "\u202egpj.exe", "a\u2028b", "tag\U000e0041", "給与\ufffd", "a\x01b"} {
		t.Run(s, func(t *testing.T) {
			b, err := json.Marshal(map[string]string{"name": s})
			if err != nil {
				t.Fatal(err)
			}
			got := JSON(b)
			var back map[string]string
			if err := json.Unmarshal(got, &back); err != nil || back["name"] != s {
				t.Fatalf("JSON(%s) = %s decodes to %q (%v)", b, got, back["name"], err)
			}
			for _, r := range string(got) {
				if r != utf8.RuneError && Unsafe(r) {
					t.Errorf("JSON(%s) = %s keeps %U", b, got, r)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"給与", 4, "給"},
		{"給与", 2, ""},
	} {
		t.Run(fmt.Sprint(tt.in, tt.n), func(t *testing.T) {
			if got := Truncate(tt.in, tt.n); got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// unescape reverses String's escapes and splits off its marker: shown is
// what String showed of s, left the number of bytes its marker says it
// left out (-1 without a marker), count the characters shown.
func unescape(t *testing.T, out string) (shown string, count, left int) {
	t.Helper()
	left = -1
	var b strings.Builder
	for i := 0; i < len(out); {
		if strings.HasPrefix(out[i:], "…[") {
			n, err := fmt.Sscanf(out[i:], "…[%d more bytes]", &left)
			if n != 1 || err != nil || !strings.HasSuffix(out, " more bytes]") {
				t.Fatalf("%q: bad marker at %d", out, i)
			}
			return b.String(), count, left
		}
		count++
		if out[i] != '\\' {
			_, size := utf8.DecodeRuneInString(out[i:])
			b.WriteString(out[i : i+size])
			i += size
			continue
		}
		width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[out[i+1]]
		v, err := strconv.ParseUint(out[i+2:i+2+width], 16, 32)
		if width == 0 || err != nil {
			t.Fatalf("%q: bad escape at %d", out, i)
		}
		if out[i+1] == 'x' {
			b.WriteByte(byte(v))
		} else {
			b.WriteRune(rune(v))
		}
		i += 2 + width
	}
	return b.String(), count, left
}

// FuzzString: any input gives valid UTF-8 without an unsafe rune that
// shows at most max characters of the input, never splits one, and
// accounts for the bytes it leaves out.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "report.pdf", "\u202egpj.exe", "a\x00\x85\u2028\ufeff", "給与一覧\xff", "\U000e0041\ue000"} {
		f.Add(s, 3)
		f.Add(s, 200)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max & 0x3ff
		out := String(s, max)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q, %d) = %q: not valid UTF-8", s, max, out)
		}
		for _, r := range out {
			if Unsafe(r) {
				t.Fatalf("String(%q, %d) = %q keeps %U", s, max, out, r)
			}
		}
		if String(out, NoLimit) != out {
			t.Fatalf("String(%q, %d) = %q is escaped again", s, max, out)
		}
		if strings.Contains(s, `\`) || strings.Contains(s, "…[") {
			return // the input itself looks like escapes or a marker
		}
		shown, count, left := unescape(t, out)
		if count > max {
			t.Fatalf("String(%q, %d) = %q shows %d characters", s, max, out, count)
		}
		want := s
		if left >= 0 {
			want = s[:len(s)-left]
			if left == 0 || !utf8.RuneStart(s[len(want)]) && utf8.Valid([]byte(s)) {
				t.Fatalf("String(%q, %d) = %q: cut inside a character or at the end", s, max, out)
			}
		}
		if shown != want {
			t.Fatalf("String(%q, %d) = %q shows %q, want %q", s, max, out, shown, want)
		}
	})
}

func TestLines(t *testing.T) {
	line := func(i int) string { return string(rune('a' + i)) }
	tests := []struct {
		n, max int
		want   string
	}{
		{0, 0, ""},
		{3, 0, "a|b|c"},
		{3, 3, "a|b|c"},
		{3, 2, "a|b|... 1 more records"},
		{5, 1, "a|... 4 more records"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n, "/", tt.max), func(t *testing.T) {
			if got := strings.Join(Lines(tt.n, tt.max, line), "|"); got != tt.want {
				t.Errorf("Lines(%d, %d) = %q, want %q", tt.n, tt.max, got, tt.want)
			}
		})
	}
}
