package bscan

import (
	"strings"
	"testing"
)

// fuzzSeeds are well-formed and malformed values of the shapes leakhunt
// reads: torrents, info dictionaries, extension handshakes, ut_metadata
// headers followed by data, tracker responses.
func fuzzSeeds() []string {
	return []string{
		"d8:announce3:url4:infod6:lengthi3e4:name1:a12:piece lengthi16384e6:pieces20:" + strings.Repeat("p", 20) + "ee",
		"d4:infod9:file treed1:ad0:d6:lengthi3e11:pieces root32:" + strings.Repeat("r", 32) + "eeee12:meta versioni2eee",
		"d1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:v4:teste",
		"d8:msg_typei1e5:piecei0e10:total_sizei3eeabc",
		"d8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e",
		"i1e", "d1:ai-1ee", "lli0eee", "di1ei2ee", "d1:ae", "0:", "l" + strings.Repeat("l", 40),
	}
}

// FuzzCheck checks that Check, ValueLen and View agree: what Check accepts
// ValueLen measures in full and View walks to its end without panicking.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 100, MaxTokens: 100_000, MaxIntLen: 18}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b, lim)
		n, lenErr := ValueLen(b, lim)
		if err != nil {
			if lenErr == nil && n == len(b) {
				t.Fatalf("Check rejects (%v) what ValueLen measures in full", err)
			}
			return
		}
		if lenErr != nil || n != len(b) {
			t.Fatalf("ValueLen of a checked value: %d of %d, %v", n, len(b), lenErr)
		}
		v := View(b)
		if end := v.End(0); end != len(b) {
			t.Fatalf("View.End %d of %d", end, len(b))
		}
		walk(t, v, 0)
	})
}

// walk visits every value of v below i through View's methods.
func walk(t *testing.T, v View, i int) {
	switch v[i] {
	case 'd':
		_ = v.Dict(i, func(_ []byte, j int) error { walk(t, v, j); return nil })
	case 'l':
		_ = v.List(i, func(j int) error { walk(t, v, j); return nil })
	case 'i':
		_, _ = v.Int(i)
	default:
		if _, err := v.Str(i); err != nil {
			t.Fatalf("Str at %d: %v", i, err)
		}
	}
}

// FuzzValueLen checks that the value ValueLen measures at the start of any
// input is one that Check accepts on its own.
func FuzzValueLen(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
		f.Add([]byte(s + "trailing data"))
	}
	lim := Limits{MaxBytes: 16 << 10, MaxDepth: 4, MaxTokens: 2000, MaxIntLen: 18}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ValueLen(b, lim)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) || n > lim.MaxBytes {
			t.Fatalf("value of %d bytes in %d", n, len(b))
		}
		if err := Check(b[:n], lim); err != nil {
			t.Fatalf("ValueLen measured %d bytes that Check rejects: %v", n, err)
		}
	})
}
