package dht

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
)

func TestPeerStore(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newPeerStore(2, 2)
	s.now = func() time.Time { return now }
	ih1, ih2, ih3 := [20]byte{1}, [20]byte{2}, [20]byte{3}
	na := func(ip string, port int) krpc.NodeAddr { return krpc.NodeAddr{IP: net.ParseIP(ip), Port: port} }

	s.AddPeer(ih1, na("127.0.0.1", 6881))
	s.AddPeer(ih1, na("127.0.0.1", 6881)) // duplicate
	s.AddPeer(ih1, na("::ffff:10.0.0.2", 51413))
	s.AddPeer(ih1, na("10.0.0.3", 1)) // over the per-infohash bound
	s.AddPeer(ih1, na("10.0.0.4", 0)) // bad port
	s.AddPeer(ih2, na("10.0.0.5", 2))
	s.AddPeer(ih3, na("10.0.0.6", 3)) // over the infohash bound

	tests := []struct {
		ih   [20]byte
		want map[string]bool
	}{
		{ih1, map[string]bool{"127.0.0.1:6881": true, "10.0.0.2:51413": true}},
		{ih2, map[string]bool{"10.0.0.5:2": true}},
		{ih3, map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%x", tt.ih[:1]), func(t *testing.T) {
			got := s.GetPeers(tt.ih)
			if len(got) != len(tt.want) {
				t.Errorf("%x: got %v, want %v", tt.ih[:1], got, tt.want)
				return
			}
			for _, p := range got {
				if !tt.want[p.String()] {
					t.Errorf("%x: unexpected peer %v", tt.ih[:1], p)
				}
			}
		})
	}
	// After the TTL, peers expire and make room.
	now = now.Add(peerTTL + time.Second)
	if got := s.GetPeers(ih1); len(got) != 0 {
		t.Errorf("expired peers returned: %v", got)
	}
	s.AddPeer(ih3, na("10.0.0.6", 3))
	if got := s.GetPeers(ih3); len(got) != 1 {
		t.Errorf("no room made for a new infohash after expiry: %v", got)
	}
}
