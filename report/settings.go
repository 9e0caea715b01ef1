package report

import (
	"fmt"
	"log/slog"
	"os"
)

// Settings name the files and the service a report is made with: what
// `leakhunt report` takes as flags, and what it sends to a running hunt
// that makes the report for it. Paths are read by the process that makes
// the report.
type Settings struct {
	// Config is a configuration file (see [LoadConfig]).
	Config string `json:"config,omitempty"`
	// ASNDB is a MaxMind-format ASN database; the configuration's asn_db
	// when empty.
	ASNDB string `json:"asn_db,omitempty"`
	// Templates is a directory of letter templates replacing the built-in
	// ones.
	Templates string `json:"templates,omitempty"`
	// Contacts is an abuse-contact override file; the configuration's
	// when empty.
	Contacts string `json:"contacts,omitempty"`
	// RDAPBase sends every RDAP look-up to this URL; the configuration's
	// rdap_base when empty.
	RDAPBase string `json:"rdap_base,omitempty"`
	// NoRDAP turns RDAP look-ups off.
	NoRDAP bool `json:"no_rdap,omitempty"`
}

// Open reads the settings' files into opt: the configuration, the letter
// templates, the ASN (and country) databases and the contact overrides.
// Call done when the report is made; it closes the databases. The errors
// name the setting at fault: they are the user's to fix.
func (st Settings) Open(opt *Options) (done func(), err error) {
	done = func() {}
	if st.Config != "" {
		if opt.Config, err = LoadConfig(st.Config); err != nil {
			return done, err
		}
	}
	if st.Templates != "" {
		fi, err := os.Stat(st.Templates)
		if err != nil || !fi.IsDir() {
			return done, fmt.Errorf("--templates %q is not a directory", st.Templates)
		}
		opt.Templates = os.DirFS(st.Templates)
	}
	if dbs := []string{firstSet(st.ASNDB, opt.Config.ASNDB), opt.Config.CountryDB}; dbs[0] != "" || dbs[1] != "" {
		if opt.ASN, err = OpenASNDB(dbs...); err != nil {
			return done, err
		}
		done = func() { opt.ASN.Close() }
	}
	opt.Contacts = &ContactResolver{}
	if p := firstSet(st.Contacts, opt.Config.Contacts); p != "" {
		if opt.Contacts.Overrides, err = LoadContacts(p); err != nil {
			done()
			return func() {}, err
		}
	}
	return done, nil
}

// UseRDAP makes opt's contacts looked up by RDAP (unless NoRDAP), the
// answers cached in cache. Call it after [Settings.Open].
func (st Settings) UseRDAP(opt *Options, cache RDAPCache, log *slog.Logger) {
	if st.NoRDAP {
		return
	}
	if opt.Contacts == nil {
		opt.Contacts = &ContactResolver{}
	}
	rc := DefaultRDAPConfig()
	rc.Base = firstSet(st.RDAPBase, opt.Config.RDAPBase)
	rc.Logger = log
	opt.Contacts.RDAP = NewRDAP(rc, cache)
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
