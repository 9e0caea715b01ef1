package ed2kwire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

func TestPacketRoundTrip(t *testing.T) {
	for _, p := range seedPackets() {
		got, err := ReadPacket(bytes.NewReader(p.Marshal()), 1<<16, 1<<16)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("%v: got %v, %v", p, got, err)
		}
	}
	p := Packet{ProtoPacked, OpEMuleInfo, emulewire.Deflate(seedInfo())}
	u, err := Unpack(p, 1024)
	if err != nil || u.Proto != ProtoEMule || !bytes.Equal(u.Body, seedInfo()) {
		t.Errorf("unpack: %v %v", u, err)
	}
	if _, err := Unpack(p, 10); !errors.Is(err, ErrProtocol) {
		t.Errorf("unpack beyond the limit: %v", err)
	}
}

func TestReadHeaderLimits(t *testing.T) {
	cases := map[string]struct {
		h   []byte
		err error
	}{
		"huge":         {[]byte{ProtoED2K, 0xF0, 0xFF, 0xFF, 0xFF, OpHelloAnswer}, ErrLimit},
		"zero length":  {[]byte{ProtoED2K, 0, 0, 0, 0, OpHelloAnswer}, ErrProtocol},
		"bad protocol": {[]byte{0x01, 2, 0, 0, 0, 1}, ErrProtocol},
		"data too big": {[]byte{ProtoED2K, 0x00, 0x10, 0, 0, OpSendingPart}, ErrLimit},
	}
	for name, c := range cases {
		if _, _, _, err := ReadHeader(c.h, 100, 200); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
	}
	// A data packet may be larger than a control packet.
	if _, _, n, err := ReadHeader([]byte{ProtoED2K, 151, 0, 0, 0, OpSendingPart}, 100, 200); err != nil || n != 150 {
		t.Errorf("data packet of 150: %d %v", n, err)
	}
}

func TestParseFileStatus(t *testing.T) {
	h := [16]byte{9}
	cases := []struct {
		body     []byte
		size     int64
		claimed  []int
		complete bool
		bad      bool
	}{
		{body: append(h[:], 0, 0), size: 3 * PartSize, claimed: []int{0, 1, 2}, complete: true},
		{body: append(h[:], 3, 0, 0b101), size: 3 * PartSize, claimed: []int{0, 2}}, // count = parts
		{body: append(h[:], 4, 0, 0b110), size: 3 * PartSize, claimed: []int{1, 2}}, // aMule's size/PartSize+1
		{body: append(h[:], 2, 0, 0b10), size: PartSize + 1, claimed: []int{1}},     // a short last part
		{body: append(h[:], 9, 0, 0xFF, 0x01), size: 9*PartSize - 1, claimed: []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{body: append(h[:], 5, 0, 0xFF), size: 3 * PartSize, bad: true}, // wrong part count
		{body: append(h[:], 3, 0), size: 3 * PartSize, bad: true},       // bitmap missing
		{body: append(h[:], 3, 0, 1, 1), size: 3 * PartSize, bad: true}, // bitmap too long
		{body: append(h[:], 0, 0, 1), size: 3 * PartSize, bad: true},    // trailing bytes
	}
	for i, c := range cases {
		fs, err := ParseFileStatus(c.body, c.size)
		if c.bad {
			if err == nil {
				t.Errorf("%d: accepted %+v", i, fs)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(fs.Claimed, c.claimed) || fs.Complete != c.complete || fs.Hash != h {
			t.Errorf("%d: %+v %v", i, fs, err)
		}
	}
}

func TestParseData(t *testing.T) {
	for _, p := range seedPackets() {
		if !IsData(p.Proto, p.Opcode) {
			continue
		}
		d, err := ParseData(p)
		if err != nil || d.Hash != [16]byte{1, 2, 3} {
			t.Errorf("%v: %+v %v", p, d, err)
		}
	}
	bad := seedPackets()[5] // SENDINGPART 10-13 with 3 bytes
	bad.Body = append(bytes.Clone(bad.Body), 'w')
	if _, err := ParseData(bad); !errors.Is(err, ErrProtocol) {
		t.Errorf("sending part with a byte too many: %v", err)
	}
}
