package hunt_test

import (
	"context"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/hunt"
	"github.com/leakhunt/leakhunt/store"
)

// Wire a pipeline over a store whose catalog is filled (not run: the
// sources, fetcher and prober come from crawler/dht, crawler/metadata and
// evidence, as cmd/leakhunt wires them).
func ExampleNew() {
	s, err := store.Open("leakhunt.db", nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	rec, err := hunt.NewRecorder(s) // the catalog index, with stored proofs
	if err != nil {
		panic(err)
	}
	cfg := hunt.DefaultConfig()
	cfg.Sources = []crawler.Source{ /* DHT node, web crawler, Torznab */ }
	p, err := hunt.New(s, rec, cfg)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	p.Run(ctx) // until ctx ends; writes are finished and a checkpoint signed
}
