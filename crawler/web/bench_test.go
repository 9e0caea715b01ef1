package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

type benchPage struct {
	base *url.URL
	body []byte
}

func benchPages(b *testing.B) []benchPage {
	var pages []benchPage
	for _, f := range []struct{ file, base string }{
		{"tracker/page1.html", "https://tracker.example/browse"},
		{"tracker/page2.html", "https://tracker.example/browse?page=2"},
		{"tracker/page3.html", "https://tracker.example/browse?page=3"},
		{"cards.html", "https://index.example/index"},
		{"bbs_sjis.html", "http://bbs.example/test/read/4.html"},
		{"odd.html", "https://odd.example/list"},
	} {
		pages = append(pages, benchPage{mustURL(b, f.base), readFixture(b, f.file)})
	}
	return pages
}

// bigListing is a 100-row tracker listing (about 40 KB), the size of a real
// index page.
func bigListing() []byte {
	var sb strings.Builder
	sb.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Browse</title></head><body><table class="list"><tr><th>Name</th><th>DL</th><th>Size</th><th>S</th><th>L</th></tr>`)
	for i := range 100 {
		fmt.Fprintf(&sb, `<tr><td class="name"><a href="/details/%d">Document number %d (fake)</a></td><td><a href="/dl/%d.torrent"><img src="/dl.png"></a> <a href="magnet:?xt=urn:btih:%040x&amp;dn=Doc%d&amp;tr=udp%%3A%%2F%%2Ftracker.example%%3A1337">magnet</a></td><td>%d.%d MB</td><td>%d</td><td>%d</td></tr>`,
			i, i, i, i+1, i, 10+i, i%10, i*3, i%7)
	}
	sb.WriteString(`</table><div class="pagination"><span class="current">1</span> <a href="?page=2">2</a> <a href="?page=2">Next</a></div></body></html>`)
	return []byte(sb.String())
}

// BenchmarkExtractPage parses the fixture pages in memory: pages/s and
// links/s on one core.
func BenchmarkExtractPage(b *testing.B) {
	pages := benchPages(b)
	links := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		pr, err := ExtractPage(p.base, p.body, "text/html")
		if err != nil {
			b.Fatal(err)
		}
		links += len(pr.Links)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/s, "pages/s")
	b.ReportMetric(float64(links)/s, "links/s")
}

// BenchmarkExtractPageListing parses a 100-row, 200-link listing.
func BenchmarkExtractPageListing(b *testing.B) {
	body := bigListing()
	base := mustURL(b, "https://tracker.example/browse")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	links := 0
	for i := 0; i < b.N; i++ {
		pr, err := ExtractPage(base, body, "text/html")
		if err != nil {
			b.Fatal(err)
		}
		if len(pr.Links) != 200 || pr.Next == nil {
			b.Fatalf("%d links, next %v", len(pr.Links), pr.Next)
		}
		links += len(pr.Links)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/s, "pages/s")
	b.ReportMetric(float64(links)/s, "links/s")
}

// BenchmarkExtractFeed parses the RSS and Torznab fixtures.
func BenchmarkExtractFeed(b *testing.B) {
	feeds := [][]byte{readFixture(b, "feed.rss"), readFixture(b, "torznab.xml")}
	base := mustURL(b, "https://tracker.example/rss")
	links := 0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ls, err := ExtractFeed(base, feeds[i%2])
		if err != nil {
			b.Fatal(err)
		}
		links += len(ls)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/s, "feeds/s")
	b.ReportMetric(float64(links)/s, "links/s")
}
