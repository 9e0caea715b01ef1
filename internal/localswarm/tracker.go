package localswarm

import (
	"encoding/binary"
	"net"
	"net/http"
	"net/netip"
	"sync"

	"github.com/anacrolix/torrent/bencode"
)

// Tracker is a minimal HTTP BitTorrent tracker on 127.0.0.1 whose peer
// lists are set by the test: it answers every announce (whatever its
// event) for a known infohash with those peers, compact. Safe for
// concurrent use.
type Tracker struct {
	srv *http.Server
	ln  net.Listener

	mu    sync.Mutex
	peers map[[20]byte][]netip.AddrPort
}

// StartTracker starts a tracker on 127.0.0.1.
func StartTracker() (*Tracker, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &Tracker{ln: ln, peers: map[[20]byte][]netip.AddrPort{}}
	t.srv = &http.Server{Handler: http.HandlerFunc(t.announce)}
	go t.srv.Serve(ln)
	return t, nil
}

// URL is the announce URL.
func (t *Tracker) URL() string { return "http://" + t.ln.Addr().String() + "/announce" }

// Add lists peers for ih.
func (t *Tracker) Add(ih [20]byte, peers ...netip.AddrPort) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.peers[ih] = append(t.peers[ih], peers...)
}

// Close stops the tracker.
func (t *Tracker) Close() { t.srv.Close() }

func (t *Tracker) announce(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ih [20]byte
	if len(q.Get("info_hash")) != 20 {
		bencode.NewEncoder(w).Encode(map[string]string{"failure reason": "bad info_hash"})
		return
	}
	copy(ih[:], q.Get("info_hash"))
	t.mu.Lock()
	peers := t.peers[ih]
	t.mu.Unlock()
	var v4, v6 []byte
	for _, p := range peers {
		a := p.Addr().Unmap()
		if a.Is4() {
			b := a.As4()
			v4 = binary.BigEndian.AppendUint16(append(v4, b[:]...), p.Port())
		} else {
			b := a.As16()
			v6 = binary.BigEndian.AppendUint16(append(v6, b[:]...), p.Port())
		}
	}
	resp := map[string]any{"interval": 1800, "peers": string(v4)}
	if len(v6) > 0 {
		resp["peers6"] = string(v6)
	}
	bencode.NewEncoder(w).Encode(resp)
}
