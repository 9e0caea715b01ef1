package evidence

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler/tracker"
	"github.com/leakhunt/leakhunt/fingerprint"
)

type sourceFunc func(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error)

func (f sourceFunc) Peers(ctx context.Context, ih fingerprint.InfoHash) ([]netip.AddrPort, error) {
	return f(ctx, ih)
}

var _ PeerSource = tracker.Source{}

func TestHarvest(t *testing.T) {
	ih := fingerprint.InfoHash{0xab}
	// An HTTP tracker on loopback that lists one peer (even to a stopped
	// announce), checked to be asked with event=stopped and port 0.
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Query().Get("event") + "/" + r.URL.Query().Get("port")
		w.Write([]byte("d8:intervali60e5:peers6:\x0a\x00\x00\x07\x1a\xe1e"))
	}))
	defer srv.Close()
	tc := tracker.New(tracker.Config{AllowPrivate: true, Timeout: 5 * time.Second})
	dht := sourceFunc(func(context.Context, fingerprint.InfoHash) ([]netip.AddrPort, error) {
		return []netip.AddrPort{
			netip.MustParseAddrPort("192.0.2.1:6881"),
			netip.MustParseAddrPort("192.0.2.1:6881"),       // duplicate
			netip.MustParseAddrPort("[::ffff:192.0.2.2]:1"), // mapped: recorded as IPv4
			netip.MustParseAddrPort("192.0.2.3:0"),          // port 0: dropped
		}, nil
	})
	failing := sourceFunc(func(context.Context, fingerprint.InfoHash) ([]netip.AddrPort, error) {
		return []netip.AddrPort{netip.MustParseAddrPort("198.51.100.1:80")}, errors.New("partial")
	})
	h := NewHarvester(HarvestConfig{Version: "test"})
	obs, err := h.Harvest(context.Background(), ih, "docsha", []HarvestSource{
		{Name: SourceDHT, PeerSource: dht},
		{Name: SourceTracker, Detail: srv.URL + "/announce", PeerSource: tc.Source(srv.URL+"/announce", 0)},
		{Name: SourceDHT, Detail: "second", PeerSource: failing},
	})
	if err == nil || !strings.Contains(err.Error(), "partial") {
		t.Error("the failing source's error is not reported")
	}
	if asked != "stopped/0" {
		t.Errorf("tracker asked with event/port %q, want stopped/0", asked)
	}
	want := []struct{ src, ip, detail string }{
		{SourceDHT, "192.0.2.1", ""},
		{SourceDHT, "192.0.2.2", ""},
		{SourceTracker, "10.0.0.7", srv.URL + "/announce"},
		{SourceDHT, "198.51.100.1", "second"},
	}
	if len(obs) != len(want) {
		t.Fatalf("%d observations, want %d: %+v", len(obs), len(want), obs)
	}
	for i, w := range want {
		o := obs[i]
		if o.Source != w.src || o.IP != w.ip || o.Detail != w.detail || o.Level != L1Announced ||
			o.InfoHash.String() != "ab00000000000000000000000000000000000000" || o.Document != "docsha" ||
			o.ClockOffset != Unsynchronized || o.Time.Location() != time.UTC || o.Version != "test" {
			t.Errorf("observation %d = %+v, want %+v", i, o, w)
		}
	}
}
