package ed2kwire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/emulewire"
)

func seedHello() Hello {
	return Hello{UserHash: [16]byte{1, 2, 3}, Port: 4662, Tags: []Tag{
		emulewire.StringTag(TagName, "peer"), emulewire.Uint32Tag(TagVersion, EdonkeyVersion),
		emulewire.Uint32Tag(TagMuleVersion, 3<<24|2<<17|3<<10|3<<7),
	}}
}

func seedInfo() []byte {
	b := []byte{0x47, 0x01}
	tags := []Tag{emulewire.Uint32Tag(InfoCompression, 1), emulewire.Uint32Tag(InfoCompatibleClient, 3), emulewire.StringTag(TagModVersion, "aMule 2.3.3")}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tags)))
	for _, t := range tags {
		b = emulewire.AppendTag(b, t)
	}
	return b
}

// SeedPackets returns one packet of every kind the probe parses.
func seedPackets() []Packet {
	h := [16]byte{1, 2, 3}
	status := append(h[:], 3, 0, 0b101)
	name := append(append(h[:0:0], h[:]...), 3, 0, 'a', 'b', 'c')
	sending := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(append(h[:0:0], h[:]...), 10), 13)
	packed := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(append(h[:0:0], h[:]...), 0), 20)
	return []Packet{
		{ProtoED2K, OpHello, seedHello().Marshal(true)},
		{ProtoED2K, OpHelloAnswer, seedHello().Marshal(false)},
		{ProtoEMule, OpEMuleInfo, seedInfo()},
		{ProtoED2K, OpFileStatus, status},
		{ProtoED2K, OpReqFileNameAns, name},
		{ProtoED2K, OpSendingPart, append(sending, 'x', 'y', 'z')},
		{ProtoEMule, OpCompressedPart, append(packed, emulewire.Deflate([]byte("abc"))...)},
		{ProtoEMule, OpQueueRanking, make([]byte, 12)},
		{ProtoED2K, OpQueueRank, []byte{5, 0, 0, 0}},
		{ProtoPacked, OpEMuleInfo, emulewire.Deflate(seedInfo())},
		RequestParts(h, 1<<33, 1<<33+BlockSize),
	}
}

// FuzzReadPacket reads a stream of packets under small limits and runs
// every parser on each; none may panic or exceed a limit.
func FuzzReadPacket(f *testing.F) {
	var all []byte
	for _, p := range seedPackets() {
		f.Add(p.Marshal())
		all = append(all, p.Marshal()...)
	}
	f.Add(all)
	f.Add([]byte{ProtoED2K, 0xFF, 0xFF, 0xFF, 0xFF, OpHelloAnswer})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			p, err := ReadPacket(r, 4096, 8192)
			if err != nil {
				return
			}
			if len(p.Body) > 8192 {
				t.Fatalf("%v beyond the limit", p)
			}
			if p, err = Unpack(p, 4096); err != nil {
				continue
			}
			if len(p.Body) > 8192 {
				t.Fatalf("unpacked %v beyond the limit", p)
			}
			parseAll(t, p)
		}
	})
}

func parseAll(t *testing.T, p Packet) {
	if h, err := ParseHello(p.Body, p.Opcode == OpHello); err == nil {
		if len(h.Tags) > helloLimits.MaxTags {
			t.Fatalf("hello with %d tags", len(h.Tags))
		}
		if _, err := ParseHello(h.Marshal(true), true); err != nil {
			t.Fatalf("hello does not round-trip: %v", err)
		}
	}
	ParseEMuleInfo(p.Body)
	for _, size := range []int64{1, PartSize, 3*PartSize + 1} {
		if fs, err := ParseFileStatus(p.Body, size); err == nil && len(fs.Claimed) > PartCount(size) {
			t.Fatalf("%d parts claimed of %d", len(fs.Claimed), PartCount(size))
		}
	}
	if _, name, err := ParseFileName(p.Body); err == nil && (len(name) > 6*MaxFileName || !display.Safe(name)) {
		t.Fatalf("name of %d bytes", len(name))
	}
	if d, err := ParseData(p); err == nil && !d.Packed && uint64(len(d.Data)) != d.End-d.Start {
		t.Fatalf("data %d-%d with %d bytes", d.Start, d.End, len(d.Data))
	}
	if rank, err := ParseQueueRank(p); err == nil && rank < 0 {
		t.Fatalf("rank %d", rank)
	}
}

// FuzzParseFileStatus targets the bitmap parser directly.
func FuzzParseFileStatus(f *testing.F) {
	h := [16]byte{1}
	f.Add(append(h[:], 0, 0), int64(100))
	f.Add(append(h[:], 4, 0, 0xFF), int64(3*PartSize))
	f.Add(append(h[:], 2, 0, 0x02), int64(PartSize+1))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		if size <= 0 || size > MaxFileSize {
			return
		}
		fs, err := ParseFileStatus(b, size)
		if err != nil {
			return
		}
		for _, p := range fs.Claimed {
			if p < 0 || p >= PartCount(size) {
				t.Fatalf("part %d of %d", p, PartCount(size))
			}
		}
	})
}
