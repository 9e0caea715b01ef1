package validation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
	"golang.org/x/mod/sumdb/note"
)

// Files of a validation report directory.
const (
	// ReportName is the report: text for a court, followed by the
	// signature lines of golang.org/x/mod/sumdb/note.
	ReportName = "VALIDATION.txt"
	// ResultsName holds the same results as JSON; the signed text names
	// its SHA-256.
	ResultsName = "validation.json"
	// KeyName is the public key that verifies the report's signature.
	KeyName = "key.pub"
)

// Meta says who ran the validation, with what, and when.
type Meta struct {
	Time     time.Time
	Software string // leakhunt version and build
	Host     string // the computer's name
	Duration time.Duration
	Signer   string // the signing key's name
}

// Results is the JSON form of a validation.
type Results struct {
	Time     time.Time       `json:"time"`
	Software string          `json:"software"`
	Pass     bool            `json:"pass"`
	Hosts    []hostJSON      `json:"hosts"`
	Torrents []TorrentResult `json:"torrents"`
	Links    []LinkResult    `json:"links"`
	Skipped  []string        `json:"skipped,omitempty"`
}

type hostJSON struct {
	Addr      string               `json:"address"`
	InfoHash  fingerprint.InfoHash `json:"infohash"`
	Torrent   string               `json:"torrent"`
	Behaviour string               `json:"behaviour"`
	Expected  string               `json:"expected"`
	Obtained  string               `json:"obtained"`
	Pass      bool                 `json:"pass"`
}

// Pass reports whether every result agrees with its known truth.
func Pass(hosts []Result, torrents []TorrentResult, links []LinkResult) bool {
	for _, h := range hosts {
		if !h.Pass() {
			return false
		}
	}
	for _, t := range torrents {
		if !t.Pass() {
			return false
		}
	}
	for _, l := range links {
		if !l.Pass() {
			return false
		}
	}
	return len(hosts) > 0
}

// levelMeaning is what each level means, as in leakhunt's documentation.
var levelMeaning = []string{
	"L1 announced: the address was listed by the DHT, a tracker or PEX (anyone can forge this).",
	"L2 connected: a BitTorrent handshake for the torrent completed at that address.",
	"L3 claims: the host's bitfield or HAVE messages claimed a piece overlapping the document.",
	"L4 served: pieces downloaded from this one host alone, each matching the torrent's SHA-1\n" +
		"   piece hash, held at least min(document size, piece length) bytes of the document, and\n" +
		"   those bytes were compared byte for byte with the catalogued copy and were equal.",
	"L5 full copy: every piece of the document was so downloaded and compared (not asked here).",
	"none: nothing was recorded for this host and torrent (it was never listed or contacted as a\n" +
		"   host of a torrent proven to carry a document).",
}

// Write writes the report directory: the signed report, the JSON results
// and the public key. signer signs; verifierKey is its public key text.
func Write(dir string, sc *Scenario, hosts []Result, torrents []TorrentResult, links []LinkResult, m Meta,
	signer note.Signer, verifierKey string) (pass bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	pass = Pass(hosts, torrents, links)
	res := Results{Time: m.Time.UTC(), Software: m.Software, Pass: pass, Torrents: torrents, Links: links, Skipped: sc.Skipped}
	for _, h := range hosts {
		res.Hosts = append(res.Hosts, hostJSON{Addr: h.Addr.String(), InfoHash: h.InfoHash, Torrent: h.Torrent,
			Behaviour: h.Behaviour, Expected: LevelName(h.Expected), Obtained: LevelName(h.Obtained), Pass: h.Pass()})
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return false, err
	}
	js = append(js, '\n')
	if err := os.WriteFile(filepath.Join(dir, ResultsName), js, 0o600); err != nil {
		return false, err
	}
	sum := sha256.Sum256(js)
	text := reportText(sc, hosts, torrents, links, m, pass, hex.EncodeToString(sum[:]))
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		return false, fmt.Errorf("sign validation report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ReportName), signed, 0o600); err != nil {
		return false, err
	}
	if err := os.WriteFile(filepath.Join(dir, KeyName), []byte(verifierKey+"\n"), 0o600); err != nil {
		return false, err
	}
	return pass, nil
}

func reportText(sc *Scenario, hosts []Result, torrents []TorrentResult, links []LinkResult, m Meta, pass bool, jsonSum string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	verdict := "PASS: every result agrees with the known truth."
	if !pass {
		verdict = "FAIL: at least one result disagrees with the known truth (marked DISAGREES below)."
	}
	writeIntro(p, m, verdict)
	writeDocuments(p, sc.Documents)
	writeTorrents(p, torrents, links)
	writeHosts(p, sc, hosts, len(torrents), len(links), verdict)
	writeScope(p, m, jsonSum)
	return b.String()
}

// printer writes one line of the validation report.
type printer func(format string, a ...any)

// writeIntro writes the heading, the purpose and the evidence levels.
func writeIntro(p printer, m Meta, verdict string) {
	p("VALIDATION OF THE LEAKHUNT METHOD")
	p("")
	p("Date and time of the test (UTC): %s", m.Time.UTC().Format("2006-01-02 15:04:05"))
	p("Software tested: %s", m.Software)
	p("Computer: %s", m.Host)
	p("Signed with the key: %s", m.Signer)
	p("Result: %s", verdict)
	p("")
	p("1. Purpose")
	p("")
	p("leakhunt records, for each network host that shares a torrent, the highest evidence level")
	p("it observed directly. This test checks the method on hosts whose behaviour is known in")
	p("advance. Every host below was started on this computer, on its loopback network")
	p("(127.0.0.1), with a behaviour fixed by construction. The unchanged leakhunt pipeline was")
	p("then run against them, as in a real case: it discovered torrents in a distributed hash")
	p("table (DHT) and on a web page, downloaded their metadata, compared them with the")
	p("catalogued documents, contacted the hosts and recorded what each did. The pipeline was")
	p("not told which host was which. For each host the report states the level the host can")
	p("prove by construction, the level leakhunt recorded, and whether they agree.")
	p("")
	p("2. Evidence levels")
	p("")
	for _, l := range levelMeaning {
		p("%s", l)
	}
	p("")
}

// writeDocuments lists the catalogued documents with their SHA-256.
func writeDocuments(p printer, documents map[string][]byte) {
	p("3. Documents")
	p("")
	p("The catalogued documents are synthetic: every name, account and address in them is")
	p("invented. SHA-256 of each:")
	names := make([]string, 0, len(documents))
	for n := range documents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := sha256.Sum256(documents[n])
		p("  %-24s %9d bytes  %x", n, len(documents[n]), s)
	}
	p("")
}

// writeTorrents lists the torrents and links with what matching concluded.
func writeTorrents(p printer, torrents []TorrentResult, links []LinkResult) {
	p("4. Torrents and what matching concluded")
	p("")
	p("A torrent is proven to carry a document only by its own metadata: the SHA-1 piece hashes")
	p("(and, for a hybrid torrent, also the BEP 52 root) compared with the catalogued copy. Only")
	p("proven torrents have their hosts contacted.")
	p("")
	for i, t := range torrents {
		p("  T%d. %s", i+1, t.Description)
		p("      infohash %s", t.InfoHash)
		p("      expected: %s; obtained: %s; hosts contacted: %s  [%s]", verdictName(t.Verdict), verdictName(t.Obtained),
			yesNo(t.Watched), agree(t.Pass()))
	}
	if len(links) > 0 {
		p("")
		p("5. Links")
		p("")
		p("A link's own content hash (sha1, ed2k, tth) proves that the link names a document; it")
		p("proves nothing about a torrent infohash written in the same link.")
		p("")
		for i, l := range links {
			ih := l.InfoHash.String()
			if ih == "" {
				ih = "none"
			}
			p("  K%d. %s", i+1, l.Link)
			p("      expected: names %s, no infohash proven; obtained: named %s, infohash proven: %s  [%s]",
				l.Document, yesNo(l.Proven), ih, agree(l.Pass()))
		}
	}
}

// writeHosts lists the hosts, expected against obtained, and sums up.
func writeHosts(p printer, sc *Scenario, hosts []Result, nTorrents, nLinks int, verdict string) {
	p("")
	p("6. Hosts")
	p("")
	for i, h := range hosts {
		p("  H%d. %s", i+1, h.Addr)
		p("      torrent:   %s", h.Torrent)
		p("      behaviour: %s", h.Behaviour)
		p("      expected %s, obtained %s  [%s]", LevelName(h.Expected), LevelName(h.Obtained), agree(h.Pass()))
	}
	p("")
	p("7. Summary")
	p("")
	nh, ok := 0, 0
	for _, h := range hosts {
		nh++
		if h.Pass() {
			ok++
		}
	}
	p("%d of %d hosts, and %d torrents and %d links, were checked; %d hosts agree.", ok, nh, nTorrents, nLinks, ok)
	p("%s", verdict)
	if len(sc.Skipped) > 0 {
		p("")
		p("Not tested on this computer:")
		for _, s := range sc.Skipped {
			p("  - %s", s)
		}
	}
}

// writeScope says what the test does not show and how to check it.
func writeScope(p printer, m Meta, jsonSum string) {
	p("")
	p("8. Scope")
	p("")
	p("This test shows how leakhunt graded these hosts, built on this computer with known")
	p("behaviours, using the implementations named above. It does not show that a host on the")
	p("Internet behaves like any of them, and it does not test the accuracy of this computer's")
	p("clock. The test took %s.", m.Duration.Round(time.Second))
	p("")
	p("Machine-readable results: %s, SHA-256 %s.", ResultsName, jsonSum)
	p("The signature below is made with the key in %s (golang.org/x/mod/sumdb/note format);", KeyName)
	p("'leakhunt verify DIR' checks it, and the SHA-256 of %s.", ResultsName)
}

func verdictName(v string) string {
	if v == "" {
		return "no match"
	}
	return v
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func agree(b bool) string {
	if b {
		return "agrees"
	}
	return "DISAGREES"
}

// Verify checks a validation report directory: the report's signature
// against the key beside it (or against key, when not empty) and the
// SHA-256 of the JSON results the report names. It returns the signer's
// name and whether the report says PASS.
func Verify(dir, key string) (signer string, pass bool, err error) {
	msg, err := os.ReadFile(filepath.Join(dir, ReportName))
	if err != nil {
		return "", false, err
	}
	if key == "" {
		k, err := os.ReadFile(filepath.Join(dir, KeyName))
		if err != nil {
			return "", false, err
		}
		key = strings.TrimSpace(string(k))
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return "", false, fmt.Errorf("public key: %w", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return "", false, fmt.Errorf("%s: signature: %w", ReportName, err)
	}
	js, err := os.ReadFile(filepath.Join(dir, ResultsName))
	if err != nil {
		return "", false, err
	}
	sum := sha256.Sum256(js)
	if !strings.Contains(n.Text, fmt.Sprintf("%s, SHA-256 %x.", ResultsName, sum)) {
		return "", false, errors.New(ResultsName + " does not have the SHA-256 the signed report names")
	}
	return v.Name(), strings.Contains(n.Text, "\nResult: PASS"), nil
}
