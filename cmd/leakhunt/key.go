package main

import (
	"context"
	"fmt"

	"github.com/leakhunt/leakhunt/report"
)

func runKey(_ context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "key", "[--json] [--contractor NAME | --config FILE] [--new-key]\n\n"+
		"Prints the fingerprint of the store's signing key: publish it, so that anyone can check your\n"+
		"bundles with 'leakhunt verify --key FINGERPRINT'. A store's first key is made here or by the\n"+
		"first command that signs; its name carries the contractor's name.")
	asJSON := fl.Bool("json", false, "print one JSON object")
	configPath := fl.String("config", "", "report configuration `file` whose contractor.name names a key made now")
	var kf keyFlags
	kf.register(fl)
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("key: unexpected argument %q", fl.Arg(0))
	}
	contractor := ""
	if *configPath != "" {
		cfg, err := report.LoadConfig(*configPath)
		if err != nil {
			return usagef("key: %v", err)
		}
		contractor = cfg.Contractor.Name
	}
	s, err := c.open(false)
	if err != nil {
		return err
	}
	defer s.Close()
	keys, err := kf.keys(s, contractor)
	if err != nil {
		return err
	}
	hist, err := s.SigningKeys()
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(struct {
			Fingerprint string `json:"fingerprint"`
			Name        string `json:"name"`
			PublicKey   string `json:"public_key"`
			History     any    `json:"history"`
		}{keys.Fingerprint, keys.Verifier.Name(), keys.VerifierKey, hist})
	}
	fmt.Fprintf(e.stdout, "fingerprint: %s\nname:        %s\npublic key:  %s\n", keys.Fingerprint, keys.Verifier.Name(), keys.VerifierKey)
	for _, k := range hist {
		fmt.Fprintf(e.stdout, "registered:  %s at record %d (%s): %s\n", k.Fingerprint, k.Record, k.Time.Format("2006-01-02 15:04:05 UTC"), k.Reason)
	}
	e.printf("publish the fingerprint; others check your bundles with: leakhunt verify --key %s DIR", keys.Fingerprint)
	return nil
}
