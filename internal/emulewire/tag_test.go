package emulewire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testLimits = Limits{MaxTags: 8, MaxName: 16, MaxString: 64, MaxBlob: 64}

func sampleTags() []Tag {
	return []Tag{
		IntTag(1, 0xFF), IntTag(2, 0x100), IntTag(3, 0x10000), IntTag(4, 1<<40),
		StringTag(5, "データ"), Uint32Tag(6, 7),
		{Name: "named", Type: TypeHash, Hash: [16]byte{1, 2}},
		{Name: "\x07", Type: TypeBsob, Bytes: []byte{9, 9}},
		{Name: "\x08", Type: TypeFloat, Float: -2.5},
		{Name: "\x09", Type: TypeBlob, Bytes: []byte{1, 2, 3}},
	}
}

func TestTagRoundTrip(t *testing.T) {
	for _, tag := range sampleTags() {
		for _, d := range []Dialect{Kad, ED2K} {
			if d == Kad && tag.Type == TypeBlob {
				continue
			}
			r := NewReader(AppendTag(nil, tag))
			got, err := ReadTag(r, d, testLimits)
			if err != nil || r.Len() != 0 {
				t.Fatalf("%v dialect %d: %v (%d left)", tag, d, err, r.Len())
			}
			if !reflect.DeepEqual(got, tag) {
				t.Errorf("dialect %d: got %v, want %v", d, got, tag)
			}
		}
	}
}

func TestTagED2KForms(t *testing.T) {
	// A one-byte name after a type with bit 7 set, and a 3-byte string
	// whose length is its type (TypeStr1+2).
	b := []byte{TypeStr1 + 2 | 0x80, 0x01, 'a', 'b', 'c'}
	got, err := ReadTag(NewReader(b), ED2K, testLimits)
	if err != nil || got.Name != "\x01" || got.Type != TypeString || got.Str != "abc" {
		t.Fatalf("short string: %v %v", got, err)
	}
	if _, err := ReadTag(NewReader(b), Kad, testLimits); !errors.Is(err, ErrTagType) {
		t.Errorf("Kad accepted an ed2k-only form: %v", err)
	}
}

func TestTagLimits(t *testing.T) {
	cases := map[string][]byte{
		"long name":   AppendTag(nil, Tag{Name: strings.Repeat("n", 17), Type: TypeUint8}),
		"long string": AppendTag(nil, StringTag(1, strings.Repeat("s", 65))),
		"long blob":   AppendTag(nil, Tag{Name: "\x01", Type: TypeBlob, Bytes: make([]byte, 65)}),
		"huge blob":   {TypeBlob, 1, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF},
		"bad type":    {0x0C, 1, 0, 1},
		"truncated":   AppendTag(nil, StringTag(1, "abc"))[:6],
	}
	for name, b := range cases {
		if _, err := ReadTag(NewReader(b), ED2K, testLimits); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var many []byte
	for range 9 {
		many = AppendTag(many, IntTag(1, 1))
	}
	if _, err := ReadTags(NewReader(many), 9, Kad, testLimits); !errors.Is(err, ErrTagLimit) {
		t.Errorf("9 tags with a limit of 8: %v", err)
	}
}

func TestInflate(t *testing.T) {
	data := bytes.Repeat([]byte("leak "), 1000)
	got, err := Inflate(Deflate(data), len(data))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := Inflate(Deflate(data), len(data)-1); !errors.Is(err, ErrInflateLimit) {
		t.Errorf("one byte over the limit: %v", err)
	}
	if _, err := Inflate([]byte("not zlib"), 100); err == nil {
		t.Error("garbage inflated")
	}
	if _, err := Inflate(Deflate(data)[:20], len(data)); err == nil {
		t.Error("truncated stream inflated")
	}
}

func FuzzReadTag(f *testing.F) {
	for _, tag := range sampleTags() {
		f.Add(AppendTag(nil, tag), true)
	}
	f.Add([]byte{TypeStr1 + 2 | 0x80, 0x01, 'a', 'b', 'c'}, true)
	f.Fuzz(func(t *testing.T, b []byte, ed2k bool) {
		d := Kad
		if ed2k {
			d = ED2K
		}
		r := NewReader(b)
		tag, err := ReadTag(r, d, testLimits)
		if err != nil {
			return
		}
		if len(tag.Name) > testLimits.MaxName || len(tag.Str) > testLimits.MaxString || len(tag.Bytes) > testLimits.MaxBlob {
			t.Fatalf("tag %v exceeds the limits", tag)
		}
		if r.Offset() > len(b) {
			t.Fatal("read past the end")
		}
	})
}

func FuzzInflate(f *testing.F) {
	f.Add(Deflate([]byte("hello, hello, hello")))
	f.Add(Deflate(make([]byte, 10000)))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Inflate(b, 4096)
		if err == nil && len(out) > 4096 {
			t.Fatalf("%d bytes out of a 4096 limit", len(out))
		}
	})
}
