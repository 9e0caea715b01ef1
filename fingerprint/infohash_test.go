package fingerprint

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestInfoHash(t *testing.T) {
	const want = "1122334455667788990011223344556677889900"
	for _, s := range []string{want, "1122334455667788990011223344556677889900", " 1122334455667788990011223344556677889900 ",
		"CERDGRCVMZ3YRGIACERDGRCVMZ3YRGIA", "cerdgrcvmz3yrgiacerdgrcvmz3yrgia", "11223344556677889900112233445566778899AA"[:38] + "00"} {
		h, err := ParseInfoHash(s)
		if err != nil || h.String() != want {
			t.Errorf("ParseInfoHash(%q) = %s, %v", s, h, err)
		}
	}
	for _, s := range []string{"", "xyz", want[:39], want + "0", "ZZ" + want[2:], "CERDGRCVMZ3YRGIACERDGRCVMZ3YRGI1"} {
		if _, err := ParseInfoHash(s); err == nil {
			t.Errorf("ParseInfoHash(%q) accepted", s)
		}
	}
	var v struct{ IH InfoHash }
	if err := json.Unmarshal([]byte(`{"IH":"CERDGRCVMZ3YRGIACERDGRCVMZ3YRGIA"}`), &v); err != nil || v.IH.String() != want {
		t.Fatalf("UnmarshalText: %v %v", v.IH, err)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"IH":"`+want+`"}` {
		t.Errorf("MarshalText: %s", b)
	}
	if !(InfoHash{}).IsZero() || v.IH.IsZero() {
		t.Error("IsZero")
	}
}

func TestED2KHash(t *testing.T) {
	const hexs = "3619cf2a6ded2b9f2827ca11e32d81ec"
	h, err := ParseED2KHash(strings.ToUpper(hexs))
	if err != nil || h.String() != hexs || h.IsZero() {
		t.Fatalf("ParseED2KHash = %v, %v", h, err)
	}
	b, _ := json.Marshal(struct {
		H ED2KHash `json:"h"`
		Z ED2KHash `json:"z,omitzero"`
	}{H: h})
	if string(b) != `{"h":"`+hexs+`"}` {
		t.Errorf("JSON %s", b)
	}
	var back struct{ H, Z ED2KHash }
	if err := json.Unmarshal([]byte(`{"H":"`+hexs+`","Z":""}`), &back); err != nil || back.H != h || !back.Z.IsZero() {
		t.Errorf("round trip %v %v", back, err)
	}
	for _, bad := range []string{"", "3619", hexs + "00", "zz19cf2a6ded2b9f2827ca11e32d81ec"} {
		if _, err := ParseED2KHash(bad); err == nil {
			t.Errorf("ParseED2KHash(%q) accepted", bad)
		}
	}
	l, err := ParseLink("ed2k://|file|a.csv|346590|" + strings.ToUpper(hexs) + "|/")
	if err != nil || l.ED2K != hexs {
		t.Errorf("link %+v %v", l, err)
	}
}
