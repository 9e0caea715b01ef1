package tracker

import (
	"testing"
)

func FuzzParseHTTPAnnounce(f *testing.F) {
	for _, s := range []string{
		"d8:completei3e10:incompletei5e8:intervali1800e5:peers12:\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x1a\xe1e",
		"d8:intervali900e5:peersld2:ip9:127.0.0.17:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti6881eeee",
		"d8:intervali900e5:peers0:6:peers618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1e",
		"d14:failure reason12:unregisterede",
		"d15:warning message4:slow8:intervali60e5:peers0:e",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseHTTPAnnounce(b, 1<<20, 100)
		if err == nil && len(r.Peers) > 100 {
			t.Fatalf("%d peers over the cap", len(r.Peers))
		}
		for _, p := range r.Peers {
			if p.Port() == 0 || !p.Addr().IsValid() {
				t.Fatalf("unusable peer %v", p)
			}
		}
	})
}

func FuzzParseHTTPScrape(f *testing.F) {
	ih := testIH
	f.Add([]byte("d5:filesd20:" + string(ih[:]) + "d8:completei7e10:downloadedi70e10:incompletei9eeee"))
	f.Add([]byte("d5:filesdee"))
	f.Add([]byte("d14:failure reason3:noee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseHTTPScrape(b, ih, 1<<20)
		if err == nil && (c.Seeders < 0 || c.Leechers < 0 || c.Completed < 0) {
			t.Fatalf("negative counts %+v", c)
		}
	})
}

func FuzzParseUDP(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01tidt\x00\x00\x07\x08\x00\x00\x00\x04\x00\x00\x00\x02\xc0\x00\x02\x01\x1a\xe1"), false)
	f.Add([]byte("\x00\x00\x00\x01tidt\x00\x00\x07\x08\x00\x00\x00\x04\x00\x00\x00\x02"+string(make([]byte, 18))), true)
	f.Add([]byte("\x00\x00\x00\x02tidt\x00\x00\x00\x02\x00\x00\x00\x14\x00\x00\x00\x04"), false)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		r, err := parseUDPAnnounce(b, v6, 50)
		if err == nil && len(r.Peers) > 50 {
			t.Fatalf("%d peers over the cap", len(r.Peers))
		}
		c, err := parseUDPScrape(b)
		if err == nil && (c.Seeders < 0 || c.Leechers < 0 || c.Completed < 0) {
			t.Fatalf("negative counts %+v", c)
		}
	})
}
