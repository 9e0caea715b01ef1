package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/internal/dashboard"
	"github.com/leakhunt/leakhunt/store"
)

func runWatch(ctx context.Context, e *env, args []string) error {
	fl, c := newFlags(e, "watch", "[flags] INFOHASH|MAGNET|TORRENT|ED2K-LINK\n\nHarvests the peers of one torrent (DHT, trackers, PEX) and probes each, every\n--probe-interval, until --duration or Ctrl-C (--rounds N stops after N rounds).\nAn ed2k link (ed2k://|file|NAME|SIZE|HASH|/, with |sources,IP:PORT,...|/ for\nits sources) has its sources probed over ed2k when a catalogued document has\nits hash; a link whose hash is not catalogued is a lead and is never probed.")
	h := huntFlags{watch: true}
	h.register(fl)
	rounds := fl.Int("rounds", 0, "stop after this many rounds (0: until --duration or interrupted)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := applyConfigFile(fl, h.config); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return usagef("watch: give one infohash, magnet or .torrent file")
	}
	log := c.logger(e)
	s, err := c.open(true)
	if err != nil {
		return err
	}
	defer s.Close()
	rec, err := hunt.NewRecorder(s)
	if err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(fl.Arg(0)), "ed2k:") {
		return watchED2K(ctx, e, c, s, rec, &h, fl.Arg(0), *rounds, log)
	}

	ih, peers, err := hunt.WatchInput(rec, fl.Arg(0))
	if errors.Is(err, hunt.ErrWatchInput) {
		return usagef("watch: %v", err)
	}
	if err != nil {
		return err
	}

	p, ctx, done, err := assembleWatch(ctx, e, c, s, rec, &h, log, nil)
	if err != nil {
		return err
	}
	defer done()
	ms, err := p.Resolve(ctx, ih, peers)
	if err != nil {
		return err
	}
	proven := 0
	for _, m := range ms {
		if m.Probeable() {
			proven++
		}
	}
	if proven == 0 {
		e.warnf("%s carries no catalogued document proven by its v1 piece hashes; peers are recorded at L1 only", ih)
	}
	if err := s.Watch(store.WatchEntry{InfoHash: ih, Reason: "user"}); err != nil {
		return err
	}
	round := 0
	err = p.Watch(ctx, ih, *rounds, func(r hunt.Round) {
		round++
		fmt.Fprintf(e.stdout, "%s round %d: %d addresses harvested%s, %d probed: L1 %d, L2 %d, L3 %d, L4 %d, L5 %d\n",
			time.Now().UTC().Format(time.RFC3339), round, r.Harvested, refusedNote(r), r.Probed, r.Levels[1], r.Levels[2], r.Levels[3], r.Levels[4], r.Levels[5])
	})
	return h.ended(err)
}

// assembleWatch builds the hunt a watch runs (no predicted infohashes, no
// Kad; adjust, when not nil, changes the rest), opens the control socket
// and bounds ctx by --duration. done releases all three.
func assembleWatch(ctx context.Context, e *env, c *common, s *store.Store, rec *hunt.Recorder, h *huntFlags, log *slog.Logger,
	adjust func(*hunt.Options)) (p *hunt.Hunt, bounded context.Context, done func(), err error) {
	h.stderr = e.stderr
	opt, err := h.options(s, log)
	if err != nil {
		return nil, ctx, nil, err
	}
	opt.Predict, opt.Kad = false, false
	if adjust != nil {
		adjust(&opt)
	}
	if p, err = hunt.Assemble(s, rec, opt); err != nil {
		return nil, ctx, nil, err
	}
	stopControl, err := watchControl(ctx, e, c, s, opt.Keys)
	if err != nil {
		p.Close()
		return nil, ctx, nil, err
	}
	bounded, cancel := h.bound(ctx)
	return p, bounded, func() { cancel(); stopControl(); p.Close() }, nil
}

// watchControl answers peers, matches, report, catalog and verify through
// the control socket beside the store while a watch runs. A document
// catalogued meanwhile is stored; the watch goes on with the torrent or
// file it was given.
func watchControl(ctx context.Context, e *env, c *common, s *store.Store, keys *evidence.Keys) (stop func(), err error) {
	run, err := startDashboard(ctx, e, c, dashFlags{}, dashboard.Config{Store: s, Mode: "watch",
		Keys: func() (*evidence.Keys, error) { return keys, nil }})
	if err != nil {
		return nil, err
	}
	return func() { run.stop() }, nil
}

// refusedNote says, after a round's count of addresses, how many more the
// address policy refused.
func refusedNote(r hunt.Round) string {
	if r.Refused == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d more refused: loopback, private or reserved; --allow-local allows the first two)", r.Refused)
}
