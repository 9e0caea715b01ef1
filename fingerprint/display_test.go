package fingerprint

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func encode(t *testing.T, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLegacyCharsetNames: older Japanese and Chinese clients write names in
// the charset the .torrent's "encoding" names. They are shown (and matched
// as leads) decoded; name.utf-8 and path.utf-8 win where given; UTF-8
// names are kept whatever the label says.
func TestLegacyCharsetNames(t *testing.T) {
	sj := func(s string) string { return encode(t, japanese.ShiftJIS, s) }
	for _, tc := range []struct {
		name      string
		label     string
		info      od
		wantName  string
		wantPaths []string
	}{
		{"Shift_JIS", "Shift_JIS", v1Info([]any{
			file(10, sj("経理部"), sj("給与一覧_2026.csv")),
			append(file(20, sj("ＡＢＣ")), kv{"path.utf-8", []any{"名簿.tsv"}}),
			file(30, "plain.txt"),
		}, 16384, 1), "社外秘 資料", []string{"経理部/給与一覧_2026.csv", "名簿.tsv", "plain.txt"}},
		{"CP932 label", "windows-31j", v1Info([]any{file(10, sj("議事録.docx"))}, 16384, 1), "社外秘 資料", []string{"議事録.docx"}},
		{"GBK", "GBK", v1Info([]any{file(10, encode(t, simplifiedchinese.GBK, "工资表.xlsx"))}, 16384, 1), "内部资料", []string{"工资表.xlsx"}},
		{"UTF-8 under a Shift_JIS label", "Shift_JIS", v1Info([]any{file(10, "給与一覧.csv")}, 16384, 1), "社外秘 資料", []string{"給与一覧.csv"}},
		{"UTF-8 label", "UTF-8", v1Info([]any{file(10, "給与一覧.csv")}, 16384, 1), "社外秘 資料", []string{"給与一覧.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := tc.info
			switch {
			case tc.name == "GBK":
				info[1].v = encode(t, simplifiedchinese.GBK, tc.wantName)
			case strings.HasPrefix(tc.name, "UTF-8"):
				info[1].v = tc.wantName
			default:
				info[1].v = sj(tc.wantName)
			}
			in := benc(od{{"encoding", tc.label}, {"info", raw(benc(info))}})
			tor, err := ParseTorrentFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, f := range tor.Files {
				paths = append(paths, f.Path)
			}
			if tor.Name != tc.wantName || !slicesEqual(paths, tc.wantPaths) {
				t.Errorf("name %q paths %q, want %q %q", tor.Name, paths, tc.wantName, tc.wantPaths)
			}
			checkSafeNames(t, tor)
		})
	}
	// The same info dictionary fetched from a peer (BEP 9) comes without
	// its "encoding": the name is shown escaped, never guessed.
	info := v1Info([]any{file(10, "a")}, 16384, 1)
	info[1].v = sj("資料")
	tor, err := ParseInfo(benc(info))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tor.Name, `\x`) {
		t.Errorf("name %q: a Shift_JIS name without its label was decoded", tor.Name)
	}
}

func TestNameDecoder(t *testing.T) {
	for _, label := range []string{"", "utf-8", "UTF8", "utf-16le", "no-such-charset", strings.Repeat("x", 100)} {
		if nameDecoder([]byte(label)) != nil {
			t.Errorf("%q gives a decoder", label)
		}
	}
	for _, label := range []string{"Shift_JIS", "shift-jis", "sjis", "EUC-JP", "GB2312", "Big5", "EUC-KR", "windows-1251"} {
		if nameDecoder([]byte(label)) == nil {
			t.Errorf("%q gives no decoder", label)
		}
	}
}

// TestDisplayLimits: a long component is cut after maxComponentLen
// characters, never inside one; a long path ends at a component boundary.
func TestDisplayLimits(t *testing.T) {
	long := strings.Repeat("給", 300)
	if got, want := sanitizeComponent([]byte(long)), strings.Repeat("給", maxComponentLen)+"…[135 more bytes]"; got != want {
		t.Errorf("sanitizeComponent of 300 characters = %q, want %q", got, want)
	}
	var path [][]byte
	for range 40 {
		path = append(path, []byte(strings.Repeat("a", 200)))
	}
	got := displayPath(rawFile{path: path}, "t")
	if len(got) > maxDisplayPath+40 || !strings.HasSuffix(got, strings.Repeat("a", 200)+"/…[20 more components]") {
		t.Errorf("path of 40 long components: %d bytes, ends %q", len(got), got[max(0, len(got)-40):])
	}
}
