package kad_test

import (
	"context"
	"fmt"
	"os"

	"github.com/leakhunt/leakhunt/crawler/kad"
)

// Join Kad from a nodes.dat and the table saved last time, find the
// sources of a file by its ed2k hash and the files published under a
// keyword, and save the table (not run: it needs the internet).
func ExampleNew() {
	cfg := kad.DefaultConfig()
	cfg.ListenAddr = "0.0.0.0:4672"
	if b, err := os.ReadFile("nodes.dat"); err == nil {
		cfg.Contacts, _ = kad.ParseNodesDat(b)
	}
	cfg.RoutingTable, _ = os.ReadFile("kad-table.dat")
	c, err := kad.New(cfg)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Bootstrap(ctx); err != nil {
		panic(err)
	}
	hash, _ := kad.ParseID("3619cf2a6ded2b9f2827ca11e32d81ec")
	sources, _ := c.SearchSources(ctx, hash, 346590)
	for _, s := range sources {
		fmt.Println("source", s.Addr(), "firewalled:", s.Firewalled())
	}
	hits, _ := c.SearchKeyword(ctx, "tuition fees 2026")
	for _, h := range hits {
		fmt.Println(h.Link())
	}
	os.WriteFile("kad-table.dat", c.RoutingTable(), 0o600)
}

func ExampleWords() {
	words := kad.Words("Tuition_Fees-2026 (final).csv")
	fmt.Println(words, kad.KeywordID(words[0]))
	// Output: [tuition fees 2026 final csv] fce4abc2444aec91b7ef091b22ba19b2
}
