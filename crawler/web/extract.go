package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/width"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// PageResult is what [ExtractPage] found on one page.
type PageResult struct {
	// Links are the magnet, ed2k and .torrent links, each once, in page
	// order.
	Links []Link
	// Next is the next page of a paginated listing, nil when none was found.
	// It is on the page's host.
	Next *url.URL
	// Charset is the character set the page was decoded from.
	Charset string
	// Truncated is set when the page held more than MaxExtractLinks links
	// and the rest were dropped.
	Truncated bool
}

// Limits of [ExtractPage], whatever the caller's configuration.
const (
	// MaxExtractBytes is the largest body ExtractPage parses.
	MaxExtractBytes = 32 << 20
	// MaxExtractLinks is the most links ExtractPage returns for one page.
	MaxExtractLinks = 10000
)

const (
	maxBoxText   = 4096 // bytes of a row's text considered
	maxBoxNodes  = 2000 // nodes visited per row walk
	maxBoxDepth  = 8    // ancestors climbed to find a link's row
	maxNameGuess = 200  // runes: longer "residual" text is not a name
	workBudget   = 2_000_000
	// maxDescribeRetries is how many repeats of a link are read for a
	// missing name or size.
	maxDescribeRetries = 3
)

// ExtractPage finds the magnet, ed2k and .torrent links of an HTML page,
// with the name and size written around each, and its next-page link. base is
// the page's URL (relative links resolve against it, or against <base href>);
// contentType is the response's Content-Type, used for its charset. It does no
// I/O and is safe for concurrent use.
func ExtractPage(base *url.URL, body []byte, contentType string) (PageResult, error) {
	return ExtractPageProfile(base, body, contentType, nil)
}

// ExtractPageProfile is [ExtractPage] reading rows, names, sizes and the next
// link with p's selectors first; when p finds no link the generic extractor
// runs. A nil p means generic extraction only.
func ExtractPageProfile(base *url.URL, body []byte, contentType string, p *Profile) (PageResult, error) {
	if base == nil || !base.IsAbs() {
		return PageResult{}, errors.New("extract page: base URL must be absolute")
	}
	if len(body) > MaxExtractBytes {
		return PageResult{}, fmt.Errorf("extract page: %w: %d bytes (limit %d)", ErrBodyTooLarge, len(body), MaxExtractBytes)
	}
	text, cs := toUTF8(body, contentType)
	root, err := html.Parse(bytes.NewReader(text))
	if err != nil {
		return PageResult{}, fmt.Errorf("extract page: parse html: %w", err)
	}
	e := newExtractor(base, root)
	if p != nil {
		e.profile(p)
	}
	if len(e.links) == 0 {
		e.generic()
	}
	res := PageResult{Links: e.links, Charset: cs, Truncated: e.truncated}
	if p != nil && p.next != nil {
		res.Next = e.profileNext(p)
	}
	if res.Next == nil {
		res.Next = e.findNext()
	}
	return res, nil
}

// extractor holds the state of one page's extraction.
type extractor struct {
	page      *url.URL // the page's own URL
	base      *url.URL // resolution base (<base href> or page)
	doc       *goquery.Document
	anchors   []*html.Node // a[href], area[href] in document order
	texts     []*html.Node // text nodes that may hold pasted links
	relNext   string       // <link rel=next href>
	current   int          // page number marked current, 0 if none
	links     []Link
	index     map[string]int // linkKey → index in links
	retries   []int          // per link, describe attempts on repeats
	truncated bool
	// boxes counts, per ancestor, the distinct links below it.
	boxes map[*html.Node]*boxCount
	// infos caches what was read from each record.
	infos map[*html.Node]*boxInfo
	// budget is the node visits left for describing links; once spent,
	// links keep only what they say themselves. It bounds the work of a
	// hostile page to parse time plus a constant.
	budget int
}

type boxCount struct {
	n    int    // distinct links below
	last string // key of the last link counted
}

// candidate is a link found at node (an anchor, or the element holding a
// text node).
type candidate struct {
	node   *html.Node
	anchor bool
	link   Link
	key    string
}

func newExtractor(page *url.URL, root *html.Node) *extractor {
	e := &extractor{
		page:   page,
		base:   page,
		doc:    goquery.NewDocumentFromNode(root),
		index:  make(map[string]int),
		infos:  make(map[*html.Node]*boxInfo),
		budget: workBudget,
	}
	if href, ok := e.doc.Find("base[href]").First().Attr("href"); ok {
		if b, err := page.Parse(strings.TrimSpace(href)); err == nil && (b.Scheme == "http" || b.Scheme == "https") {
			e.base = b
		}
	}
	e.doc.Find("link[rel][href]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if hasToken(s.AttrOr("rel", ""), "next") {
			e.relNext = s.AttrOr("href", "")
			return false
		}
		return true
	})
	e.doc.Find("a[href], area[href]").Each(func(_ int, s *goquery.Selection) {
		e.anchors = append(e.anchors, s.Nodes[0])
	})
	e.scanText(root)
	return e
}

// scanText collects text nodes that may hold pasted links and the element
// marked as the current page, without recursion.
func (e *extractor) scanText(root *html.Node) {
	for n := root; n != nil; {
		skip := false
		switch n.Type {
		case html.TextNode:
			if mayHoldLink(n.Data) {
				e.texts = append(e.texts, n)
			}
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Template:
				skip = true
			}
			if e.current == 0 && isCurrentMarker(n) {
				if k, ok := pageNumber(cleanText(textOf(n, 32, 50))); ok {
					e.current = k
				}
			}
		}
		if n.FirstChild != nil && !skip {
			n = n.FirstChild
			continue
		}
		for n != nil && n.NextSibling == nil {
			if n == root {
				return
			}
			n = n.Parent
		}
		if n == nil || n == root {
			return
		}
		n = n.NextSibling
	}
}

func mayHoldLink(s string) bool {
	return strings.Contains(s, "agnet:") || strings.Contains(s, "AGNET:") ||
		strings.Contains(s, "d2k://") || strings.Contains(s, "D2K://") ||
		strings.Contains(s, ".torrent") || strings.Contains(s, ".TORRENT")
}

// generic runs the configuration-free extraction.
func (e *extractor) generic() {
	var cands []candidate
	for _, a := range e.anchors {
		kind, link := classify(e.base, attr(a, "href"))
		if kind == 0 && strings.EqualFold(attr(a, "type"), "application/x-bittorrent") {
			if u, err := e.base.Parse(strings.TrimSpace(attr(a, "href"))); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				u.Fragment = ""
				kind, link = LinkTorrent, u.String()
			}
		}
		if kind != 0 {
			cands = append(cands, e.newCandidate(a, true, kind, link))
		}
	}
	for _, t := range e.texts {
		holder := t.Parent
		if holder == nil {
			continue
		}
		for _, m := range findTextLinks(t.Data, e.base) {
			cands = append(cands, e.newCandidate(holder, false, m.kind, m.link))
		}
	}
	e.countBoxes(cands)
	for _, c := range cands {
		if !e.add(c) {
			return
		}
	}
}

func (e *extractor) newCandidate(n *html.Node, anchor bool, kind LinkKind, link string) candidate {
	l := newLink(kind, link)
	return candidate{node: n, anchor: anchor, link: l, key: linkKey(l)}
}

// add describes c and appends it, or merges it into the same link seen
// before. It returns false once the page's link limit is reached.
func (e *extractor) add(c candidate) bool {
	if i, ok := e.index[c.key]; ok {
		prev := &e.links[i]
		// A link repeated on the page may have its name or size next to
		// another occurrence; look at a few, not at thousands.
		if (prev.Name == "" || prev.Size == 0) && e.retries[i] < maxDescribeRetries {
			e.retries[i]++
			name, size := e.describe(c)
			if prev.Name == "" {
				prev.Name = name
			}
			if prev.Size == 0 {
				prev.Size = size
			}
		}
		return true
	}
	if len(e.links) >= MaxExtractLinks {
		e.truncated = true
		return false
	}
	c.link.Name, c.link.Size = e.describe(c)
	e.index[c.key] = len(e.links)
	e.links = append(e.links, c.link)
	e.retries = append(e.retries, 0)
	return true
}

type textLink struct {
	kind LinkKind
	link string
}

// findTextLinks finds links pasted as text.
func findTextLinks(s string, base *url.URL) []textLink {
	var out []textLink
	for _, m := range textMagnet.FindAllString(s, 64) {
		m = strings.TrimRight(m, ".,;:!)]}")
		if strings.Contains(strings.ToLower(m), "xt=") {
			out = append(out, textLink{LinkMagnet, m})
		}
	}
	for _, m := range textED2K.FindAllString(s, 64) {
		if _, err := fingerprint.ParseLink(m); err == nil {
			out = append(out, textLink{LinkED2K, m})
		}
	}
	for _, m := range textTorrent.FindAllString(s, 64) {
		if kind, link := classify(base, m); kind == LinkTorrent {
			out = append(out, textLink{kind, link})
		}
	}
	return out
}

// countBoxes records, for each ancestor of each candidate (up to
// maxBoxDepth), how many distinct links it holds.
func (e *extractor) countBoxes(cands []candidate) {
	e.boxes = make(map[*html.Node]*boxCount)
	for _, c := range cands {
		for p, i := c.node, 0; p != nil && i <= maxBoxDepth; p, i = p.Parent, i+1 {
			b := e.boxes[p]
			if b == nil {
				b = &boxCount{}
				e.boxes[p] = b
			}
			if b.last != c.key {
				b.last = c.key
				b.n++
			}
		}
	}
}

// container returns the element that holds one link's record: the nearest
// table row, list item or article, or else the largest ancestor that holds
// no more links than the link's own parent (a .torrent and a magnet side by
// side are one record; a list of cards is not).
func (e *extractor) container(n *html.Node) *html.Node {
	best, base := n, -1
	for p, i := n, 0; p != nil && i <= maxBoxDepth; p, i = p.Parent, i+1 {
		if p.Type != html.ElementNode {
			break
		}
		switch p.DataAtom {
		case atom.Body, atom.Html, atom.Table, atom.Tbody, atom.Thead, atom.Ul, atom.Ol, atom.Dl, atom.Form, atom.Main:
			return best
		}
		if b := e.boxes[p]; b != nil && (p != n || n.DataAtom != atom.A) {
			if base < 0 {
				base = b.n
			} else if b.n > base {
				return best
			}
		}
		best = p
		switch p.DataAtom {
		case atom.Tr, atom.Li, atom.Article, atom.Dd, atom.Dt:
			return p
		}
	}
	return best
}

// describe returns the name and size written for c.
func (e *extractor) describe(c candidate) (string, int64) {
	name, size := c.link.Name, c.link.Size
	if name != "" && size > 0 {
		return name, size
	}
	box := e.container(c.node)
	if name == "" {
		name = e.nameIn(box, c)
	}
	if size == 0 {
		size = e.sizeIn(box, name)
	}
	return name, size
}

// boxInfo caches what was read from one record, shared by its links (a
// cell may hold hundreds of links: each must not walk it again).
type boxInfo struct {
	named            string     // heading or element classed name/title
	best             [2]nameRef // the two longest non-link anchor texts
	cell             string     // longest name-like cell of a row
	residual         string
	residualDone     bool
	sizes            map[string]int64 // by the name excluded from the text
	namesDone, sized bool
}

type nameRef struct {
	node *html.Node
	text string
}

func (e *extractor) box(n *html.Node) *boxInfo {
	bi := e.infos[n]
	if bi == nil {
		bi = &boxInfo{}
		e.infos[n] = bi
	}
	return bi
}

// nameIn guesses the name of c's record from the text of box.
func (e *extractor) nameIn(box *html.Node, c candidate) string {
	bi := e.box(box)
	if !bi.namesDone {
		bi.namesDone = true
		e.walk(box, maxBoxNodes, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			// A heading, or an element classed "name" or "title".
			if bi.named == "" && n != box && namedElement(n) {
				if t := cleanText(e.text(n, 1024, 200)); isName(t) {
					bi.named = t
				}
			}
			if n.DataAtom == atom.A {
				href := strings.TrimSpace(attr(n, "href"))
				if kind, _ := classify(e.base, href); kind != 0 || href == "" || href[0] == '#' || hasPrefixFold(href, "javascript:") {
					return
				}
				t := cleanText(e.text(n, 1024, 200))
				if !isName(t) {
					return
				}
				switch {
				case len(t) > len(bi.best[0].text):
					bi.best[1], bi.best[0] = bi.best[0], nameRef{n, t}
				case len(t) > len(bi.best[1].text):
					bi.best[1] = nameRef{n, t}
				}
			}
		}, nil)
		if box.DataAtom == atom.Tr {
			for td := box.FirstChild; td != nil; td = td.NextSibling {
				if td.DataAtom != atom.Td && td.DataAtom != atom.Th {
					continue
				}
				if t := cleanText(e.text(td, 1024, 200)); isName(t) && len(t) > len(bi.cell) {
					bi.cell = t
				}
			}
		}
	}
	switch {
	case bi.named != "":
		return bi.named
	case bi.best[0].text != "" && bi.best[0].node != c.node:
		return bi.best[0].text
	case bi.best[1].text != "":
		return bi.best[1].text
	}
	if c.anchor {
		if t := cleanText(e.text(c.node, 1024, 200)); isName(t) {
			return t
		}
		if t := cleanText(attr(c.node, "title")); isName(t) {
			return t
		}
	}
	if box.DataAtom == atom.Tr {
		if bi.cell != "" {
			return bi.cell
		}
	} else {
		if !bi.residualDone {
			bi.residualDone = true
			bi.residual = e.residualText(box)
		}
		if t := bi.residual; isName(t) && utf8.RuneCountInString(t) <= maxNameGuess {
			return t
		}
	}
	if c.link.Kind == LinkTorrent {
		return torrentFileName(c.link.URL)
	}
	return ""
}

var (
	emptyBrackets = regexp.MustCompile(`[(\[（【「『]\s*[)\]）】」』]`)
	sizeLabel     = regexp.MustCompile(`(?i)(?:^|\s)(?:size|file size|サイズ|容量|ファイルサイズ)\s*[:：]?`)
)

// residualText is a record's text without pasted links, sizes, size labels
// and generic link words.
func (e *extractor) residualText(box *html.Node) string {
	t := e.textSkipping(box, maxBoxText, maxBoxNodes, func(n *html.Node) bool {
		return n.DataAtom == atom.A && !isName(cleanText(e.text(n, 256, 50)))
	})
	e.budget -= len(t) // the regular expressions below cost about this
	for _, re := range []*regexp.Regexp{textMagnet, textED2K, textTorrent} {
		t = re.ReplaceAllString(t, " ")
	}
	t = removeSizes(t)
	t = sizeLabel.ReplaceAllString(t, " ")
	t = emptyBrackets.ReplaceAllString(t, " ")
	return strings.Trim(cleanText(t), " -|:：/・,")
}

// removeSizes blanks the sizes in t, found in its width-folded form
// ("１．２ＧＢ") while the rest of t keeps its own characters.
func removeSizes(t string) string {
	orig := []rune(t)
	folded := make([]rune, len(orig))
	for i, r := range orig {
		folded[i] = r
		if r >= 0x80 {
			if f := width.LookupRune(r).Folded(); f != 0 {
				folded[i] = f
			}
		}
	}
	fs := string(folded)
	locs := sizeRe.FindAllStringSubmatchIndex(fs, 16)
	if locs == nil {
		return t
	}
	// Byte offsets in fs → rune indices.
	runeAt := make(map[int]int, len(folded)+1)
	bi := 0
	for i, r := range folded {
		runeAt[bi] = i
		bi += utf8.RuneLen(r)
	}
	runeAt[bi] = len(folded)
	for _, l := range locs {
		// Blank from the number to the end of the unit (groups 1 and 3).
		from, to := runeAt[l[2]], runeAt[l[7]]
		for i := from; i < to; i++ {
			orig[i] = ' '
		}
	}
	return string(orig)
}

// sizeIn finds the size in box: a cell that is only a size, an element
// classed "size", or the first size in the record's text outside the name.
func (e *extractor) sizeIn(box *html.Node, name string) int64 {
	bi := e.box(box)
	if n, ok := bi.sizes[name]; ok {
		return n
	}
	if bi.sizes == nil {
		bi.sizes = make(map[string]int64)
	}
	n := e.findSizeIn(box, name)
	if len(bi.sizes) < 64 {
		bi.sizes[name] = n
	}
	return n
}

func (e *extractor) findSizeIn(box *html.Node, name string) int64 {
	if box.DataAtom == atom.Tr {
		for td := box.FirstChild; td != nil; td = td.NextSibling {
			if td.Type == html.ElementNode {
				if n, ok := wholeSize(e.text(td, 64, 50)); ok {
					return n
				}
			}
		}
	}
	var size int64
	e.walk(box, maxBoxNodes, func(n *html.Node) {
		if size == 0 && n.Type == html.ElementNode && containsFold(attr(n, "class")+" "+attr(n, "id"), "size") {
			size, _ = FindSize(e.text(n, 256, 50))
		}
	}, nil)
	if size > 0 {
		return size
	}
	t := e.text(box, maxBoxText, maxBoxNodes)
	e.budget -= len(t)
	if name != "" {
		t = strings.Replace(t, name, " ", 1)
	}
	t = textMagnet.ReplaceAllString(t, " ")
	t = textED2K.ReplaceAllString(t, " ")
	size, _ = FindSize(t)
	return size
}

// genericWords are link texts that say nothing about what is linked.
var genericWords = map[string]bool{
	"download": true, "dl": true, "magnet": true, "magnet link": true, "torrent": true,
	".torrent": true, "torrent file": true, "download torrent": true, "get": true,
	"link": true, "here": true, "click here": true, "mirror": true, "details": true,
	"ダウンロード": true, "マグネット": true, "トレント": true, "リンク": true, "ここ": true,
	"磁力": true, "下载": true, "种子": true,
}

// isName reports whether t can be a record's name: not empty, not a
// generic word, not only digits, punctuation or a size, not a URL.
func isName(t string) bool {
	if t == "" {
		return false
	}
	l := strings.ToLower(strings.Trim(t, " []()【】<>«»›‹|:-"))
	if len([]rune(l)) < 2 || genericWords[l] {
		return false
	}
	if hasPrefixFold(l, "magnet:") || hasPrefixFold(l, "ed2k:") || hasPrefixFold(l, "http://") || hasPrefixFold(l, "https://") {
		return false
	}
	letters := false
	for _, r := range l {
		if unicode.IsLetter(r) {
			letters = true
			break
		}
	}
	if !letters {
		return false
	}
	if _, ok := wholeSize(t); ok {
		return false
	}
	return true
}

func namedElement(n *html.Node) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	s := attr(n, "class") + " " + attr(n, "id") + " " + attr(n, "itemprop")
	return containsFold(s, "name") || containsFold(s, "title")
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// walk visits root's subtree in document order, at most maxNodes nodes and
// never more than the page's remaining work budget, skipping scripts,
// styles and the subtrees skip selects, without recursion.
func (e *extractor) walk(root *html.Node, maxNodes int, visit func(*html.Node), skip func(*html.Node) bool) {
	walkBudget(root, maxNodes, &e.budget, visit, skip)
}

func walkBudget(root *html.Node, maxNodes int, budget *int, visit func(*html.Node), skip func(*html.Node) bool) {
	seen := 0
	for n := root; n != nil; {
		seen++
		if seen > maxNodes || *budget <= 0 {
			return
		}
		*budget--
		descend := true
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Template) {
			descend = false
		} else if skip != nil && n != root && skip(n) {
			descend = false
		} else {
			visit(n)
		}
		if descend && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		for n != root && n.NextSibling == nil {
			n = n.Parent
		}
		if n == root {
			return
		}
		n = n.NextSibling
	}
}

// text returns n's text, elements separated by spaces, stopping after
// maxBytes bytes or maxNodes nodes.
func (e *extractor) text(n *html.Node, maxBytes, maxNodes int) string {
	return textBudget(n, maxBytes, maxNodes, &e.budget, nil)
}

func (e *extractor) textSkipping(n *html.Node, maxBytes, maxNodes int, skip func(*html.Node) bool) string {
	return textBudget(n, maxBytes, maxNodes, &e.budget, skip)
}

// textOf is text without a page budget, for small bounded reads.
func textOf(n *html.Node, maxBytes, maxNodes int) string {
	budget := maxNodes
	return textBudget(n, maxBytes, maxNodes, &budget, nil)
}

func textBudget(n *html.Node, maxBytes, maxNodes int, budget *int, skip func(*html.Node) bool) string {
	if n.Type == html.TextNode {
		if len(n.Data) > maxBytes {
			return n.Data[:maxBytes]
		}
		return n.Data
	}
	var b strings.Builder
	walkBudget(n, maxNodes, budget, func(c *html.Node) {
		if b.Len() >= maxBytes {
			return
		}
		switch c.Type {
		case html.TextNode:
			d := c.Data
			if rest := maxBytes - b.Len(); len(d) > rest {
				d = d[:rest]
			}
			b.WriteString(d)
		case html.ElementNode:
			b.WriteByte(' ')
		}
	}, skip)
	return b.String()
}
