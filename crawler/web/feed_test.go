package web

import (
	"testing"
)

func TestExtractFeed(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		links []wantLink
	}{
		{"ezrss fixture", string(readFixture(t, "feed.rss")), []wantLink{
			{LinkMagnet, "magnet:?xt=urn:btih:0123", "0123456789abcdef0123456789abcdef01234567", "Acme Corp Payroll 2024 (fake)", 1288490189},
			{LinkTorrent, "https://tracker.example/download/101.torrent", "0123456789abcdef0123456789abcdef01234567", "Acme Corp Payroll 2024 (fake)", 1288490189},
			{LinkHash, "", "89abcdef0123456789abcdef0123456789abcdef", "Hash only item", 2*gib + gib/2},
			{LinkTorrent, "https://tracker.example/dl/777", "", "Relative enclosure", 0},
		}},
		{"atom", `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>Atom Doc [300 MB]</title><id>x</id>
<link rel="alternate" href="https://a.example/view/1"/>
<link rel="enclosure" type="application/x-bittorrent" href="https://a.example/get/1"/>
</entry>
<entry><title>Atom Magnet</title><id>y</id><link href="magnet:?xt=urn:btih:2222222222222222222222222222222222222222&amp;xl=5"/></entry>
</feed>`, []wantLink{
			{LinkTorrent, "https://a.example/get/1", "", "Atom Doc [300 MB]", 300 * mib},
			{LinkMagnet, "2222", "2222222222222222222222222222222222222222", "Atom Magnet", 5},
		}},
		{"shift_jis rss", "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><rss version=\"2.0\"><channel><title>t</title><item><title>\x8e\x91\x97\xbf</title><link>ed2k://|file|a.pdf|10|0123456789abcdef0123456789abcdef|/</link></item></channel></rss>", []wantLink{
			{LinkED2K, "ed2k://|file|a.pdf", "", "資料", 10},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links, err := ExtractFeed(mustURL(t, "https://tracker.example/rss"), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			checkLinks(t, links, tt.links)
		})
	}
	if _, err := ExtractFeed(mustURL(t, "https://a.example/"), []byte("<html>not a feed</html>")); err == nil {
		t.Error("HTML accepted as a feed")
	}
}

func TestIsFeed(t *testing.T) {
	tests := []struct {
		ct, body string
		want     bool
	}{
		{"application/rss+xml", `<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>`, true},
		{"", `<feed xmlns="http://www.w3.org/2005/Atom"></feed>`, true},
		{"text/html", `<rss version="2.0"></rss>`, false},
		{"", `<!DOCTYPE html><html><body>x</body></html>`, false},
		{"application/json", `{"version":"https://jsonfeed.org/version/1","items":[]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			if got := IsFeed(tt.ct, []byte(tt.body)); got != tt.want {
				t.Errorf("IsFeed(%q, %.30q) = %v", tt.ct, tt.body, got)
			}
		})
	}
}
