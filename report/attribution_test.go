package report

import (
	"net/netip"
	"path/filepath"
	"testing"
)

func mustAddr(t testing.TB, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestASNDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "asn.mmdb")
	writeMMDB(t, path)
	db, err := OpenASNDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		ip   string
		want Attribution
	}{
		{"85.10.1.5", Attribution{ASN: 64501, Org: "Example Net KK", Country: "JP", Network: "85.10.0.0/16"}},
		{"::ffff:85.10.200.1", Attribution{ASN: 64501, Org: "Example Net KK", Country: "JP", Network: "85.10.0.0/16"}},
		{"91.20.3.4", Attribution{ASN: 64502, Org: "Hostile <b>ISP</b>\u202e =cmd|' /C calc'!A0", Country: "DE", Network: "91.20.0.0/16"}},
		{"2a0a:1000::5", Attribution{ASN: 64503, Org: "Sample Fibre", Network: "2a0a:1000::/32"}},
		{"8.8.8.8", Attribution{}},
		{"127.0.0.1", Attribution{Special: SpecialPrivate}},
		{"10.0.0.1", Attribution{Special: SpecialPrivate}},
		{"192.0.2.7", Attribution{Special: SpecialReserved}},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			got := db.Lookup(mustAddr(t, tt.ip))
			if got != tt.want {
				t.Errorf("Lookup = %+v, want %+v", got, tt.want)
			}
		})
	}
	var nilDB *ASNDB
	if got := nilDB.Lookup(mustAddr(t, "::1")); got.Special != SpecialPrivate {
		t.Errorf("nil DB on ::1 = %+v", got)
	}
	if _, err := OpenASNDB(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("missing database opened")
	}
}

func TestParseContacts(t *testing.T) {
	tsv := "# comment\nAS64500\tabuse@a.example\tA Net\n198.51.100.0/24\tnoc@b.example\n198.51.100.7\t<ip@c.example>\n"
	js := `{"AS64500": {"email": "abuse@a.example", "name": "A Net"}, "198.51.100.0/24": {"email": "noc@b.example"}, "198.51.100.7": {"email": "ip@c.example"}}`
	for name, in := range map[string]string{"tsv": tsv, "json": js} {
		t.Run(name, func(t *testing.T) {
			c, err := ParseContacts([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				ip    string
				asn   uint32
				email string
			}{
				{"198.51.100.7", 64500, "ip@c.example"}, // longest prefix first
				{"198.51.100.8", 64500, "noc@b.example"},
				{"203.0.113.1", 64500, "abuse@a.example"},
				{"203.0.113.1", 1, ""},
			} {
				got, ok := c.Lookup(mustAddr(t, tt.ip), tt.asn)
				if got.Email != tt.email || ok != (tt.email != "") {
					t.Errorf("Lookup(%s, %d) = %+v %v, want %q", tt.ip, tt.asn, got, ok, tt.email)
				}
			}
		})
	}
	for _, bad := range []string{"AS1\n", "ASx\tabuse@x.example\n", "nonsense\tabuse@x.example\n", "AS1\tnot an email\n", "{bad json"} {
		if _, err := ParseContacts([]byte(bad)); err == nil {
			t.Errorf("ParseContacts(%q) accepted", bad)
		}
	}
}

func FuzzParseContacts(f *testing.F) {
	f.Add([]byte("AS64500\tabuse@a.example\tA Net\n198.51.100.0/24\tnoc@b.example\n"))
	f.Add([]byte(`{"AS1": {"email": "a@b.example"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseContacts(b)
		if err == nil {
			c.Lookup(netip.MustParseAddr("198.51.100.1"), 64500)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"contractor": {"name": "X"}, "client": "Y", "case_reference": "Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) { ParseConfig(b) })
}
