package report

import (
	"embed"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// Templates returns the embedded letter templates, to copy and edit for
// --templates: letter.LANG.tmpl is the takedown notice and
// disclosure.LANG.tmpl the disclosure request, for en and ja.
func Templates() fs.FS {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		panic(err) // the embedded tree always has the directory
	}
	return sub
}

// maxTemplateSize bounds a user's template file.
const maxTemplateSize = 1 << 20

// templateName is the template file of a letter kind and language.
func templateName(lang, kind string) string {
	if kind == KindDisclosure {
		return "disclosure." + lang + ".tmpl"
	}
	return "letter." + lang + ".tmpl"
}

// loadTemplates parses the letter template of a kind and language from
// fsys (the embedded set when nil).
func loadTemplates(fsys fs.FS, lang, kind string) (*template.Template, error) {
	if fsys == nil {
		fsys = Templates()
	}
	name := templateName(lang, kind)
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
	// Kind is "takedown" or "disclosure".
	Kind string
	// Date is the letter's date in its language.
	Date string
	// Contractor fields; missing ones are "[… not configured]".
	ContractorName, ContractorAddress, ContractorEmail, ContractorPhone, Signatory string
	Client, CaseReference                                                          string
	// Right is the right infringed and Reason why (from the configuration).
	Right, Reason string
	// DisclosureReasons are why the subscriber's identity is needed.
	DisclosureReasons []string
	// Law names the law(s) in force on the dates of the communications
	// listed (Japanese letters; empty in English ones).
	Law   string
	ISP   LetterISP
	Hosts []LetterHost
	// MinLevel is "L4 served" (in the language).
	MinLevel string
	// Checkpoint facts.
	TreeSize int64
	RootHash string
	KeyName  string
	// KeyFingerprint is the signing key's fingerprint, to compare with the
	// one the contractor publishes.
	KeyFingerprint string
	TimeZone       string
	// ShowLocal is false when local time is UTC.
	ShowLocal bool
	LetterID  string
	HostCount int
	// Networks names the file-sharing networks of the hosts listed, as
	// the letter's text says it ("the BitTorrent file-sharing network").
	Networks string
	// RowCount counts the communications listed; ClockMarked those marked
	// for their clock; MaxClockError is the limit ("1s").
	RowCount, ClockMarked int
	MaxClockError         string
	RequireClock          bool
	// OtherSensors are the other sensors of a shared store whose records
	// are rows of this letter, each committed by its own checkpoint and key.
	OtherSensors []LetterSensor
}

// LetterSensor is another sensor whose records a letter lists.
type LetterSensor struct {
	Name string
	// KeyFingerprint is the fingerprint of the key that signed its
	// checkpoint; TreeSize how many of its records that checkpoint covers.
	KeyFingerprint string
	TreeSize       int64
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
	N    int
	IP   string
	Port int
	// FirstUTC … LastLocal are the times of the first and last
	// communication listed (not of other observations).
	FirstUTC, FirstLocal string
	LastUTC, LastLocal   string
	InfoHash             string
	TorrentName          string
	// ED2K is, for a host of the eMule network, the ed2k hash of the file
	// (empty on BitTorrent); BlockVerified the latest block verified.
	ED2K, BlockVerified      string
	Files                    []string
	DocumentName, DocumentID string
	// Level is the highest level among the communications listed.
	Level, LevelMeaning string
	// LevelNote, when set, says what the listed L4/L5 communications
	// recorded before document bytes were counted observed.
	LevelNote string
	// PiecesVerified and PiecesFailed are over all the peer's
	// observations: "1 piece (#0)", "none".
	PiecesVerified, PiecesFailed string
	// Observations counts all the peer's observations (the annex has them).
	Observations int
	// Rows are the communications at or above the letter's level, one per
	// observation, oldest first; RowCount says how many.
	Rows     iter.Seq[LetterRow]
	RowCount int
	Annex    string
	Client   string
	PeerID   string
}

// LetterRow is one communication with a host: what an ISP needs to find
// the subscriber (address, port and time) and what it proved.
type LetterRow struct {
	// N counts the host's rows from 1; Record is the log index, in the
	// log of the sensor Log names (in a shared store; empty in a bbolt
	// store, which has one log).
	N      int
	Record int64
	Log    string
	// Times to the millisecond, in UTC and in the letter's zone.
	TimeUTC   string
	TimeLocal string
	IP        string
	Port      int
	// SeenAs is our address as the peer reported seeing it (BEP 10
	// yourip), or a note that it did not; Local is our own address and
	// port for the connection.
	SeenAs    string
	Local     string
	Transport string
	InfoHash  string
	Level     string
	// Pieces verified and failed in this communication, and how many
	// bytes of the document the verified pieces held.
	Pieces   string
	Failed   string
	DocBytes string
	// ClockOK says the time's error bound is within the limit;
	// ClockBound is that bound ("" when not measured), ClockLimit the
	// limit, ClockNote the mark printed when it is not within.
	ClockOK    bool
	ClockBound string
	ClockLimit string
	ClockNote  string
	// Law names the law in force on the date (Japanese letters).
	Law string
	// Sensor names the hunter that made the observation, with its public
	// address when its operator gave one; empty in a single hunter's
	// store.
	Sensor string
}

// placeholder is "[what not configured]", and notes what is missing.
func (r *run) placeholder(s, what string) string {
	if strings.TrimSpace(s) != "" {
		return s
	}
	en, ja, _ := strings.Cut(what, "|")
	r.unconfig[en] = true
	if r.opt.Lang == "ja" {
		return "[" + ja + "：未設定]"
	}
	return "[" + en + " not configured]"
}

// letterData builds a group's template data.
func (r *run) letterData(g *group) LetterData {
	lang := r.opt.Lang
	c := r.opt.Config
	ph := r.placeholder
	d := LetterData{
		Lang: lang, Kind: r.opt.Kind, Date: letterDate(r.now.In(r.loc), lang),
		ContractorName: ph(c.Contractor.Name, "contractor name|委任先の名称"), ContractorAddress: ph(c.Contractor.Address, "contractor address|委任先の住所"),
		ContractorEmail: ph(c.Contractor.Email, "contractor email|委任先のメールアドレス"), ContractorPhone: c.Contractor.Phone,
		Signatory: ph(c.Contractor.Signatory, "signatory|署名者"), Client: ph(c.Client, "client name|依頼者名"),
		CaseReference: ph(c.CaseReference, "case reference|案件番号"), MinLevel: levelName(lang, r.opt.MinLevel),
		Right:    ph(langText(rightTexts, c.Right, lang), "infringed right (right)|侵害された権利（right）"),
		Reason:   ph(c.Reason, "reason the right is infringed (reason)|権利が侵害されたとする理由（reason）"),
		TreeSize: r.cp.Size, RootHash: r.rootHash(), KeyName: r.keys.Verifier.Name(), KeyFingerprint: r.keys.Fingerprint,
		TimeZone: r.loc.String(), LetterID: strings.TrimSuffix(strings.TrimPrefix(g.letterPath(), "letters/"), ".txt"),
		ShowLocal: r.loc != time.UTC, MaxClockError: r.opt.MaxClockError.String(), RequireClock: r.opt.RequireClock,
	}
	logs := map[int]bool{}
	for _, p := range g.peers {
		for log := range p.agg.rowLogs {
			logs[log] = true
		}
	}
	for _, log := range slices.Sorted(maps.Keys(logs)) {
		sl := r.sensors[log-1]
		fp, _ := evidence.KeyFingerprint(sl.key) // opened the checkpoint, so well formed
		d.OtherSensors = append(d.OtherSensors, LetterSensor{Name: field(sl.name), KeyFingerprint: fp, TreeSize: sl.cp.Size})
	}
	if r.opt.Kind == KindDisclosure {
		for _, k := range disclosureReasonOrder {
			if slices.Contains(c.DisclosureReasons, k) {
				d.DisclosureReasons = append(d.DisclosureReasons, langText(disclosureReasonTexts, k, lang))
			}
		}
		if len(d.DisclosureReasons) == 0 {
			d.DisclosureReasons = []string{ph("", "reasons for disclosure (disclosure_reasons)|開示を受けるべき正当理由（disclosure_reasons）")}
		}
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
	var first, last time.Time
	nets := map[string]bool{}
	for _, p := range g.peers {
		a := p.agg
		if p.rowCount == 0 || a.rowLevel < r.opt.MinLevel || a.rowLevel < 2 { // never below L2, whatever the caller did
			continue
		}
		nets[a.Net()] = true
		d.Hosts = append(d.Hosts, r.letterHost(p, lang))
		d.RowCount += p.rowCount
		d.ClockMarked += a.rowsClockOver
		if first.IsZero() || a.rowFirst.Before(first) {
			first = a.rowFirst
		}
		if a.rowLast.After(last) {
			last = a.rowLast
		}
	}
	if lang == "ja" && len(d.Hosts) > 0 {
		d.Law = lawsJA(first, last, r.opt.Kind == KindDisclosure)
	}
	d.HostCount = len(d.Hosts)
	d.Networks = networksPhrase(lang, nets)
	return d
}

// langText is table[key] in the language, or "" for an unknown key.
func langText(table map[string][2]string, key, lang string) string {
	t, ok := table[key]
	if !ok {
		return ""
	}
	if lang == "ja" {
		return t[1]
	}
	return t[0]
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

func letterDate(t time.Time, lang string) string {
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return t.Format("2 January 2006")
}

// writeLetter renders one group's letter and returns how many rows it
// lists and how many of them are marked for their clock.
func (r *run) writeLetter(t *template.Template, g *group) (rows, marked int, err error) {
	d := r.letterData(g)
	if len(d.Hosts) == 0 {
		return 0, 0, nil
	}
	w, err := r.b.create(g.letterPath())
	if err != nil {
		return 0, 0, err
	}
	defer w.abort()
	r.rowErr = nil
	if err := t.Execute(w, d); err != nil {
		return 0, 0, fmt.Errorf("letter %s: %w", g.letterPath(), err)
	}
	if r.rowErr != nil {
		return 0, 0, fmt.Errorf("letter %s: %w", g.letterPath(), r.rowErr)
	}
	return d.RowCount, d.ClockMarked, w.Close()
}

// spooledRows reads a peer's letter rows back from the rows spool.
func (r *run) spooledRows(p *peerOut) iter.Seq[LetterRow] {
	return func(yield func(LetterRow) bool) {
		br, err := r.spooledRowsReader(p)
		if err != nil {
			r.rowErr = err
			return
		}
		for range p.rowCount {
			row, err := readRow(br)
			if err != nil {
				r.rowErr = fmt.Errorf("letter rows of %s: %w", p.id(), err)
				return
			}
			if !yield(row) {
				return
			}
		}
	}
}

// letterHost is a peer as a host of a letter.
func (r *run) letterHost(p *peerOut, lang string) LetterHost {
	a := p.agg
	fu, fl := r.fmtTime(a.rowFirst)
	lu, ll := r.fmtTime(a.rowLast)
	h := LetterHost{
		N: p.n, IP: field(a.key.IP), Port: a.key.Port, FirstUTC: fu, FirstLocal: fl, LastUTC: lu, LastLocal: ll,
		InfoHash: letterField(a.key.InfoHash.String()), TorrentName: letterField(orUnknown(p.torrent, lang)),
		DocumentName: letterField(orUnknown(p.docName, lang)), DocumentID: letterField(a.Document),
		Level: levelName(lang, a.rowLevel), LevelMeaning: levelMeaningNet(lang, a.key.Network, a.rowLevel), LevelNote: legacyNote(lang, a.rowsLegacy, true),
		PiecesVerified: PieceList(lang, a.PiecesVerified, 32), PiecesFailed: PieceList(lang, a.PiecesFailed, 32), Observations: a.Observations,
		Rows: r.spooledRows(p), RowCount: p.rowCount, Annex: p.annexPath(), Client: letterField(a.Client), PeerID: letterField(a.PeerID),
	}
	for _, f := range p.files {
		h.Files = append(h.Files, letterField(f))
	}
	if a.key.Network == evidence.NetworkED2K {
		h.ED2K, h.BlockVerified = a.key.ED2K.String(), BlockText(lang, a.BlockVerified)
	}
	return h
}
