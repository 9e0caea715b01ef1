package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/display"
)

// writeExports writes peers.csv, evidence.json, the charts and index.html.
func (r *run) writeExports() error {
	if err := r.writeCSV(); err != nil {
		return err
	}
	if err := r.writeJSON(); err != nil {
		return err
	}
	if err := r.writeCharts(); err != nil {
		return err
	}
	return r.writeHTML()
}

func (g *group) ispName() string {
	switch {
	case len(g.orgs) > 0:
		return strings.Join(g.orgs, " / ")
	case g.contact.Name != "":
		return g.contact.Name
	case g.special != "":
		return g.special
	case len(g.asns) > 0:
		return fmt.Sprintf("AS%d", g.asns[0])
	}
	return "unknown"
}

func asnText(a uint32) string {
	if a == 0 {
		return ""
	}
	return "AS" + strconv.FormatUint(uint64(a), 10)
}

var csvHeader = []string{"peer", "ip", "port", "infohash", "torrent_name", "document", "document_name", "level",
	"first_seen", "last_seen", "observations", "communications_listed", "pieces_verified", "pieces_failed", "peer_id", "client",
	"asn", "isp", "country", "abuse_contact", "letter", "annex", "proofs", "network", "ed2k", "block_verified"}

func (r *run) writeCSV() error {
	w, err := r.b.create("peers.csv")
	if err != nil {
		return err
	}
	defer w.abort()
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, p := range r.peers {
		a := p.agg
		org := p.attr.Org
		if p.attr.Special != "" {
			org = p.attr.Special
		}
		row := []string{p.id(), a.key.IP, strconv.Itoa(a.key.Port), a.key.InfoHash.String(), p.torrent, a.Document, p.docName,
			a.Level.String(), a.FirstSeen.Format(time.RFC3339Nano), a.LastSeen.Format(time.RFC3339Nano),
			strconv.Itoa(a.Observations), strconv.Itoa(p.rowCount), PieceList("en", a.PiecesVerified, 1024), PieceList("en", a.PiecesFailed, 1024),
			a.PeerID, a.Client, asnText(p.attr.ASN), org,
			p.attr.Country, p.contact.Email, p.group.letterPath(), p.annexPath(), p.proofPath(), a.Net(), a.ED2K.String(), ""}
		if a.key.Network == evidence.NetworkED2K {
			row[3], row[len(row)-1] = "", BlockText("en", a.BlockVerified)
		}
		for i := range row {
			row[i] = display.CSV(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write peers.csv: %w", err)
	}
	return w.Close()
}

// jsonPeer is one peer in evidence.json.
type jsonPeer struct {
	Peer           string                  `json:"peer"`
	IP             string                  `json:"ip"`
	Port           int                     `json:"port"`
	Network        string                  `json:"network"`
	InfoHash       fingerprint.InfoHash    `json:"infohash"`
	ED2K           fingerprint.ED2KHash    `json:"ed2k,omitzero"`
	BlockVerified  *evidence.ByteRange     `json:"block_verified,omitempty"`
	TorrentName    string                  `json:"torrent_name"`
	Files          []string                `json:"files,omitempty"`
	Document       string                  `json:"document,omitempty"`
	DocumentName   string                  `json:"document_name,omitempty"`
	Level          evidence.Level          `json:"level"`
	FirstSeen      time.Time               `json:"first_seen"`
	LastSeen       time.Time               `json:"last_seen"`
	Observations   int                     `json:"observations"`
	LevelCounts    [evidence.NumLevels]int `json:"observations_by_level"`
	ProvingRecords []int64                 `json:"proving_records"`
	// ProvingSensorRecords are proving records of other sensors' logs,
	// by sensor (their proofs are in sensors/NAME/records.jsonl).
	ProvingSensorRecords map[string][]int64 `json:"proving_sensor_records,omitempty"`
	Communications       int                `json:"communications_listed"`
	PiecesVerified       []int              `json:"pieces_verified,omitempty"`
	PiecesFailed         []int              `json:"pieces_failed,omitempty"`
	PeerID               string             `json:"peer_id,omitempty"`
	Client               string             `json:"client,omitempty"`
	Attribution          Attribution        `json:"attribution"`
	Contact              Contact            `json:"abuse_contact"`
	Letter               string             `json:"letter"`
	Annex                string             `json:"annex"`
	Proofs               string             `json:"proofs"`
}

type jsonLetter struct {
	Letter  string   `json:"letter"`
	ISP     string   `json:"isp"`
	ASNs    []uint32 `json:"asns,omitempty"`
	Country string   `json:"country,omitempty"`
	Special string   `json:"special,omitempty"`
	Contact Contact  `json:"abuse_contact"`
	Peers   []string `json:"peers"`
}

func (r *run) writeJSON() error {
	w, err := r.b.create("evidence.json")
	if err != nil {
		return err
	}
	defer w.abort()
	put := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(display.JSON(b))
		return err
	}
	head := struct {
		Generated  time.Time `json:"generated"`
		Checkpoint struct {
			Size        int64  `json:"size"`
			RootHash    string `json:"root_hash"`
			Signer      string `json:"signer"`
			Fingerprint string `json:"key_fingerprint"`
		} `json:"checkpoint"`
		MinLevel evidence.Level `json:"min_level"`
		Letters  []jsonLetter   `json:"letters"`
	}{Generated: r.now.UTC(), MinLevel: r.opt.MinLevel, Letters: []jsonLetter{}}
	head.Checkpoint.Size, head.Checkpoint.RootHash, head.Checkpoint.Signer = r.cp.Size, r.rootHash(), r.keys.Verifier.Name()
	head.Checkpoint.Fingerprint = r.keys.Fingerprint
	for _, g := range r.groups {
		jl := jsonLetter{Letter: g.letterPath(), ISP: g.ispName(), ASNs: g.asns, Country: g.country, Special: g.special, Contact: g.contact}
		for _, p := range g.peers {
			jl.Peers = append(jl.Peers, p.id())
		}
		head.Letters = append(head.Letters, jl)
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// Stream the peers into the object: drop its closing brace.
	w.Write(display.JSON(b[:len(b)-1]))
	w.WriteString(`,"peers":[`)
	for i, p := range r.peers {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n")
		a := p.agg
		jp := jsonPeer{Peer: p.id(), IP: a.key.IP, Port: a.key.Port, Network: a.Net(), InfoHash: a.key.InfoHash, ED2K: a.key.ED2K,
			BlockVerified: a.BlockVerified, TorrentName: p.torrent,
			Files: p.files, Document: a.Document, DocumentName: p.docName, Level: a.Level, FirstSeen: a.FirstSeen,
			LastSeen: a.LastSeen, Observations: a.Observations, LevelCounts: a.levelCount, ProvingRecords: []int64{},
			Communications: p.rowCount, PiecesVerified: a.PiecesVerified, PiecesFailed: a.PiecesFailed, PeerID: a.PeerID, Client: a.Client, Attribution: p.attr, Contact: p.contact,
			Letter: p.group.letterPath(), Annex: p.annexPath(), Proofs: p.proofPath()}
		for _, ref := range a.proving {
			if ref.log == ownLog {
				jp.ProvingRecords = append(jp.ProvingRecords, ref.n)
				continue
			}
			if jp.ProvingSensorRecords == nil {
				jp.ProvingSensorRecords = map[string][]int64{}
			}
			name := r.sensors[ref.log-1].name
			jp.ProvingSensorRecords[name] = append(jp.ProvingSensorRecords[name], ref.n)
		}
		if err := put(jp); err != nil {
			return err
		}
	}
	w.WriteString("\n]}\n")
	return w.Close()
}

var htmlTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<title>leakhunt report {{.Case}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}td.n{text-align:right}.w{max-width:28em;overflow-wrap:anywhere}</style>
</head><body>
<h1>leakhunt report</h1>
<p>Case: {{.Case}}. Client: {{.Client}}. Generated {{.Generated}}.</p>
<p>Signed checkpoint: {{.TreeSize}} log records, root hash <code>{{.RootHash}}</code>, signer {{.Signer}}, key fingerprint <code>{{.Fingerprint}}</code>.
Peers named: {{len .Peers}} at {{.MinLevel}} or above, in {{len .Letters}} letter(s). Every file is listed with its SHA-256 in MANIFEST; check the bundle with <code>leakhunt verify</code>.</p>
<h2>Hosts per ISP</h2>
<img src="charts/hosts-per-isp.svg" alt="bar chart of hosts per ISP">
<h2>Observations over time</h2>
<img src="charts/observations.svg" alt="bar chart of observations per day">
<h2>Letters</h2>
<table><tr><th>letter</th><th>ISP</th><th>AS</th><th>country</th><th>abuse contact</th><th>hosts</th></tr>
{{range .Letters}}<tr><td><a href="{{.Path}}">{{.Path}}</a></td><td class="w">{{.ISP}}</td><td>{{.ASNs}}</td><td>{{.Country}}</td><td>{{.Contact}}</td><td class="n">{{.Hosts}}</td></tr>
{{end}}</table>
<h2>Peers</h2>
<table><tr><th>peer</th><th>address</th><th>level</th><th>torrent</th><th>document</th><th>first seen (UTC)</th><th>last seen (UTC)</th><th>obs.</th><th>client</th><th>ISP</th></tr>
{{range .Peers}}<tr><td><a href="{{.Annex}}">{{.ID}}</a></td><td>{{.Addr}}</td><td>{{.Level}}</td><td class="w">{{.Torrent}}<br><code>{{.InfoHash}}</code></td><td class="w">{{.Document}}</td><td>{{.First}}</td><td>{{.Last}}</td><td class="n">{{.Obs}}</td><td class="w">{{.Client}}</td><td class="w">{{.ISP}}</td></tr>
{{end}}</table>
</body></html>
`))

type htmlLetter struct {
	Path, ISP, ASNs, Country, Contact string
	Hosts                             int
}

type htmlPeer struct {
	ID, Annex, Addr, Level, Torrent, InfoHash, Document, First, Last, Client, ISP string
	Obs                                                                           int
}

func (r *run) writeHTML() error {
	d := struct {
		Lang, Case, Client, Generated, RootHash, Signer, Fingerprint, MinLevel string
		TreeSize                                                               int64
		Letters                                                                []htmlLetter
		Peers                                                                  []htmlPeer
	}{Lang: r.opt.Lang, Case: field(r.opt.Config.CaseReference), Client: field(r.opt.Config.Client),
		Generated: r.now.UTC().Format(time.RFC3339), RootHash: r.rootHash(), Signer: field(r.keys.Verifier.Name()), Fingerprint: r.keys.Fingerprint,
		MinLevel: levelName("en", r.opt.MinLevel), TreeSize: r.cp.Size}
	for _, g := range r.groups {
		var asns []string
		for _, a := range g.asns {
			asns = append(asns, asnText(a))
		}
		ct := g.contact.Email
		if ct == "" {
			ct = "unknown"
		}
		d.Letters = append(d.Letters, htmlLetter{Path: g.letterPath(), ISP: field(g.ispName()), ASNs: strings.Join(asns, " "),
			Country: field(g.country), Contact: field(ct), Hosts: len(g.peers)})
	}
	for _, p := range r.peers {
		a := p.agg
		d.Peers = append(d.Peers, htmlPeer{ID: p.id(), Annex: p.annexPath(), Addr: field(a.key.IP) + " port " + strconv.Itoa(a.key.Port),
			Level: levelName("en", a.Level), Torrent: field(p.torrent), InfoHash: field(subjectText(a.key)), Document: field(p.docName),
			First: a.FirstSeen.Format("2006-01-02 15:04:05"), Last: a.LastSeen.Format("2006-01-02 15:04:05"), Obs: a.Observations,
			Client: field(a.Client), ISP: field(p.group.ispName())})
	}
	w, err := r.b.create("index.html")
	if err != nil {
		return err
	}
	defer w.abort()
	bw := bufio.NewWriter(w)
	if err := htmlTmpl.Execute(bw, d); err != nil {
		return fmt.Errorf("write index.html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return w.Close()
}
