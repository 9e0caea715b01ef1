package report

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// Templates returns the embedded letter templates (letter.en.tmpl,
// letter.ja.tmpl), to copy and edit for --templates.
func Templates() fs.FS {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		panic(err) // the embedded tree always has the directory
	}
	return sub
}

// maxTemplateSize bounds a user's template file.
const maxTemplateSize = 1 << 20

// loadTemplates parses letter.<lang>.tmpl from fsys (the embedded set
// when nil).
func loadTemplates(fsys fs.FS, lang string) (*template.Template, error) {
	if fsys == nil {
		fsys = Templates()
	}
	name := "letter." + lang + ".tmpl"
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("letter template %s: %w", name, err)
	}
	if len(b) > maxTemplateSize {
		return nil, fmt.Errorf("letter template %s: larger than %d bytes", name, maxTemplateSize)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("letter template: %w", err)
	}
	return t, nil
}

// LetterData is what a letter template sees. Every string is ready to
// print: network-supplied text has control and bidirectional characters
// escaped, is length-capped, and has address-like runs defanged.
type LetterData struct {
	Lang string
	// Date is the letter's date in its language.
	Date string
	// Contractor fields; missing ones are "[… not configured]".
	ContractorName, ContractorAddress, ContractorEmail, ContractorPhone, Signatory string
	Client, CaseReference                                                          string
	ISP                                                                            LetterISP
	Hosts                                                                          []LetterHost
	// MinLevel is "L4 served" (in the language).
	MinLevel string
	// Checkpoint facts.
	TreeSize int64
	RootHash string
	KeyName  string
	TimeZone string
	// ShowLocal is false when local time is UTC.
	ShowLocal bool
	LetterID  string
	HostCount int
}

// LetterISP is the addressee.
type LetterISP struct {
	// Name is the AS organisation(s) or the contact's name.
	Name string
	// ASNs is "AS64500, AS64501" or empty.
	ASNs    string
	Country string
	// Email is the abuse contact, or a marked placeholder.
	Email        string
	ContactKnown bool
	// ContactSource is "override", "rdap rdap.example.net" or empty.
	ContactSource string
	// Special is set for private/loopback or reserved addresses.
	Special string
}

// LetterHost is one host in a letter.
type LetterHost struct {
	N                        int
	IP                       string
	Port                     int
	FirstUTC, FirstLocal     string
	LastUTC, LastLocal       string
	InfoHash                 string
	TorrentName              string
	Files                    []string
	DocumentName, DocumentID string
	Level, LevelMeaning      string
	PiecesVerified           string
	Observations             int
	// Proof lists the log indexes at the host's highest level.
	Proof  string
	Annex  string
	Client string
	PeerID string
}

func orPlaceholder(s, what, lang string) string {
	if strings.TrimSpace(s) != "" {
		return s
	}
	if lang == "ja" {
		return "[" + what + "：未設定]"
	}
	return "[" + what + " not configured]"
}

// letterData builds a group's template data.
func (r *run) letterData(g *group) LetterData {
	lang := r.opt.Lang
	c := r.opt.Config
	names := map[string][2]string{
		"name": {"contractor name", "委任先の名称"}, "address": {"contractor address", "委任先の住所"},
		"email": {"contractor email", "委任先のメールアドレス"}, "client": {"client name", "依頼者名"},
		"case": {"case reference", "案件番号"}, "sign": {"signatory", "署名者"},
	}
	ph := func(v, k string) string {
		w := names[k][0]
		if lang == "ja" {
			w = names[k][1]
		}
		return orPlaceholder(v, w, lang)
	}
	d := LetterData{
		Lang: lang, Date: letterDate(r.now.In(r.loc), lang),
		ContractorName: ph(c.Contractor.Name, "name"), ContractorAddress: ph(c.Contractor.Address, "address"),
		ContractorEmail: ph(c.Contractor.Email, "email"), ContractorPhone: c.Contractor.Phone,
		Signatory: ph(c.Contractor.Signatory, "sign"), Client: ph(c.Client, "client"),
		CaseReference: ph(c.CaseReference, "case"), MinLevel: levelName(lang, r.opt.MinLevel),
		TreeSize: r.cp.Size, RootHash: r.rootHash(), KeyName: r.keys.Verifier.Name(),
		TimeZone: r.loc.String(), LetterID: strings.TrimSuffix(strings.TrimPrefix(g.letterPath(), "letters/"), ".txt"),
		HostCount: len(g.peers), ShowLocal: r.loc != time.UTC,
	}
	isp := LetterISP{Country: letterField(g.country), Special: g.special, ContactSource: g.contact.Source}
	var asns []string
	for _, a := range g.asns {
		asns = append(asns, "AS"+strconv.FormatUint(uint64(a), 10))
	}
	isp.ASNs = strings.Join(asns, ", ")
	var orgs []string
	for _, o := range g.orgs {
		orgs = append(orgs, letterField(o))
	}
	isp.Name = strings.Join(orgs, " / ")

	if isp.Name == "" && g.contact.Name != "" {
		isp.Name = letterField(g.contact.Name)
	}
	switch {
	case isp.Name != "":
	case g.special != "":
		isp.Name = g.special
	case lang == "ja":
		isp.Name = "[ネットワーク事業者不明]"
	default:
		isp.Name = "[network operator unknown]"
	}
	if g.contact.Email != "" {
		isp.Email, isp.ContactKnown = letterField(g.contact.Email), true
	} else if lang == "ja" {
		isp.Email = "[不正利用窓口不明]"
	} else {
		isp.Email = "[abuse contact unknown]"
	}
	d.ISP = isp
	for _, p := range g.peers {
		a := p.agg
		if a.level < r.opt.MinLevel || a.level < 2 { // never below L2, whatever the caller did
			continue
		}
		fu, fl := r.fmtTime(a.first)
		lu, ll := r.fmtTime(a.last)
		h := LetterHost{
			N: p.n, IP: field(a.key.IP), Port: a.key.Port, FirstUTC: fu, FirstLocal: fl, LastUTC: lu, LastLocal: ll,
			InfoHash: letterField(a.key.InfoHash), TorrentName: letterField(orUnknown(p.torrent, lang)),
			DocumentName: letterField(orUnknown(p.docName, lang)), DocumentID: letterField(a.document),
			Level: levelName(lang, a.level), LevelMeaning: levelMeaning(lang, a.level),
			PiecesVerified: intList(a.verified, 32), Observations: a.count,
			Proof: proofList(a), Annex: p.annexPath(), Client: letterField(a.client), PeerID: letterField(a.peerID),
		}
		if lang == "ja" && len(a.verified) == 0 {
			h.PiecesVerified = "なし"
		}
		for _, f := range p.files {
			h.Files = append(h.Files, letterField(f))
		}
		d.Hosts = append(d.Hosts, h)
	}
	d.HostCount = len(d.Hosts)
	return d
}

func orUnknown(s, lang string) string {
	if s != "" {
		return s
	}
	if lang == "ja" {
		return "（不明）"
	}
	return "(unknown)"
}

func proofList(a *peerAgg) string {
	parts := make([]string, len(a.proving))
	for i, n := range a.proving {
		parts[i] = "#" + strconv.FormatInt(n, 10)
	}
	s := strings.Join(parts, ", ")
	if a.provingN > len(a.proving) {
		s += fmt.Sprintf(" (+%d)", a.provingN-len(a.proving))
	}
	return s
}

func letterDate(t time.Time, lang string) string {
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return t.Format("2 January 2006")
}

// writeLetter renders one group's letter.
func (r *run) writeLetter(t *template.Template, g *group) error {
	d := r.letterData(g)
	if len(d.Hosts) == 0 {
		return nil
	}
	w, err := r.b.create(g.letterPath())
	if err != nil {
		return err
	}
	defer w.abort()
	if err := t.Execute(w, d); err != nil {
		return fmt.Errorf("letter %s: %w", g.letterPath(), err)
	}
	return w.Close()
}
