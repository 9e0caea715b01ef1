package ed2k

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"reflect"
	"testing"

	"github.com/leakhunt/leakhunt/internal/ed2kwire"
)

// TestAMuleSession decodes the packets aMule 2.3.3 sent in a served probe
// (recorded by TestAMule -update), as the probe does.
func TestAMuleSession(t *testing.T) {
	b, err := os.ReadFile("testdata/amule-2.3.3/session.bin")
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := hex.DecodeString("3619cf2a6ded2b9f2827ca11e32d81ec")
	r := bytes.NewReader(b)
	var got []byte
	var info *ed2kwire.EMuleInfo
	for {
		p, err := ed2kwire.ReadPacket(r, 16<<10, 0)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Opcode)
		switch {
		case p.Proto == ed2kwire.ProtoEMule && p.Opcode == ed2kwire.OpEMuleInfo:
			e, err := ed2kwire.ParseEMuleInfo(p.Body)
			if err != nil || e.Compatible != 3 || e.ModVersion != "aMule 2.3.3" {
				t.Errorf("eMule info %+v %v", e, err)
			}
			info = &e
		case p.Opcode == ed2kwire.OpHelloAnswer:
			h, err := ed2kwire.ParseHello(p.Body, false)
			if err != nil {
				t.Fatal(err)
			}
			ci := clientInfo(h, info)
			if ci.Software != "aMule" || ci.Version != "2.3.3" || ci.Name != "leakhunt-test-peer" || ci.UserHash[5] != 14 || ci.UserHash[14] != 111 {
				t.Errorf("client %+v", ci)
			}
		case p.Opcode == ed2kwire.OpReqFileNameAns:
			h, name, err := ed2kwire.ParseFileName(p.Body)
			if err != nil || !bytes.Equal(h[:], hash) || name != "tuition_fees_2026.csv" {
				t.Errorf("file name %x %q %v", h, name, err)
			}
		case p.Opcode == ed2kwire.OpFileStatus:
			fs, err := ed2kwire.ParseFileStatus(p.Body, 346590)
			if err != nil || !fs.Complete || !reflect.DeepEqual(fs.Claimed, []int{0}) {
				t.Errorf("file status %+v %v", fs, err)
			}
		}
	}
	want := []byte{ed2kwire.OpEMuleInfo, ed2kwire.OpHelloAnswer, ed2kwire.OpReqFileNameAns, ed2kwire.OpFileStatus, ed2kwire.OpAcceptUploadReq}
	if !bytes.Equal(got, want) {
		t.Errorf("opcodes % x, want % x", got, want)
	}
}
