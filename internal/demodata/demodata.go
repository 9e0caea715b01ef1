// Package demodata generates the synthetic leaked documents that tests and
// `leakhunt demo` hunt for. Every name, account and address in them is
// invented (e-mail addresses are under example.invalid); the output is
// deterministic, byte for byte, and equals the files in testdata/leaks.
package demodata

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

var (
	family = []string{"架空", "試験", "見本", "仮名", "例示", "模擬", "検証", "偽田", "虚山", "空野"}
	given  = []string{"太郎", "花子", "一郎", "桜", "健", "美咲", "翔", "陽菜", "大輝", "結衣"}
	banks  = []string{"テスト銀行", "サンプル信用金庫", "架空信託銀行", "ダミー銀行"}
	latin  = []string{"Fake", "Sample", "Dummy", "Test", "Example", "Mock"}
)

// Documents returns the synthetic leaked documents by file name.
func Documents() map[string][]byte {
	r := rand.New(rand.NewPCG(2026, 11))
	// The order of generation is fixed: every document draws from r.
	tuition := tuition(r, 4000)
	memo := memo()
	roster := roster(r, 900)
	dump := sqlDump(r, 12000)
	return map[string][]byte{
		"tuition_fees_2026.csv": tuition,
		"incident_memo.txt":     memo,
		"staff_roster.tsv":      roster,
		"member_db_export.sql":  dump,
	}
}

func name(r *rand.Rand) string { return family[r.IntN(len(family))] + " " + given[r.IntN(len(given))] }

func tuition(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("# SYNTHETIC TEST DATA — all names and accounts are fake (leakhunt testdata)\n")
	b.WriteString("学籍番号,氏名,学年,授業料(円),振込先銀行,支店番号,口座番号,口座名義,納付期限\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "S%07d,%s,%d,%d,%s,%03d,%07d,%s,2026-%02d-%02d\n",
			1000000+i, name(r), 1+r.IntN(6), 50000+r.IntN(40)*2500,
			banks[r.IntN(len(banks))], r.IntN(1000), r.IntN(10000000), "カ)テスト", 1+r.IntN(12), 1+r.IntN(28))
	}
	return b.Bytes()
}

func memo() []byte {
	var b bytes.Buffer
	b.WriteString("SYNTHETIC TEST DOCUMENT — fictitious organisation, people and events.\n\n")
	b.WriteString("社外秘 / CONFIDENTIAL\n件名: 授業料管理システムの障害対応について（架空）\n\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "%d. 架空の手順 %d: 見本データのバックアップを確認し、検証担当 (example-%02d@example.invalid) に報告する。\n", i, i, i)
		fmt.Fprintf(&b, "   Step %d (fictitious): verify the sample backup and report to the test owner.\n", i)
	}
	b.WriteString("\n— 架空株式会社 情報システム部 (fictitious)\n")
	return b.Bytes()
}

func roster(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("# SYNTHETIC TEST DATA — fake staff roster (leakhunt testdata)\n")
	b.WriteString("社員番号\t氏名\t部署\t内線\t生年月日\tメール\n")
	depts := []string{"総務部", "経理部", "情報システム部", "教務課"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "E%05d\t%s\t%s\t%04d\t19%02d-%02d-%02d\tstaff%05d@example.invalid\n",
			i, name(r), depts[r.IntN(len(depts))], r.IntN(10000), 50+r.IntN(50), 1+r.IntN(12), 1+r.IntN(28), i)
	}
	return b.Bytes()
}

func sqlDump(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString("-- SYNTHETIC TEST DATA: fictitious member database export (leakhunt testdata)\n")
	b.WriteString("CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT, email TEXT, phone TEXT, card TEXT, note TEXT);\n")
	for i := 0; i < n; i++ {
		note := make([]byte, 40+r.IntN(60))
		for j := range note {
			note[j] = "abcdefghijklmnopqrstuvwxyz0123456789 "[r.IntN(37)]
		}
		fmt.Fprintf(&b, "INSERT INTO members VALUES (%d, '%s %s', 'member%06d@example.invalid', '000-%04d-%04d', 'TEST-%04d-%04d-%04d-%04d', '%s');\n",
			i, latin[r.IntN(len(latin))], latin[r.IntN(len(latin))], i, r.IntN(10000), r.IntN(10000),
			r.IntN(10000), r.IntN(10000), r.IntN(10000), r.IntN(10000), note)
	}
	return b.Bytes()
}
