package dashboard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// allLevels are the levels a filter offers.
var allLevels = []evidence.Level{0, 1, 2, 3, 4, 5}

func (s *Server) pagePeers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("min_level") {
		q.Set("min_level", "L2") // as `leakhunt peers`
	}
	b := struct {
		F          PeerFilter
		Levels     []evidence.Level
		Docs       []store.Document
		Page       PeerPage
		Rows       string
		Prev, Next string
		Err        string
	}{Levels: allLevels}
	status := http.StatusOK
	f, err := ParsePeerFilter(q, maxPageRows)
	if err != nil {
		b.Err, status = err.Error(), http.StatusBadRequest
		f, _ = ParsePeerFilter(nil, maxPageRows)
		f.MinLevel = evidence.L2Connected
	}
	b.F = f
	if b.Docs, err = s.cfg.Store.Documents(); err != nil {
		s.fail(w, err)
		return
	}
	sn, err := s.peers.current(refreshEvery)
	if err != nil {
		s.fail(w, err)
		return
	}
	b.Page = sn.page(f)
	v := f.Values()
	b.Rows = "/peers/rows?" + withOffset(v, f.Offset)
	if f.Offset > 0 {
		b.Prev = "/peers?" + withOffset(v, max(0, f.Offset-f.Limit))
	}
	if f.Offset+len(b.Page.Peers) < b.Page.Total {
		b.Next = "/peers?" + withOffset(v, f.Offset+len(b.Page.Peers))
	}
	s.render(w, status, "peers", "Peers", "/peers", b)
}

// withOffset is the filter's query with an offset.
func withOffset(v url.Values, off int) string {
	q := maps.Clone(v)
	if off > 0 {
		q.Set("offset", strconv.Itoa(off))
	}
	return q.Encode()
}

// letterName is the name of a letter in a bundle.
var letterName = regexp.MustCompile(`^letters/isp-[0-9]{3,6}\.txt$`)

// peerRows renders the rows of a peers page alone, for the script that
// keeps the table current (the total in X-Total).
func (s *Server) peerRows(w http.ResponseWriter, r *http.Request) {
	f, err := ParsePeerFilter(r.URL.Query(), maxPageRows)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sn, err := s.peers.current(refreshEvery)
	if err != nil {
		s.fail(w, err)
		return
	}
	page := sn.page(f)
	w.Header().Set("X-Total", strconv.Itoa(page.Total))
	s.fragment(w, "peers", "peerrows", page.Peers)
}

func (s *Server) pagePeer(w http.ResponseWriter, r *http.Request) {
	t, status, err := s.timeline(r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	s.render(w, http.StatusOK, "peer", "Peer "+t.Peer.IP+" port "+strconv.Itoa(t.Peer.Port), "/peers", t)
}

// bundleLetter is a letter as evidence.json lists it.
type bundleLetter struct {
	Letter  string         `json:"letter"`
	ISP     string         `json:"isp"`
	ASNs    []uint32       `json:"asns"`
	Country string         `json:"country"`
	Special string         `json:"special"`
	Contact report.Contact `json:"abuse_contact"`
	Peers   []string       `json:"peers"`
}

// bundleHead is the part of evidence.json the ISP page shows.
type bundleHead struct {
	Checkpoint struct {
		Size int64 `json:"size"`
	} `json:"checkpoint"`
	MinLevel evidence.Level `json:"min_level"`
	Letters  []bundleLetter `json:"letters"`
}

// Bounds of what the ISP page reads from a bundle.
const (
	maxEvidenceJSON = 512 << 20
	maxLetter       = 1 << 20
)

func readBundleHead(dir string) (*bundleHead, error) {
	f, err := os.Open(filepath.Join(dir, "evidence.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h bundleHead
	if err := json.NewDecoder(io.LimitReader(f, maxEvidenceJSON)).Decode(&h); err != nil {
		return nil, fmt.Errorf("evidence.json: %w", err)
	}
	return &h, nil
}

// network is the hosts of one network at L2 or above.
type network struct {
	ISP     string
	ASN     uint32
	Country string
	Hosts   int
	ByLevel []int // L2..L5
}

func networks(sn *peerSnapshot) []network {
	type key struct {
		isp string
		asn uint32
	}
	by := map[key]*network{}
	hosts := map[key]map[string]bool{}
	for _, r := range sn.rows {
		if r.Level < evidence.L2Connected {
			continue
		}
		k := key{r.ISP, r.ASN}
		n := by[k]
		if n == nil {
			n = &network{ISP: r.ISP, ASN: r.ASN, Country: r.Country, ByLevel: make([]int, 4)}
			by[k], hosts[k] = n, map[string]bool{}
		}
		if !hosts[k][r.IP] {
			hosts[k][r.IP] = true
			n.Hosts++
		}
		n.ByLevel[r.Level-evidence.L2Connected]++
	}
	out := make([]network, 0, len(by))
	for _, n := range by {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b network) int { return cmp.Or(cmp.Compare(b.Hosts, a.Hosts), cmp.Compare(a.ISP, b.ISP)) })
	return out
}

func (s *Server) pageISPs(w http.ResponseWriter, r *http.Request) {
	b := struct {
		Report, Lang, Text, TextName string
		MinLevel                     evidence.Level
		TreeSize                     int64
		Letters                      []bundleLetter
		Shown                        int
		Levels                       []evidence.Level
		Networks                     []network
	}{Levels: allLevels[2:], Shown: -1}
	job, dir, ok := s.latestBundle()
	if id := r.URL.Query().Get("report"); id != "" {
		if dir, ok = s.bundleDir(id); ok {
			job, _ = s.job(id)
		}
	}
	if ok {
		h, err := readBundleHead(dir)
		if err == nil {
			b.Report, b.Lang, b.MinLevel, b.TreeSize, b.Letters = job.ID, job.Req.Lang, h.MinLevel, h.Checkpoint.Size, h.Letters
			b.Shown, _ = strconv.Atoi(r.URL.Query().Get("letter"))
			if b.Shown >= 0 && b.Shown < len(h.Letters) {
				b.TextName = h.Letters[b.Shown].Letter
				b.Text, err = readLetter(dir, b.TextName)
			}
		}
		if err != nil {
			s.log.Warn("read report bundle", "dir", dir, "err", err)
		}
	}
	sn, err := s.peers.current(refreshEvery)
	if err != nil {
		s.fail(w, err)
		return
	}
	b.Networks = networks(sn)
	s.render(w, http.StatusOK, "isps", "ISPs", "/isps", b)
}

// readLetter reads a letter of a bundle, by the name evidence.json gives
// (letters/isp-NNN.txt, nothing else).
func readLetter(dir, name string) (string, error) {
	if !letterName.MatchString(name) {
		return "", errors.New("not a letter of the bundle: " + report.Text(name))
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLetter))
	return string(b), err
}
