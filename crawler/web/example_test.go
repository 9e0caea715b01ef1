package web_test

import (
	"fmt"
	"net/url"

	"github.com/leakhunt/leakhunt/crawler/web"
)

func ExampleExtractPage() {
	page := []byte(`<table>
<tr><td><a href="/details/1">Quarterly Report (fake)</a></td>
    <td><a href="magnet:?xt=urn:btih:00112233445566778899aabbccddeeff00112233">magnet</a></td>
    <td>1.5 GB</td></tr>
</table>
<a href="/browse?page=2">Next »</a>`)
	base, _ := url.Parse("https://tracker.example/browse")
	res, err := web.ExtractPage(base, page, "text/html; charset=utf-8")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range res.Links {
		fmt.Println(l.Kind, l.InfoHash, l.Name, l.Size)
	}
	fmt.Println("next:", res.Next)
	// Output:
	// magnet 00112233445566778899aabbccddeeff00112233 Quarterly Report (fake) 1610612736
	// next: https://tracker.example/browse?page=2
}
