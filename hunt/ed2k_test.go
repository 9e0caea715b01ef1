package hunt

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
	"github.com/leakhunt/leakhunt/internal/interop"
)

// TestWebED2KLinks: ed2k links found by a web source feed the ed2k probes.
// The sources of a link whose hash is a catalogued document's are
// recorded (L1, "link", with the page) and probed; those of a link whose
// hash is not catalogued (a lead) are never contacted.
func TestWebED2KLinks(t *testing.T) {
	s, data, _, h := catalogLeak(t, "staff_roster.tsv")
	start := func(hash [16]byte) *emulefixture.Peer {
		p, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: hash, Size: int64(len(data)), Data: bytes.NewReader(data), Name: "x.tsv"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	honest := start(h)
	leadHash := [16]byte{0x0f, 0x0f}
	leadPeer := start(leadHash)
	link := func(hash [16]byte, p *emulefixture.Peer) string {
		return fmt.Sprintf("ed2k://|file|staff_roster.tsv|%d|%x|/|sources,%s|/", len(data), hash, p.Addr())
	}
	rec, err := NewRecorder(s)
	if err != nil {
		t.Fatal(err)
	}
	pcfg := ed2k.DefaultConfig()
	pcfg.UserHash = ed2k.NewUserHash()
	prober, err := ed2k.NewProber(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.AllowLoopback, cfg.ProbeInterval, cfg.ED2K = true, time.Hour, prober
	cfg.Sources = []crawler.Source{listSource{[]crawler.Sighting{
		{Source: crawler.SourceWeb, URL: "http://index.example/a", Link: link(h, honest)},
		{Source: crawler.SourceWeb, URL: "http://index.example/b", Link: link(leadHash, leadPeer)},
	}}}
	p, err := New(s, rec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	ok := interop.Until(ctx, func() bool {
		ps, _ := s.PeersOfSubject("ed2k:" + h.String())
		return len(ps) == 1 && ps[0].Level == evidence.L4Served
	})
	cancel()
	<-done
	if !ok {
		t.Fatal("the source of the web page's ed2k link was not probed to L4")
	}
	idx, _ := s.SubjectObservations("ed2k:"+h.String(), "127.0.0.1", int(honest.Addr().Port()))
	first, _ := s.Observation(idx[0])
	if first.Source != evidence.SourceLink || first.Detail != "web:http://index.example/a" || first.Level != evidence.L1Announced {
		t.Errorf("first record %+v", first)
	}
	if n := leadPeer.Stats().Connections; n != 0 {
		t.Errorf("the source of a lead was contacted %d times", n)
	}
	if ps, _ := s.PeersOfSubject("ed2k:" + fingerprint.ED2KHash(leadHash).String()); len(ps) != 0 {
		t.Errorf("the source of a lead was recorded: %+v", ps)
	}
}

// TestED2KProberPolicy: the hunt's ed2k prober checks the address policy
// when it dials, whatever named the address, and keeps one user hash per
// store.
func TestED2KProberPolicy(t *testing.T) {
	s, data, _, h := catalogLeak(t, "staff_roster.tsv")
	p, err := emulefixture.StartPeer(emulefixture.PeerOptions{Hash: h, Size: int64(len(data)), Data: bytes.NewReader(data), Name: "x.tsv"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	target := ed2k.Target{Hash: h, Size: int64(len(data)), Doc: bytes.NewReader(data)}
	for _, tc := range []struct {
		allowLocal bool
		level      ed2k.Level
		conns      int64
	}{{false, ed2k.L1Announced, 0}, {true, ed2k.L4Served, 1}} {
		t.Run(fmt.Sprintf("allow-local=%v", tc.allowLocal), func(t *testing.T) {
			pr, err := ed2kProber(s, Options{AllowLocal: tc.allowLocal, Chase: evidence.L4Served}, nil)
			if err != nil {
				t.Fatal(err)
			}
			before := p.Stats().Connections
			res, _ := pr.Probe(context.Background(), target, p.Addr())
			if res.Level != tc.level || p.Stats().Connections-before != tc.conns {
				t.Errorf("level %v after %d connections (%s)", res.Level, p.Stats().Connections-before, res.Reason)
			}
		})
	}
	a, err := ED2KUserHash(s)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := ED2KUserHash(s); a != b || a == ([16]byte{}) {
		t.Errorf("user hashes %x then %x", a, b)
	}
}
