package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
)

// TestLetterRowsPerCommunication: a letter lists each communication at or
// above its level as its own row (times to the millisecond in UTC and the
// letter's zone, our address as the peer saw it, pieces, document bytes,
// log record), and never the times of lower-level observations.
func TestLetterRowsPerCommunication(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			opt := fixtureOptions(t, dir, lang)
			if _, err := Generate(context.Background(), s, keys, opt); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(opt.OutDir, "letters", "isp-001.txt"))
			if err != nil {
				t.Fatal(err)
			}
			letter := string(b)
			want := []string{"2026-02-10 14:33:00.000 UTC", "2026-02-11 14:33:00.000 UTC", "203.0.113.5", "127.0.0.1:40000", "#3", "#11"}
			if lang == "ja" {
				want = append(want, "2026-02-10 23:33:00.000 JST", "2ピース（#0, #1）", "32,768バイト")
			} else {
				want = append(want, "2 pieces (#0, #1)", "32,768 bytes of the document")
			}
			for _, w := range want {
				if !strings.Contains(letter, w) {
					t.Errorf("letter lacks %q", w)
				}
			}
			// The peer's L1 listing (14:30) and its L2/L3 probes are not rows.
			for _, absent := range []string{"14:30:00.000", "14:31:00.000", "14:32:00.000", "Observed:", "観測期間"} {
				if strings.Contains(letter, absent) {
					t.Errorf("letter shows %q, which is not a communication at L4", absent)
				}
			}
		})
	}
}

func TestPieceWording(t *testing.T) {
	tests := []struct {
		lang string
		in   []int
		want string
	}{
		{"en", nil, "none"},
		{"en", []int{0}, "1 piece (#0)"},
		{"en", []int{0, 3, 7}, "3 pieces (#0, #3, #7)"},
		{"ja", []int{0}, "1ピース（#0）"},
		{"ja", nil, "なし"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+tt.want, func(t *testing.T) {
			if got := PieceList(tt.lang, tt.in, 32); got != tt.want {
				t.Errorf("PieceList(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"letters/isp-001.txt", "peers.csv", "annex/peer-00001.txt"} {
		b, err := os.ReadFile(filepath.Join(opt.OutDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "2 pieces (#0, #1)") || strings.Contains(string(b), "(piece numbers, from 0)") {
			t.Errorf("%s does not say \"2 pieces (#0, #1)\"", f)
		}
	}
	b, _ := os.ReadFile(filepath.Join(opt.OutDir, "letters", "isp-002.txt"))
	if !strings.Contains(string(b), "failed verification: 1 piece (#2)") {
		t.Errorf("the failed piece is not shown:\n%s", b)
	}
}

// TestLawByDate: a Japanese letter names the law in force on the date of
// each communication, both when they straddle its renaming.
func TestLawByDate(t *testing.T) {
	const oldName, newName = "特定電気通信役務提供者の損害賠償責任の制限及び発信者情報の開示に関する法律", "特定電気通信による情報の流通によって発生する権利侵害等への対処に関する法律"
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		first, last string
		disclosure  bool
		want        []string
		absent      []string
	}{
		{"2025-03-31T14:59:59Z", "2025-03-31T14:59:59Z", true, []string{oldName + "（プロバイダ責任制限法）第5条第1項"}, []string{newName}},
		{"2025-03-31T15:00:00Z", "2025-06-01T00:00:00Z", true, []string{newName + "（情報流通プラットフォーム対処法）第5条第1項"}, []string{oldName}},
		{"2022-09-01T00:00:00Z", "2022-09-02T00:00:00Z", true, []string{"第4条第1項"}, []string{"第5条"}},
		{"2025-03-01T00:00:00Z", "2025-04-02T00:00:00Z", false, []string{"2025年3月31日以前の通信については" + oldName, "2025年4月1日以降の通信については" + newName}, []string{"第5条"}},
	}
	for _, tt := range tests {
		t.Run(tt.first, func(t *testing.T) {
			got := lawsJA(at(tt.first), at(tt.last), tt.disclosure)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("%q names %q", got, a)
				}
			}
		})
	}
}

// TestRequireClock: a communication whose time is not bounded within the
// limit is marked; with RequireClock it is left out, and so is a host
// left without a row.
func TestRequireClock(t *testing.T) {
	for _, strict := range []bool{false, true} {
		s, keys, dir := fixtureStore(t)
		opt := fixtureOptions(t, dir, "en")
		opt.RequireClock = strict
		sum, err := Generate(context.Background(), s, keys, opt)
		if err != nil {
			t.Fatal(err)
		}
		letters := lettersText(t, opt.OutDir)
		marked := strings.Contains(letters, "[caution: the time may be off by up to 1.513s, over the 1s limit]")
		noClock := strings.Contains(letters, "[caution: our clock was not measured against NTP")
		named := strings.Contains(letters, "91.20.3.4") || strings.Contains(letters, "127.0.0.1 port 7000")
		if strict {
			if marked || noClock || named || sum.Letters != 1 || sum.ClockMarked != 0 {
				t.Errorf("RequireClock: letters %d, marked rows %d, text:\n%s", sum.Letters, sum.ClockMarked, letters)
			}
		} else if !marked || !noClock || sum.ClockMarked != 2 {
			t.Errorf("rows not marked (%d):\n%s", sum.ClockMarked, letters)
		}
	}
}

// TestUnconfigured: every field a letter prints as "[… not configured]"
// is reported.
func TestUnconfigured(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	opt.Kind = KindDisclosure
	opt.Config.Right, opt.Config.Reason, opt.Config.DisclosureReasons, opt.Config.Contractor.Signatory = "", "", nil, ""
	sum, err := Generate(context.Background(), s, keys, opt)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(sum.Unconfigured, "; ")
	for _, want := range []string{"infringed right (right)", "reason the right is infringed (reason)", "reasons for disclosure (disclosure_reasons)", "signatory"} {
		if !strings.Contains(got, want) {
			t.Errorf("Unconfigured = %q, lacks %q", got, want)
		}
	}
	full := fixtureOptions(t, dir, "en")
	if sum, err := Generate(context.Background(), s, keys, full); err != nil || len(sum.Unconfigured) != 0 {
		t.Errorf("fully configured: Unconfigured = %v, %v", sum.Unconfigured, err)
	}
}

func TestConfigKeysDocumented(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range ConfigKeys() {
		keys[k.Key] = true
	}
	b := []byte(`{"contractor":{"name":"a","address":"b","email":"c","phone":"d","signatory":"e"},"client":"f","case_reference":"g","right":"privacy","reason":"h","disclosure_reasons":["damages"],"asn_db":"i","country_db":"j","contacts":"k","rdap_base":"l","timezone":"m"}`)
	if _, err := ParseConfig(b); err != nil {
		t.Fatalf("every documented key: %v", err)
	}
	for _, k := range []string{"contractor.name", "contractor.address", "contractor.email", "contractor.phone", "contractor.signatory", "client",
		"case_reference", "right", "reason", "disclosure_reasons", "asn_db", "country_db", "contacts", "rdap_base", "timezone"} {
		if !keys[k] {
			t.Errorf("config key %q is not documented", k)
		}
	}
	for _, bad := range []string{`{"right":"honour"}`, `{"disclosure_reasons":["revenge"]}`, `{"contractor":{"nmae":"x"}}`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestJapaneseAnnex: a Japanese report's annexes are in Japanese.
func TestJapaneseAnnex(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "ja")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(opt.OutDir, "annex", "peer-00001.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"開示資料（別紙）", "方法", "1バイトずつ照合", "ピースのデータだけはそのSHA-256に置き換えて\nいます", "鍵指紋", "検証済みピース: 2ピース（#0, #1）"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Japanese annex lacks %q", want)
		}
	}
	if strings.Contains(string(b), "METHOD") {
		t.Error("Japanese annex has an English METHOD")
	}
}

// TestMethodSaysWhatWasDone: the method states the L4 rule exactly, which
// hash is checked, and what is kept.
func TestMethodSaysWhatWasDone(t *testing.T) {
	m := methodText("en", "v1", time.Second)
	for _, want := range []string{
		"hold at least min(document size, piece length) bytes of the document",
		"compared byte for byte with the catalogued copy",
		"holding fewer document bytes is recorded but\n     stays below L4",
		"SHA-1 piece hash",
		"piece data, which is replaced by its SHA-256",
		"Downloaded piece data is held in memory only to be checked, then discarded",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("method lacks %q", want)
		}
	}
	if strings.Contains(m, "transcript, which is kept") {
		t.Error("method says the transcript is kept")
	}
}

// TestReportRefusesTamperedStore: a store whose checkpoint was re-signed
// by another key, or whose record was changed, gets no fresh checkpoint
// and no report.
func TestReportRefusesTamperedStore(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	// Re-sign the checkpoint with another key.
	other := filepath.Join(t.TempDir(), "x.db")
	forger, err := evidence.LoadOrCreateKeys(other, "forger")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := evidence.SignCheckpoint(s, forger); err != nil {
		t.Fatal(err)
	}
	opt2 := fixtureOptions(t, dir, "en")
	_, err = Generate(context.Background(), s, keys, opt2)
	var sp *StoreProblems
	if !errors.As(err, &sp) || !errors.Is(err, ErrStoreTampered) || !strings.Contains(err.Error(), "checkpoint at size 12") {
		t.Fatalf("err = %v, want StoreProblems naming the checkpoint", err)
	}
	if _, err := os.Stat(opt2.OutDir); !errors.Is(err, os.ErrNotExist) {
		t.Error("a report was written over a store that fails verification")
	}
	if entries, _ := os.ReadDir(filepath.Dir(opt2.OutDir)); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestLegacyServedNote: an L4 record made before document bytes were
// counted is not described by the present L4 rule: the letter and annex
// say what it observed.
func TestLegacyServedNote(t *testing.T) {
	s, keys, dir := fixtureStore(t)
	opt := fixtureOptions(t, dir, "en")
	if _, err := Generate(context.Background(), s, keys, opt); err != nil {
		t.Fatal(err)
	}
	const note = "were recorded before the document bytes in verified pieces were counted"
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"letters/isp-003.txt", true}, {"annex/peer-00003.txt", true}, // 127.0.0.1: a record made before
		{"letters/isp-001.txt", false}, {"annex/peer-00001.txt", false},
	} {
		b, err := os.ReadFile(filepath.Join(opt.OutDir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), note); got != tc.want {
			t.Errorf("%s: note %v, want %v", tc.file, got, tc.want)
		}
	}
}
