package kad

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

func mustID(t testing.TB, s string) ID {
	t.Helper()
	id, err := ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// sampleMessages returns one of every message, with every field set.
func sampleMessages(t testing.TB) []Message {
	id := mustID(t, "000102030405060708090a0b0c0d0e0f")
	other := mustID(t, "f0e0d0c0b0a090807060504030201000")
	ct := Contact{ID: other, Addr: netip.MustParseAddrPort("1.2.3.4:4672"), TCPPort: 4662, Version: 8}
	tags := []Tag{
		emulewire.IntTag(TagSourceType, 1),
		emulewire.IntTag(TagSourceIP, 0x01020304),
		emulewire.IntTag(TagSourcePort, 4662),
		emulewire.IntTag(TagFileSize, 1<<40),
		emulewire.StringTag(TagFileName, "給与明細 2026.csv"),
		{Name: "\x27", Type: emulewire.TypeHash, Hash: [16]byte{1, 2, 3}},
		{Name: "long name", Type: emulewire.TypeBsob, Bytes: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{Name: "\x99", Type: emulewire.TypeFloat, Float: 1.5},
	}
	return []Message{
		&BootstrapReq{},
		&BootstrapRes{ID: id, TCPPort: 4662, Version: 8, Contacts: []Contact{ct, ct}},
		&HelloReq{Hello{ID: id, TCPPort: 4662, Version: 5, Tags: []Tag{emulewire.IntTag(TagKadMisc, 3)}}},
		&HelloRes{Hello{ID: other, TCPPort: 1, Version: 8, Tags: []Tag{emulewire.IntTag(TagSourceUPort, 4672)}}},
		&Req{Type: FindNode, Target: id, Receiver: other},
		&Res{Target: id, Contacts: []Contact{ct}},
		&SearchKeyReq{Target: id, Start: 5},
		&SearchKeyReq{Target: id, Expr: KeywordExpr([]string{"tuition", "fees", "2026"})},
		&SearchSourceReq{Target: id, Start: 1, Size: 346590},
		&SearchRes{Sender: other, Target: id, Results: []SearchResult{{Answer: other, Tags: tags}, {Answer: id}}},
		&PublishKeyReq{Target: id, Entries: []SearchResult{{Answer: other, Tags: tags[4:5]}}},
		&PublishSourceReq{File: id, Source: other, Tags: tags[:4]},
		&PublishRes{Target: id, Load: 7},
		&Ping{},
		&Pong{Port: 4672},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleMessages(t) {
		for _, packed := range []bool{false, true} {
			b := Marshal(m)
			if packed {
				b = MarshalPacked(m)
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("%T packed=%v: %v", m, packed, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("%T packed=%v:\n got %+v\nwant %+v", m, packed, got, m)
			}
		}
	}
}

// TestWireLayout checks the byte order Kad uses for IDs (four
// little-endian words, most significant first) and IPv4 addresses
// (little-endian host-order integers).
func TestWireLayout(t *testing.T) {
	id := mustID(t, "000102030405060708090a0b0c0d0e0f")
	b := Marshal(&BootstrapRes{ID: id, TCPPort: 0x1234, Version: 8, Contacts: []Contact{{ID: id, Addr: netip.MustParseAddrPort("1.2.3.4:4672"), TCPPort: 4662, Version: 8}}})
	want := "e409" + "03020100070605040b0a09080f0e0d0c" + "3412" + "08" + "0100" +
		"03020100070605040b0a09080f0e0d0c" + "04030201" + "4012" + "3612" + "08"
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("wire\n got %s\nwant %s", got, want)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	id := mustID(t, "000102030405060708090a0b0c0d0e0f")
	okRes := Marshal(&Res{Target: id, Contacts: []Contact{{ID: id, Addr: netip.MustParseAddrPort("1.2.3.4:1"), Version: 8}}})
	longName := Marshal(&SearchRes{Target: id, Results: []SearchResult{{Answer: id, Tags: []Tag{emulewire.StringTag(TagFileName, strings.Repeat("x", 1025))}}}})
	manyTags := make([]Tag, 33)
	for i := range manyTags {
		manyTags[i] = emulewire.IntTag(1, 1)
	}
	cases := map[string][]byte{
		"empty":                          {},
		"one byte":                       {ProtoKad},
		"bad protocol":                   {0xE3, OpPing},
		"unknown opcode":                 {ProtoKad, 0x77},
		"trailing":                       append(Marshal(&Ping{}), 0),
		"short":                          Marshal(&Req{})[:10],
		"count too high":                 append(append(bytes.Clone(okRes[:2+16]), 2), okRes[19:]...),
		"string too long":                longName,
		"too many tags":                  Marshal(&HelloRes{Hello{Tags: manyTags}}),
		"bomb":                           append([]byte{ProtoPacked, OpRes}, emulewire.Deflate(make([]byte, MaxInflated+1))...),
		"bad zlib":                       {ProtoPacked, OpRes, 1, 2, 3},
		"kad tag 0x80":                   append(Marshal(&HelloRes{})[:2+19], 1, 0x83, 1, 0, 0, 0, 0),
		"restrictive without expression": {ProtoKad, OpSearchKeyReq, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
		"too big":                        make([]byte, MaxPacket+1),
		"results beyond packet":          append(Marshal(&SearchRes{})[:2+32:2+32], 0xFF, 0x00),
	}
	for name, b := range cases {
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownOpcode) {
			t.Errorf("%s: %v does not wrap ErrMalformed", name, err)
		}
	}
}

func TestKeywords(t *testing.T) {
	got := Words("Tuition_Fees-2026 (final).csv 給与 明細書 ab tuition")
	want := []string{"tuition", "fees", "2026", "final", "csv", "給与", "明細書"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
	// MD4("abc"), RFC 1320.
	if got := KeywordID("ABC"); got != mustID(t, "a448017aaf21d8525fc10ae87aa6729d") {
		t.Errorf("KeywordID(ABC) = %v", got)
	}
	expr := KeywordExpr([]string{"ab", "cd"})
	if want := []byte{0, 0, 1, 2, 0, 'a', 'b', 1, 2, 0, 'c', 'd'}; !bytes.Equal(expr, want) {
		t.Errorf("KeywordExpr = % x, want % x", expr, want)
	}
	if KeywordExpr(nil) != nil {
		t.Error("KeywordExpr(nil) != nil")
	}
}

func TestTolerance(t *testing.T) {
	a := mustID(t, "00010203000000000000000000000000")
	if !a.WithinTolerance(mustID(t, "00ffffffffffffffffffffffffffffff")) {
		t.Error("same first byte should be within tolerance")
	}
	if a.WithinTolerance(mustID(t, "02000000000000000000000000000000")) {
		t.Error("different top bits should not be within tolerance")
	}
}

func TestParseSource(t *testing.T) {
	r := SearchResult{Answer: ID{9}, Tags: []Tag{
		emulewire.IntTag(TagSourceType, 1), emulewire.IntTag(TagSourceIP, 0x64400102),
		emulewire.IntTag(TagSourcePort, 4662), emulewire.IntTag(TagSourceUPort, 4672),
		{Name: "\x02", Type: emulewire.TypeBsob, Bytes: []byte{0, 0, 0, 0, 1, 0, 0, 0}},
	}}
	s, err := parseSource(r, netip.MustParseAddrPort("1.1.1.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != netip.MustParseAddrPort("100.64.1.2:4662") || s.UDPPort != 4672 || s.Size != 1<<32 || s.Firewalled() {
		t.Errorf("source %+v", s)
	}
	r.Tags = r.Tags[1:]
	if _, err := parseSource(r, netip.AddrPort{}); err == nil {
		t.Error("a source without a type was accepted")
	}
}
