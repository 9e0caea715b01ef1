package kad

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzUnmarshal checks that no packet makes Unmarshal panic or allocate
// beyond its limits, and that whatever it accepts re-encodes to a packet
// that decodes to the same message.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range sampleMessages(f) {
		f.Add(Marshal(m))
		f.Add(MarshalPacked(m))
	}
	f.Add([]byte{ProtoPacked, OpRes, 0x78, 0x9c, 0x03, 0x00})
	captured, _ := filepath.Glob("testdata/amule-2.3.3/*.bin")
	for _, name := range captured {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		again, err := Unmarshal(Marshal(m))
		if err != nil {
			t.Fatalf("re-encoded %T does not decode: %v", m, err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("re-encoded %T differs:\n%+v\n%+v", m, again, m)
		}
	})
}

// FuzzParseNodesDat checks that no file makes ParseNodesDat panic and that
// what it accepts is bounded by the file size.
func FuzzParseNodesDat(f *testing.F) {
	cs := sampleContacts()
	for _, format := range []int{NodesDatV2, NodesDatBootstrap} {
		b, _ := MarshalNodesDat(cs, format)
		f.Add(b)
	}
	f.Add(nodesDat([]uint32{2}, cs, 0))
	f.Add(nodesDat([]uint32{0, 1, 2}, cs, 0))
	f.Add(nodesDat([]uint32{0, 3, 0, 2}, cs, 9))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseNodesDat(b)
		if err == nil && len(got)*contactSize > len(b) {
			t.Fatalf("%d contacts from %d bytes", len(got), len(b))
		}
	})
}

// FuzzWords checks that keyword splitting never panics and yields only
// lower-case words of at least MinWordBytes.
func FuzzWords(f *testing.F) {
	f.Add("Tuition_Fees-2026 (final).csv 給与 明細書")
	f.Add("\xff\xfe abc")
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range Words(s) {
			if len(w) < MinWordBytes {
				t.Fatalf("word %q shorter than %d bytes", w, MinWordBytes)
			}
		}
	})
}
