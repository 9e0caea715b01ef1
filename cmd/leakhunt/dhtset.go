package main

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/store"
)

// startDHT starts the DHT nodes the flags ask for, their ID and tables
// kept in the store. Bootstrap nodes the address policy refuses are named
// on stderr; when all of them are, that is a usage error, since the node
// could find nobody.
func startDHT(s *store.Store, h *huntFlags, log *slog.Logger) (*dht.Set, error) {
	stderr := h.stderr
	if stderr == nil {
		stderr = io.Discard
	}
	bootstrap, err := bootstrapNodes(h, stderr)
	if err != nil {
		return nil, err
	}
	set, err := dht.NewSet(dht.SetConfig{Listen: h.listen, Listen6: h.listen6, Bootstrap: bootstrap, AllowLocal: h.allowLocal,
		RateLimit: h.rate, Logger: log, State: s.KV("dht.")})
	if errors.Is(err, dht.ErrNoNode) {
		return nil, usagef("no DHT node to start: give --listen or --listen6")
	}
	return set, err
}

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
