package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/report"
)

// Charts are SVG drawn on the server by html/template (every text
// escaped) and shown as images: an image runs no script.

var chartTmpl = template.Must(template.New("chart").Parse(`<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" font-family="IPAGothic, 'Noto Sans CJK JP', sans-serif" font-size="12">
<rect width="{{.W}}" height="{{.H}}" fill="#fff"/>
<text x="10" y="18" font-size="14">{{.Title}}</text>
<line x1="{{.X0}}" y1="{{.Y1}}" x2="{{.X1}}" y2="{{.Y1}}" stroke="#444"/>
<line x1="{{.X0}}" y1="{{.Y0}}" x2="{{.X0}}" y2="{{.Y1}}" stroke="#444"/>
<text x="{{.LabelX}}" y="{{.Y0}}" text-anchor="end">{{.Max}}</text>
<text x="{{.LabelX}}" y="{{.Y1}}" text-anchor="end">0</text>
<text x="{{.X0}}" y="{{.TimeY}}">{{.From}}</text>
<text x="{{.X1}}" y="{{.TimeY}}" text-anchor="end">{{.To}}</text>
{{range .Series}}<polyline fill="none" stroke="{{.Color}}" stroke-width="2" points="{{.Points}}"/>
{{end}}{{range $i, $s := .Series}}<rect x="{{$s.LegendX}}" y="{{$.LegendY}}" width="10" height="10" fill="{{$s.Color}}"/><text x="{{$s.TextX}}" y="{{$.LegendTextY}}">{{$s.Name}}</text>
{{end}}{{if .Empty}}<text x="{{.X0}}" y="60">{{.Empty}}</text>{{end}}
</svg>
`))

type series struct {
	Name, Color    string
	Points         string
	LegendX, TextX int
	values         []float64
}

type chartData struct {
	Title                string
	W, H, X0, X1, Y0, Y1 int
	LabelX, TimeY        int
	LegendY, LegendTextY int
	Max                  string
	From, To             string
	Series               []series
	Empty                string
	from, to             time.Time
	times                []time.Time
	maxValue             float64
	yFormat              func(float64) string
}

var levelColors = [evidence.NumLevels]string{"#999999", "#8c8c8c", "#3b6fb6", "#e08a00", "#c0392b", "#6d1a12"}

// layout computes the points of every series.
func (c *chartData) layout() {
	c.W, c.H, c.X0, c.Y0 = 720, 300, 70, 36
	c.X1, c.Y1 = c.W-20, c.H-60
	c.LabelX, c.TimeY, c.LegendY, c.LegendTextY = c.X0-6, c.Y1+16, c.H-24, c.H-15
	for _, s := range c.Series {
		for _, v := range s.values {
			c.maxValue = max(c.maxValue, v)
		}
	}
	if c.yFormat == nil {
		c.yFormat = func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	}
	c.Max = c.yFormat(c.maxValue)
	c.From, c.To = c.from.UTC().Format("2006-01-02 15:04"), c.to.UTC().Format("2006-01-02 15:04 UTC")
	span := c.to.Sub(c.from).Seconds()
	x := c.X0
	for i := range c.Series {
		s := &c.Series[i]
		var b strings.Builder
		for j, v := range s.values {
			px := float64(c.X0)
			if span > 0 {
				px += c.times[j].Sub(c.from).Seconds() / span * float64(c.X1-c.X0)
			}
			py := float64(c.Y1)
			if c.maxValue > 0 {
				py -= v / c.maxValue * float64(c.Y1-c.Y0)
			}
			fmt.Fprintf(&b, "%.1f,%.1f ", px, py)
		}
		s.Points = strings.TrimSpace(b.String())
		s.LegendX, s.TextX = x, x+14
		x += 14 + 8*len(s.Name) + 16
	}
	if len(c.times) < 2 {
		c.Empty = "not enough data yet"
	}
}

// levelsChart: peers by highest level, counted cumulatively from when
// each was first seen.
func levelsChart(sn *peerSnapshot, now time.Time) *chartData {
	c := &chartData{Title: "Peers by highest level, counted from when each was first seen", to: now}
	var firsts [evidence.NumLevels][]time.Time
	for _, r := range sn.rows {
		if r.Level.Valid() && !r.FirstSeen.IsZero() {
			firsts[r.Level] = append(firsts[r.Level], r.FirstSeen)
			if c.from.IsZero() || r.FirstSeen.Before(c.from) {
				c.from = r.FirstSeen
			}
		}
	}
	if c.from.IsZero() || !c.from.Before(now) {
		c.from = now.Add(-time.Hour)
	}
	const buckets = 60
	for i := 0; i <= buckets; i++ {
		c.times = append(c.times, c.from.Add(time.Duration(float64(now.Sub(c.from))*float64(i)/buckets)))
	}
	for l := evidence.L1Announced; l <= evidence.L5FullCopy; l++ {
		ts := firsts[l]
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		s := series{Name: report.LevelName("en", l), Color: levelColors[l]}
		k := 0
		for _, t := range c.times {
			for k < len(ts) && !ts[k].After(t) {
				k++
			}
			s.values = append(s.values, float64(k))
		}
		c.Series = append(c.Series, s)
	}
	c.layout()
	return c
}

// ratesChart: the hunt's rates between samples.
func ratesChart(samples []sample, now time.Time) *chartData {
	c := &chartData{Title: "Per second: sightings, metadata fetches, probes, observations", to: now,
		yFormat: func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "/s" }}
	c.Series = []series{{Name: "sightings", Color: "#3b6fb6"}, {Name: "fetches", Color: "#2e8b57"},
		{Name: "probes", Color: "#e08a00"}, {Name: "observations", Color: "#c0392b"}}
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		d := b.at.Sub(a.at).Seconds()
		if d <= 0 {
			continue
		}
		c.times = append(c.times, b.at)
		for j, v := range []int64{b.sightings - a.sightings, b.fetches - a.fetches, b.probes - a.probes, b.observations - a.observations} {
			c.Series[j].values = append(c.Series[j].values, max(0, float64(v)/d))
		}
	}
	c.from = now.Add(-time.Minute)
	if len(c.times) > 0 {
		c.from = c.times[0]
	}
	c.layout()
	return c
}

// chartCache keeps each chart for a few seconds.
type chartCache struct {
	mu sync.Mutex
	at map[string]time.Time
	b  map[string][]byte
}

const chartTTL = 5 * time.Second

func (s *Server) chart(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name != "levels.svg" && name != "rates.svg" {
		http.NotFound(w, r)
		return
	}
	s.charts.mu.Lock()
	defer s.charts.mu.Unlock()
	b, ok := s.charts.b[name]
	if !ok || time.Since(s.charts.at[name]) > chartTTL {
		var c *chartData
		now := time.Now()
		if name == "levels.svg" {
			sn, err := s.peers.current(refreshEvery)
			if err != nil {
				s.fail(w, err)
				return
			}
			c = levelsChart(sn, now)
		} else {
			c = ratesChart(s.hist.all(), now)
		}
		var buf bytes.Buffer
		if err := chartTmpl.Execute(&buf, c); err != nil {
			s.fail(w, err)
			return
		}
		b = buf.Bytes()
		if s.charts.b == nil {
			s.charts.b, s.charts.at = map[string][]byte{}, map[string]time.Time{}
		}
		s.charts.b[name], s.charts.at[name] = b, time.Now()
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(b)
}
