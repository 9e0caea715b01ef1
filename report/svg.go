package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/leakhunt/leakhunt/internal/display"
)

// xmlText escapes s for SVG text content after making it inert.
func xmlText(s string, max int) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(display.String(s, max)))
	return b.String()
}

func (r *run) writeCharts() error {
	w, err := r.b.create("charts/hosts-per-isp.svg")
	if err != nil {
		return err
	}
	defer w.abort()
	type bar struct {
		label string
		n     int
	}
	var bars []bar
	for _, g := range r.groups {
		bars = append(bars, bar{g.ispName(), len(g.peers)})
	}
	slices.SortStableFunc(bars, func(a, b bar) int { return cmp.Compare(b.n, a.n) })
	if len(bars) > 20 {
		rest := 0
		for _, b := range bars[19:] {
			rest += b.n
		}
		bars = append(bars[:19], bar{fmt.Sprintf("%d other networks", len(bars)-19), rest})
	}
	labels := make([]string, len(bars))
	vals := make([]int, len(bars))
	for i, b := range bars {
		labels[i], vals[i] = b.label, b.n
	}
	hbarChart(w, "Hosts per ISP", labels, vals)
	if err := w.Close(); err != nil {
		return err
	}

	w2, err := r.b.create("charts/observations.svg")
	if err != nil {
		return err
	}
	defer w2.abort()
	days := make([]string, 0, len(r.coll.perDay))
	for d := range r.coll.perDay {
		days = append(days, d)
	}
	slices.Sort(days)
	keys, all, top := days, make([]int, 0, len(days)), make([]int, 0, len(days))
	if len(days) > 120 { // by month
		keys = nil
		for _, d := range days {
			m := d[:7]
			if len(keys) == 0 || keys[len(keys)-1] != m {
				keys = append(keys, m)
				all, top = append(all, 0), append(top, 0)
			}
			c := r.coll.perDay[d]
			all[len(all)-1] += c[0]
			top[len(top)-1] += c[1]
		}
	} else {
		for _, d := range days {
			c := r.coll.perDay[d]
			all, top = append(all, c[0]), append(top, c[1])
		}
	}
	vbarChart(w2, fmt.Sprintf("Observations over time (grey: all; dark: %s and above)", r.opt.MinLevel), keys, all, top)
	return w2.Close()
}

// hbarChart draws labelled horizontal bars.
func hbarChart(w io.Writer, title string, labels []string, vals []int) {
	const left, width, rowH = 260, 400, 22
	h := 40 + rowH*max(len(vals), 1) + 10
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", left+width+80, h)
	fmt.Fprintf(w, `<text x="10" y="20" font-size="14">%s</text>`+"\n", xmlText(title, 80))
	mx := 1
	for _, v := range vals {
		mx = max(mx, v)
	}
	for i, v := range vals {
		y := 36 + i*rowH
		bw := v * width / mx
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, y+14, xmlText(labels[i], 40))
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="#4a6fa5"/>`, left, y+2, max(bw, 1), rowH-6)
		fmt.Fprintf(w, `<text x="%d" y="%d">%d</text>`+"\n", left+bw+6, y+14, v)
	}
	if len(vals) == 0 {
		fmt.Fprintf(w, `<text x="10" y="50">no hosts</text>`+"\n")
	}
	io.WriteString(w, "</svg>\n")
}

// vbarChart draws vertical bars of two series (all, and a subset).
func vbarChart(w io.Writer, title string, keys []string, all, sub []int) {
	const top, plotH, left = 40, 200, 60
	bw := 12
	if len(keys) > 60 {
		bw = 4
	}
	width := left + len(keys)*(bw+2) + 40
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", max(width, 400), top+plotH+70)
	fmt.Fprintf(w, `<text x="10" y="20" font-size="14">%s</text>`+"\n", xmlText(title, 120))
	mx := 1
	for _, v := range all {
		mx = max(mx, v)
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%d</text>`+"\n", left-4, top+8, mx)
	fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`+"\n", left, top+plotH, max(width, 400)-20, top+plotH)
	for i, k := range keys {
		x := left + i*(bw+2)
		ha := all[i] * plotH / mx
		hs := sub[i] * plotH / mx
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="#bbb"><title>%s: %d</title></rect>`, x, top+plotH-ha, bw, ha, xmlText(k, 10), all[i])
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="#333"/>`+"\n", x, top+plotH-hs, bw, hs)
		if i == 0 || i == len(keys)-1 || (len(keys) > 10 && i%(len(keys)/6) == 0) {
			fmt.Fprintf(w, `<text x="%d" y="%d" transform="rotate(60 %d %d)">%s</text>`+"\n", x, top+plotH+12, x, top+plotH+12, xmlText(k, 10))
		}
	}
	io.WriteString(w, "</svg>\n")
}
