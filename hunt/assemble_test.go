package hunt

import (
	"errors"
	"testing"

	"github.com/leakhunt/leakhunt/crawler/dht"
	"github.com/leakhunt/leakhunt/evidence"
)

func TestAssemble(t *testing.T) {
	s, rec, _, _ := fixture(t)
	local := func(f func(*Options)) Options {
		opt := DefaultOptions()
		opt.Listen, opt.Bootstrap, opt.AllowLocal = "127.0.0.1:0", []string{}, true
		f(&opt)
		return opt
	}
	for _, tt := range []struct {
		name    string
		opt     Options
		err     error
		dht     bool
		sources int
		prober  bool
	}{
		{"dht and prediction", local(func(*Options) {}), nil, true, 2, true},
		{"dht, no prediction", local(func(o *Options) { o.Predict = false }), nil, true, 1, true},
		{"web only, listings only", local(func(o *Options) { o.DHT, o.Probe, o.Web = false, false, []string{"http://127.0.0.1:1/"} }), nil, false, 1, false},
		{"web and torznab", local(func(o *Options) {
			o.DHT, o.Web, o.Torznab = false, []string{"http://127.0.0.1:1/"}, "http://127.0.0.1:1/api"
		}), nil, false, 2, true},
		{"chase below L2", local(func(o *Options) { o.Chase = evidence.L1Announced }), ErrChase, false, 0, false},
		{"no listen address", local(func(o *Options) { o.Listen = "" }), dht.ErrNoNode, false, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Assemble(s, rec, tt.opt)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Assemble: %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			defer h.Close()
			if (h.DHT != nil) != tt.dht || len(h.cfg.Sources) != tt.sources || (h.cfg.Prober != nil) != tt.prober {
				t.Errorf("DHT %v, %d sources, prober %v; want %v, %d, %v", h.DHT != nil, len(h.cfg.Sources), h.cfg.Prober != nil, tt.dht, tt.sources, tt.prober)
			}
			if tt.dht && h.cfg.Peers == nil {
				t.Error("the DHT nodes do not find peers for the pipeline")
			}
			if n := len(h.Status(0)); n != 3+btoi(tt.dht) {
				t.Errorf("%d status lines", n)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
