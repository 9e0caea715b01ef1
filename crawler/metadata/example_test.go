package metadata_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/leakhunt/leakhunt/crawler/metadata"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Fetch an info dictionary from peers found in the DHT (not run: it needs
// real peers). The bytes come back hash-checked and pre-checked, ready for
// fingerprint.ParseInfo.
func ExampleFetcher_Fetch() {
	f := metadata.New(metadata.DefaultConfig())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ih [20]byte // the infohash
	info, err := f.Fetch(ctx, ih, []netip.AddrPort{netip.MustParseAddrPort("192.0.2.7:6881")})
	if err != nil {
		fmt.Println(metadata.Kind(err), err)
		return
	}
	t, err := fingerprint.ParseInfo(info)
	if err == nil {
		fmt.Println(t.Name, len(t.Files))
	}
}
