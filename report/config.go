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

// FileConfig is the JSON configuration file given with --config.
type FileConfig struct {
	Contractor Identity `json:"contractor"`
	// Client is the rights holder the contractor acts for.
	Client string `json:"client"`
	// CaseReference is quoted in every letter.
	CaseReference string `json:"case_reference"`
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
		return FileConfig{}, fmt.Errorf("not a valid configuration (JSON with contractor, client, case_reference): %w", err)
	}
	return c, nil
}

// Options configure [Generate]. Start from [DefaultOptions].
type Options struct {
	// OutDir is the bundle directory; it must not exist or be empty.
	OutDir string
	// Lang is "en" or "ja".
	Lang string
	// MinLevel is the lowest evidence level a peer needs to be named;
	// anything below [store.L2Connected] is refused.
	MinLevel int
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
}

// DefaultOptions are English letters at L4.
func DefaultOptions() Options {
	return Options{Lang: "en", MinLevel: 4}
}
