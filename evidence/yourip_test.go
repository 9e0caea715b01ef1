package evidence

import (
	"context"
	"testing"
	"time"
)

// TestProbeRecordsYourIP: the seeder's BEP 10 handshake says which
// address it saw us connect from, and the observation keeps it beside our
// local address.
func TestProbeRecordsYourIP(t *testing.T) {
	fx := newFixture(t, 16<<10, 0, 32<<10, 0)
	cl := startSeeder(t, fx)
	for _, tc := range []struct {
		name string
		v6   bool
		want string
	}{
		{"ipv4", false, "127.0.0.1"},
		{"ipv6", true, "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := NewProber(testConfig()).Probe(ctx, fx.target, seederAddr(t, cl, TransportTCP, tc.v6), TransportTCP)
			if err != nil {
				t.Fatal(err)
			}
			if o := res.Observation; o.YourIP != tc.want || o.ListenAddr == "" {
				t.Errorf("YourIP = %q, ListenAddr = %q; want %q beside our local address", o.YourIP, o.ListenAddr, tc.want)
			}
		})
	}
}
