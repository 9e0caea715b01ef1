package kad_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/leakhunt/leakhunt/crawler/kad"
)

// TestAMuleCaptured decodes answers recorded from aMule 2.3.3 (see
// TestAMuleKad -update) and checks that re-encoding them gives aMule's
// bytes back.
func TestAMuleCaptured(t *testing.T) {
	read := func(name string) (kad.Message, []byte) {
		b, err := os.ReadFile(filepath.Join(capturedDir, name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := kad.Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b[0] == kad.ProtoKad && !bytes.Equal(kad.Marshal(m), b) {
			t.Errorf("%s: re-encoded\n% x\naMule wrote\n% x", name, kad.Marshal(m), b)
		}
		return m, b
	}
	if m, _ := read("bootstrap_res"); m.(*kad.BootstrapRes).Version != 8 || m.(*kad.BootstrapRes).TCPPort != 4662 {
		t.Errorf("bootstrap answer %+v", m)
	}
	if m, _ := read("hello_res"); m.(*kad.HelloRes).Version != 8 {
		t.Errorf("hello answer %+v", m)
	}
	if m, _ := read("res"); m.(*kad.Res).Target != kad.ID(fileHash) {
		t.Errorf("routing answer %+v", m)
	}
	m, _ := read("search_res_source")
	res := m.(*kad.SearchRes)
	if res.Target != kad.ID(fileHash) || len(res.Results) != 1 {
		t.Fatalf("source answer %+v", res)
	}
	src := res.Results[0]
	tags := map[byte]uint64{}
	for _, tg := range src.Tags {
		id, _ := tg.ID()
		tags[id], _ = tg.Uint()
	}
	if tags[kad.TagSourceType] != 1 || tags[kad.TagSourceIP] != 0x64400102 || tags[kad.TagSourcePort] != 4662 ||
		tags[kad.TagSourceUPort] != 4672 || tags[kad.TagFileSize] != fileSize {
		t.Errorf("source tags %v", src.Tags)
	}
	m, _ = read("search_res_keyword")
	res = m.(*kad.SearchRes)
	if res.Target != kad.KeywordID("tuition") || len(res.Results) != 1 || res.Results[0].Answer != kad.ID(fileHash) {
		t.Fatalf("keyword answer %+v", res)
	}
	want := map[byte]bool{kad.TagFileName: true, kad.TagFileSize: true, kad.TagFileType: true, kad.TagSources: true, kad.TagPublishInfo: true}
	for _, tg := range res.Results[0].Tags {
		id, _ := tg.ID()
		delete(want, id)
	}
	if len(want) != 0 {
		t.Errorf("keyword result lacks tags %v: %v", want, res.Results[0].Tags)
	}
}
