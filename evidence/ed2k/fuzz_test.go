package ed2k

import (
	"testing"

	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/internal/ed2kwire"
)

// FuzzClientInfo decodes a hello and an eMule info from arbitrary bytes and
// describes the client; names must come out printable.
func FuzzClientInfo(f *testing.F) {
	cfg := &Config{UserHash: NewUserHash(), ClientName: "leakhunt"}
	f.Add(ourHello(cfg).Marshal(false), emuleInfoAnswer(cfg))
	f.Fuzz(func(t *testing.T, hello, info []byte) {
		h, err := ed2kwire.ParseHello(hello, false)
		if err != nil {
			return
		}
		var ip *ed2kwire.EMuleInfo
		if e, err := ed2kwire.ParseEMuleInfo(info); err == nil {
			ip = &e
		}
		ci := clientInfo(h, ip)
		for _, s := range []string{ci.Name, ci.Software, ci.Version, ci.Mod} {
			if !display.Safe(s) {
				t.Fatalf("unprintable %q", s)
			}
		}
		recordPacket(DirRead, ed2kwire.Packet{Proto: ed2kwire.ProtoED2K, Opcode: ed2kwire.OpHelloAnswer, Body: hello}, zeroTime)
	})
}

// FuzzChooseBlock checks that the block chosen for any claim lies inside a
// claimed part and the file, and is never longer than a block.
func FuzzChooseBlock(f *testing.F) {
	f.Add(int64(100), []byte{0})
	f.Add(int64(3*PartSize+5), []byte{3, 1})
	f.Fuzz(func(t *testing.T, size int64, parts []byte) {
		if size <= 0 || size > MaxFileSize {
			return
		}
		var claimed []int
		for _, p := range parts {
			if int(p) < ed2kwire.PartCount(size) {
				claimed = append(claimed, int(p))
			}
		}
		r := chooseBlock(size, claimed)
		if len(claimed) == 0 {
			return
		}
		part := int(r.Start / PartSize)
		if r.Len() <= 0 || r.Len() > BlockSize || r.End > size || int((r.End-1)/PartSize) != part {
			t.Fatalf("block %v for size %d, parts %v", r, size, claimed)
		}
		found := false
		for _, p := range claimed {
			found = found || p == part
		}
		if !found {
			t.Fatalf("block %v in unclaimed part %d (claimed %v)", r, part, claimed)
		}
	})
}
