package fingerprint

import (
	"encoding/json"
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
