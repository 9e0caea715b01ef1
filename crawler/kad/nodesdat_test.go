package kad

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

func sampleContacts() []Contact {
	return []Contact{
		{ID: ID{1}, Addr: netip.MustParseAddrPort("100.64.1.2:4672"), TCPPort: 4662, Version: 8},
		{ID: ID{2, 3}, Addr: netip.MustParseAddrPort("1.2.3.4:5000"), TCPPort: 5001, Version: 9},
	}
}

// nodesDat builds a nodes.dat by hand: header words, then entries of the
// given extra size (9 for version 2).
func nodesDat(header []uint32, cs []Contact, extra int) []byte {
	var b []byte
	for _, h := range header {
		b = binary.LittleEndian.AppendUint32(b, h)
	}
	for _, c := range cs {
		b = appendContact(b, c)
		b = append(b, make([]byte, extra)...)
	}
	return b
}

func TestParseNodesDatVersions(t *testing.T) {
	cs := sampleContacts()
	v0 := make([]Contact, len(cs))
	copy(v0, cs)
	for i := range v0 {
		v0[i].Version = 0
	}
	cases := map[string]struct {
		file []byte
		want []Contact
	}{
		"version 0":           {nodesDat([]uint32{2}, cs, 0), v0},
		"version 1":           {nodesDat([]uint32{0, 1, 2}, cs, 0), cs},
		"version 2":           {nodesDat([]uint32{0, 2, 2}, cs, 9), cs},
		"version 3 bootstrap": {nodesDat([]uint32{0, 3, 1, 2}, cs, 0), cs},
		"version 3":           {nodesDat([]uint32{0, 3, 0, 2}, cs, 9), cs},
	}
	for name, c := range cases {
		got, err := ParseNodesDat(c.file)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, c.want)
		}
	}
	for _, format := range []int{NodesDatV2, NodesDatBootstrap} {
		b, err := MarshalNodesDat(cs, format)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseNodesDat(b)
		if err != nil || !reflect.DeepEqual(got, cs) {
			t.Errorf("format %d round trip: %v %+v", format, err, got)
		}
	}
	if _, err := MarshalNodesDat(cs, 1); err == nil {
		t.Error("format 1 was written")
	}
}

func TestParseNodesDatRejects(t *testing.T) {
	cs := sampleContacts()
	cases := map[string][]byte{
		"empty":          nil,
		"header only":    {0, 0, 0, 0},
		"version 9":      nodesDat([]uint32{0, 9, 0}, nil, 0),
		"count too high": nodesDat([]uint32{0, 2, 3}, cs, 9),
		"count too low":  nodesDat([]uint32{0, 2, 1}, cs, 9),
		"v1 size as v2":  nodesDat([]uint32{0, 1, 2}, cs, 9),
		"huge count":     nodesDat([]uint32{0, 2, 0xFFFFFFFF}, nil, 0),
		"too large":      make([]byte, MaxNodesDat+1),
	}
	for name, b := range cases {
		if _, err := ParseNodesDat(b); !errors.Is(err, ErrNodesDat) {
			t.Errorf("%s: err = %v, want ErrNodesDat", name, err)
		}
	}
}
