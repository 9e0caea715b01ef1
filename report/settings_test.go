package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/store"
)

func TestSettingsOpen(t *testing.T) {
	dir := t.TempDir()
	mmdb := filepath.Join(dir, "asn.mmdb")
	writeMMDB(t, mmdb)
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"client":"Example KK","asn_db":"`+mmdb+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	contacts := filepath.Join(dir, "contacts.txt")
	if err := os.WriteFile(contacts, []byte("AS64502\tabuse@hostile.example\tDesk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		set     Settings
		wantErr string
		check   func(t *testing.T, opt Options)
	}{
		{"nothing", Settings{}, "", func(t *testing.T, opt Options) {
			if opt.ASN != nil || opt.Contacts == nil || opt.Contacts.Overrides != nil {
				t.Errorf("options %+v", opt)
			}
		}},
		{"config names the ASN database", Settings{Config: cfg, Contacts: contacts}, "", func(t *testing.T, opt Options) {
			if opt.Config.Client != "Example KK" || opt.ASN == nil || opt.Contacts.Overrides == nil {
				t.Errorf("options %+v", opt)
			}
		}},
		{"templates not a directory", Settings{Templates: cfg}, "not a directory", nil},
		{"missing config", Settings{Config: filepath.Join(dir, "none.json")}, "none.json", nil},
		{"bad contacts", Settings{Contacts: cfg}, "contacts", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := DefaultOptions()
			done, err := tc.set.Open(&opt)
			defer done()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, opt)
		})
	}
	kv := store.KV{}
	for _, no := range []bool{false, true} {
		opt := DefaultOptions()
		Settings{NoRDAP: no}.UseRDAP(&opt, kv, nil)
		if got := opt.Contacts != nil && opt.Contacts.RDAP != nil; got == no {
			t.Errorf("NoRDAP=%v: RDAP set %v", no, got)
		}
	}
}
