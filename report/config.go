package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/internal/version"
)

// Identity is who sends the letters and for whom. Nothing of it is built
// in: empty fields print as a clearly marked placeholder.
type Identity struct {
	// Name, Address, Email and Phone identify the contractor sending the letters.
	Name    string `json:"name"`
	Address string `json:"address"`
	Email   string `json:"email"`
	Phone   string `json:"phone,omitempty"`
	// Signatory is the person who signs the letters.
	Signatory string `json:"signatory,omitempty"`
}

// FileConfig is the JSON configuration file given with --config. Every key
// is listed, with its meaning, by [ConfigKeys].
type FileConfig struct {
	Contractor Identity `json:"contractor"`
	// Client is the rights holder the contractor acts for.
	Client string `json:"client"`
	// CaseReference is quoted in every letter.
	CaseReference string `json:"case_reference"`
	// Right is the right the distribution infringes: "privacy",
	// "trade_secret" or "copyright".
	Right string `json:"right,omitempty"`
	// Reason says why the right is infringed (the standard forms'
	// 権利が侵害されたとする理由), in the letters' language.
	Reason string `json:"reason,omitempty"`
	// DisclosureReasons are why the client needs the subscriber's identity
	// (開示を受けるべき正当理由): "damages", "apology", "injunction",
	// "removal".
	DisclosureReasons []string `json:"disclosure_reasons,omitempty"`
	// ASNDB and CountryDB are MaxMind-format database paths.
	ASNDB     string `json:"asn_db,omitempty"`
	CountryDB string `json:"country_db,omitempty"`
	// Contacts is an abuse-contact override file (see [ParseContacts]).
	Contacts string `json:"contacts,omitempty"`
	// RDAPBase overrides RDAP bootstrap: every look-up goes to this server.
	RDAPBase string `json:"rdap_base,omitempty"`
	// TimeZone is the IANA zone of local times in letters; empty means
	// Asia/Tokyo for Japanese and UTC for English.
	TimeZone string `json:"timezone,omitempty"`
}

// maxConfigSize bounds the configuration file.
const maxConfigSize = 1 << 20

// LoadConfig reads a configuration file. Unknown fields are an error, so
// a misspelt key is not silently ignored.
func LoadConfig(path string) (FileConfig, error) {
	var c FileConfig
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("config %q: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return c, fmt.Errorf("config %q: %w", path, err)
	}
	if len(b) > maxConfigSize {
		return c, fmt.Errorf("config %q: larger than %d bytes", path, maxConfigSize)
	}
	if c, err = ParseConfig(b); err != nil {
		return c, fmt.Errorf("config %q: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration file's bytes.
func ParseConfig(b []byte) (FileConfig, error) {
	var c FileConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return FileConfig{}, fmt.Errorf("not a valid configuration (JSON with contractor, client, case_reference; see 'leakhunt report -h'): %w", err)
	}
	if _, ok := rightTexts[c.Right]; c.Right != "" && !ok {
		return FileConfig{}, fmt.Errorf("right %q: want privacy, trade_secret or copyright", c.Right)
	}
	for _, r := range c.DisclosureReasons {
		if _, ok := disclosureReasonTexts[r]; !ok {
			return FileConfig{}, fmt.Errorf("disclosure_reasons: %q: want damages, apology, injunction or removal", r)
		}
	}
	return c, nil
}

// ConfigKey documents one key of the configuration file.
type ConfigKey struct {
	Key, Meaning string
}

// ConfigKeys lists every key of the configuration file ([FileConfig]) with
// what it does, for 'leakhunt report -h' and the README.
func ConfigKeys() []ConfigKey {
	return []ConfigKey{
		{"contractor.name", "who sends the letters (also names the signing key when report makes it)"},
		{"contractor.address", "the sender's postal address"},
		{"contractor.email", "where ISPs reply"},
		{"contractor.phone", "optional telephone number"},
		{"contractor.signatory", "the person who signs the letters"},
		{"client", "the rights holder the contractor acts for"},
		{"case_reference", "quoted in every letter"},
		{"right", "the right infringed: privacy, trade_secret or copyright"},
		{"reason", "why that right is infringed (権利が侵害されたとする理由), in the letters' language"},
		{"disclosure_reasons", "for --kind disclosure, why the identity is needed: any of damages, apology, injunction, removal"},
		{"asn_db", "MaxMind-format ASN database (as --asn-db)"},
		{"country_db", "MaxMind-format country database"},
		{"contacts", "abuse-contact override file (as --contacts)"},
		{"rdap_base", "send every RDAP look-up to this URL (as --rdap-base)"},
		{"timezone", "IANA zone of local times in letters; default Asia/Tokyo for ja, UTC for en"},
	}
}

// Options configure [Generate]. Start from [DefaultOptions].
type Options struct {
	// OutDir is the bundle directory; it must not exist or be empty.
	OutDir string
	// Lang is "en" or "ja".
	Lang string
	// MinLevel is the lowest evidence level a peer needs to be named;
	// anything below [store.L2Connected] is refused.
	MinLevel evidence.Level
	// Config carries identity, client and case reference.
	Config FileConfig
	// Templates replaces the embedded letter templates when not nil; it
	// must hold letter.en.tmpl and/or letter.ja.tmpl.
	Templates fs.FS
	// ASN attributes addresses; nil labels only special-purpose ones.
	ASN *ASNDB
	// Contacts finds abuse contacts; nil means every contact is unknown
	// unless the address is special-purpose.
	Contacts *ContactResolver
	// Zip also writes OutDir + ".zip".
	Zip bool
	// Now is the letters' date; nil means time.Now.
	Now func() time.Time
	// OnProgress, if set, is called as the evidence log is read, with the
	// records read and the total (the report's longest phase).
	OnProgress func(done, total int64)
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// Version is written in the method description.
	Version string
	// Kind is the letter: "takedown" (a notice asking the ISP to stop the
	// distribution) or "disclosure" (a request for the subscriber's
	// identity).
	Kind string
	// MaxClockError is the largest error bound a communication's time may
	// have (see store.ClockMeasurement.ErrorBound); letters mark the rows
	// beyond it, or with no measurement.
	MaxClockError time.Duration
	// RequireClock leaves those rows out of letters altogether (and the
	// hosts left without a row).
	RequireClock bool
	// createFile, when set, creates the bundle's files instead of the
	// file system (tests use it to fill the disk).
	createFile func(name string) (io.WriteCloser, error)
}

// Letter kinds.
const (
	KindTakedown   = "takedown"
	KindDisclosure = "disclosure"
)

// DefaultOptions are English takedown letters at L4, with a 1 s limit on
// the clock error.
func DefaultOptions() Options {
	return Options{Lang: "en", MinLevel: 4, Kind: KindTakedown, MaxClockError: time.Second, Version: version.String()}
}
