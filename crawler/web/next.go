package web

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// nextWords are link texts meaning "next page" once arrows and spaces are
// trimmed.
var nextWords = map[string]bool{
	"next": true, "next page": true, "nextpage": true,
	"次": true, "次へ": true, "次の": true, "次のページ": true, "次ページ": true,
	"次へ進む": true, "つぎへ": true, "下一页": true, "다음": true, "suivant": true,
	"weiter": true, "siguiente": true,
}

// arrowTexts are link texts that usually, not always, mean "next page".
var arrowTexts = map[string]bool{"»": true, "›": true, ">": true, "→": true, "≫": true, "次»": true}

const arrowCut = " \t\n»›>→≫<«‹←≪|[]()"

// findNext returns the next-page link: <link rel=next> or <a rel=next>,
// then a link saying "Next" or "次へ" (or classed "next"), then the
// number after the current page's, then a lone "»" or "›".
func (e *extractor) findNext() *url.URL {
	if e.relNext != "" {
		if u := e.nextURL(e.relNext); u != nil {
			return u
		}
	}
	cur := e.current
	if cur == 0 {
		cur = pageInURL(e.page)
	}
	var word, num, arrow *url.URL
	for _, a := range e.anchors {
		href := attr(a, "href")
		if hasToken(attr(a, "rel"), "next") {
			if u := e.nextURL(href); u != nil {
				return u
			}
		}
		t := cleanText(textOf(a, 64, 20))
		if t == "" {
			t = cleanText(attr(a, "aria-label"))
		}
		if t == "" {
			t = cleanText(attr(a, "title"))
		}
		lt := strings.ToLower(t)
		trimmed := strings.Trim(lt, arrowCut)
		switch {
		case word == nil && (nextWords[trimmed] || strings.HasPrefix(trimmed, "next ") || hasClassToken(a, "next")):
			word = e.nextURL(href)
		case num == nil && cur > 0 && trimmed == strconv.Itoa(cur+1) && len(lt) < 12:
			num = e.nextURL(href)
		case arrow == nil && arrowTexts[strings.TrimSpace(lt)]:
			arrow = e.nextURL(href)
		}
	}
	switch {
	case word != nil:
		return word
	case num != nil:
		return num
	}
	return arrow
}

// nextURL resolves href and keeps it when it is an http(s) URL on the page's
// host other than the page itself.
func (e *extractor) nextURL(href string) *url.URL {
	href = strings.TrimSpace(href)
	if href == "" || href[0] == '#' || hasPrefixFold(href, "javascript:") {
		return nil
	}
	u, err := e.base.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, e.page.Host) {
		return nil
	}
	u.Fragment = ""
	if sameURL(u, e.page) {
		return nil
	}
	return u
}

func sameURL(a, b *url.URL) bool {
	a2, b2 := *a, *b
	a2.Fragment, b2.Fragment = "", ""
	return a2.String() == b2.String()
}

func hasClassToken(n *html.Node, tok string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		f = strings.ToLower(f)
		if f == tok || strings.HasSuffix(f, "-"+tok) || strings.HasSuffix(f, "_"+tok) {
			return true
		}
	}
	return false
}

// isCurrentMarker reports whether n marks the current page of a pager.
func isCurrentMarker(n *html.Node) bool {
	if attr(n, "aria-current") == "page" {
		return true
	}
	return hasClassToken(n, "current") || hasClassToken(n, "active") || hasClassToken(n, "selected")
}

// pageNumber parses a small page number.
func pageNumber(s string) (int, bool) {
	s = strings.Trim(s, arrowCut)
	k, err := strconv.Atoi(s)
	if err != nil || k < 1 || k > 1_000_000 {
		return 0, false
	}
	return k, true
}

// pageInURL returns the page number a URL states (?page=3, ?p=3,
// /page/3), or 1.
func pageInURL(u *url.URL) int {
	q := u.Query()
	for _, k := range []string{"page", "p", "pg", "pn", "pagenum", "paged"} {
		if n, ok := pageNumber(q.Get(k)); ok {
			return n
		}
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "page") {
			if n, ok := pageNumber(segs[i+1]); ok {
				return n
			}
		}
	}
	return 1
}
