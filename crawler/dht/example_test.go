package dht_test

import (
	"context"
	"fmt"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/crawler/dht"
)

// A crawling node on the live network: BEP 51 sampling plus listening,
// from the public bootstrap routers (not run: it needs the internet).
func ExampleNew() {
	cfg := dht.DefaultConfig()
	cfg.ListenAddr = "0.0.0.0:6881"
	n, err := dht.New(cfg)
	if err != nil {
		panic(err)
	}
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.Discover(ctx, func(s crawler.Sighting) {
		fmt.Println(s.Source, s.InfoHash)
	})
}
