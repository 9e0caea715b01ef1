package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/store"
)

// watchED2K is `watch ED2K-LINK`: the link's match is recorded, and when a
// catalogued document has its hash, the link's sources (and the file's
// peers seen before) are probed over ed2k every round.
func watchED2K(ctx context.Context, e *env, c *common, s *store.Store, rec *hunt.Recorder, h *huntFlags, arg string, rounds int, log *slog.Logger) error {
	link, err := fingerprint.ParseLink(arg)
	if err != nil {
		return usagef("watch: %v", err)
	}
	hash, err := fingerprint.ParseED2KHash(link.ED2K)
	if err != nil || link.Kind != fingerprint.KindED2K {
		return usagef("watch: %q is not an ed2k file link", arg)
	}
	if _, err := rec.Link(link, "user"); err != nil {
		return err
	}
	var sources []hunt.ED2KSource
	for _, a := range link.Peers {
		if ap, err := netip.ParseAddrPort(a); err == nil { // host names are not resolved
			sources = append(sources, hunt.ED2KSource{Addr: ap, Source: evidence.SourceLink, Detail: "watch"})
		}
	}
	h.dht = false // ed2k sources come from the link and earlier rounds
	p, ctx, done, err := assembleWatch(ctx, e, c, s, rec, h, log, func(opt *hunt.Options) { opt.ED2K = true })
	if err != nil {
		return err
	}
	defer done()
	round := 0
	err = p.WatchED2K(ctx, hash, sources, rounds, func(r hunt.Round) {
		round++
		fmt.Fprintf(e.stdout, "%s round %d: ed2k %s: %d sources%s, %d probed: L1 %d, L2 %d, L3 %d, L4 %d\n",
			time.Now().UTC().Format(time.RFC3339), round, hash, r.Harvested, refusedNote(r), r.Probed, r.Levels[1], r.Levels[2], r.Levels[3], r.Levels[4])
	})
	if errors.Is(err, hunt.ErrED2KLead) {
		e.warnf("ed2k hash %s: %v", hash, err)
		return errNothingFound
	}
	return h.ended(err)
}
