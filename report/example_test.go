package report_test

import (
	"context"
	"fmt"
	"log"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/report"
	"github.com/leakhunt/leakhunt/store"
)

// Generate a Japanese report at L4 for a store, then check the bundle the
// way its recipient would.
func Example() {
	s, err := store.Open("leakhunt.db", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	keys, err := evidence.LoadOrCreateKeys("leakhunt.db", "leakhunt")
	if err != nil {
		log.Fatal(err)
	}
	asn, err := report.OpenASNDB("GeoLite2-ASN.mmdb")
	if err != nil {
		log.Fatal(err)
	}
	defer asn.Close()
	opt := report.DefaultOptions()
	opt.OutDir, opt.Lang, opt.ASN = "report-2026-03", "ja", asn
	opt.Contacts = &report.ContactResolver{RDAP: report.NewRDAP(report.DefaultRDAPConfig(), s.KV("rdap:"))}
	sum, err := report.Generate(context.Background(), s, keys, opt)
	if err != nil {
		log.Fatal(err)
	}
	problems, err := report.VerifyBundle(sum.Dir, report.VerifyOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range problems {
		fmt.Println("FAIL", p)
	}
}
