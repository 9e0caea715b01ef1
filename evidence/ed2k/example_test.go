package ed2k_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"

	"github.com/leakhunt/leakhunt/evidence/ed2k"
)

// Probe one source of a catalogued document (not run: it needs a peer).
// The user hash is generated once and kept.
func ExampleProber_Probe() {
	cfg := ed2k.DefaultConfig()
	cfg.UserHash = ed2k.NewUserHash() // in real use: load the one saved with the store
	prober, err := ed2k.NewProber(cfg)
	if err != nil {
		panic(err)
	}
	f, err := os.Open("tuition_fees_2026.csv")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	hash := [16]byte{0x36, 0x19, 0xcf, 0x2a, 0x6d, 0xed, 0x2b, 0x9f, 0x28, 0x27, 0xca, 0x11, 0xe3, 0x2d, 0x81, 0xec}
	res, err := prober.Probe(context.Background(), ed2k.Target{Hash: hash, Size: 346590, Doc: f}, netip.MustParseAddrPort("203.0.113.7:4662"))
	fmt.Println(res.Level, res.Reason, res.Client.Software, res.Client.Version, res.Verified, res.TranscriptSHA256, err)
}
