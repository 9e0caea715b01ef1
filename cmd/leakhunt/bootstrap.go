package main

import (
	"errors"
	"io"
	"net/netip"
	"strings"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
)

// bootstrapNodes returns the DHT bootstrap nodes to use (nil: the
// package's public routers). With --allow-local and no --bootstrap it is
// none: a local swarm must not reach the public DHT. Nodes given by
// address that the policy refuses are left out and named on stderr.
func bootstrapNodes(h *huntFlags, stderr io.Writer) ([]string, error) {
	if len(h.bootstrap) == 0 {
		if h.allowLocal {
			say(stderr, "--allow-local without --bootstrap: no public DHT router is contacted; the DHT node knows only the nodes saved from earlier runs")
			return []string{}, nil
		}
		return nil, nil
	}
	pol := netpolicy.Policy{}
	if h.allowLocal {
		pol = netpolicy.Local()
	}
	var kept, refused []string
	for _, b := range h.bootstrap {
		ap, err := netip.ParseAddrPort(b)
		if err != nil { // a host name: checked when resolved and dialled
			kept = append(kept, b)
			continue
		}
		if err := pol.CheckAddrPort(ap); err != nil {
			refused = append(refused, b)
			var ae *netpolicy.AddressError
			why := err.Error()
			if errors.As(err, &ae) {
				why = ae.Reason + " address"
			}
			hint := ""
			if !h.allowLocal && (ae == nil || ae.Reason == netpolicy.Loopback || ae.Reason == netpolicy.Private) {
				hint = " (--allow-local allows loopback and private addresses)"
			}
			say(stderr, "--bootstrap %s refused: %s%s", b, why, hint)
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) == 0 {
		return nil, usagef("every --bootstrap node was refused (%s): the DHT node would find nobody", strings.Join(refused, ", "))
	}
	return kept, nil
}
