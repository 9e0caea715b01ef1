package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Several sensors on one PostgreSQL database.

func TestSensorsKeepTheirOwnLogs(t *testing.T) {
	u := newPGDatabase(t)
	a, b := openPGTemp(t, u, "tokyo-1"), openPGTemp(t, u, "osaka-2")
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		wg.Go(func() {
			for i := 0; i < 20; i++ {
				if _, err := s.AppendObservations([]evidence.Observation{obs(i), obs(i + 1)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, s := range []*Store{a, b} {
		n, err := s.LogSize()
		if err != nil || n != 40 {
			t.Fatalf("%s: LogSize = %d, %v", s.Sensor().Name, n, err)
		}
		if _, err := tlog.TreeHash(n, s); err != nil {
			t.Fatalf("%s: tree: %v", s.Sensor().Name, err)
		}
	}
	// One set of summaries folds both sensors' observations.
	peers, err := a.Peers(0)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range peers {
		total += p.Observations
	}
	if total != 80 {
		t.Fatalf("summaries count %d observations, want 80", total)
	}
	sensors, err := a.Sensors()
	if err != nil || len(sensors) != 2 || sensors[0].Name != "osaka-2" || sensors[1].LogSize != 40 {
		t.Fatalf("Sensors = %+v, %v", sensors, err)
	}
	view, err := a.ForSensor("osaka-2")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.Leaf(7)
	if got, err := view.Leaf(7); err != nil || string(got) != string(want) {
		t.Fatalf("view Leaf = %q, %v", got, err)
	}
	if o, err := view.Observation(7); err != nil || o.Sensor != "osaka-2" {
		t.Fatalf("another sensor's record names sensor %q (%v), want osaka-2", o.Sensor, err)
	}
	if o, err := a.Observation(7); err != nil || o.Sensor != "tokyo-1" {
		t.Fatalf("own record names sensor %q (%v), want tokyo-1", o.Sensor, err)
	}
	if _, err := view.AppendObservations([]evidence.Observation{obs(0)}); !errors.Is(err, ErrOtherSensor) {
		t.Fatalf("append through another sensor's view: %v", err)
	}
	if _, err := a.ForSensor("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ForSensor(nobody): %v", err)
	}
}

func TestClaimsAndLeases(t *testing.T) {
	u := newPGDatabase(t)
	a, b := openPGTemp(t, u, "a"), openPGTemp(t, u, "b")
	claim := func(s *Store, ttl time.Duration) func(fingerprint.InfoHash) (bool, error) {
		return func(ih fingerprint.InfoHash) (bool, error) { return s.ClaimFetch(ih, ttl) }
	}
	lease := func(s *Store, ttl time.Duration) func(fingerprint.InfoHash) (bool, error) {
		return func(ih fingerprint.InfoHash) (bool, error) { return s.LeaseWatch(ih, ttl) }
	}
	watch := func(ih fingerprint.InfoHash) error { return a.Watch(WatchEntry{InfoHash: ih, Reason: "match"}) }
	cases := []struct {
		name         string
		setup        func(ih fingerprint.InfoHash) error
		byA, byB     func(ih fingerprint.InfoHash) (bool, error)
		between      func(ih fingerprint.InfoHash) error
		wantA, wantB bool
	}{
		{"fetch claimed by one", nil, claim(a, time.Hour), claim(b, time.Hour), nil, true, false},
		{"a dead sensor's claim is taken over", nil, claim(a, -time.Second), claim(b, time.Hour), nil, true, true},
		{"a released claim is free", nil, claim(a, time.Hour), claim(b, time.Hour), a.ReleaseFetch, true, true},
		{"a seen infohash is not claimed", func(ih fingerprint.InfoHash) error {
			_, err := a.MarkSeen([]fingerprint.InfoHash{ih})
			return err
		}, claim(a, time.Hour), claim(b, time.Hour), nil, false, false},
		{"watch round leased to one", watch, lease(a, time.Hour), lease(b, time.Hour), nil, true, false},
		{"an expired watch lease is taken over", watch, lease(a, -time.Second), lease(b, time.Hour), nil, true, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ih := fingerprint.InfoHash{byte(i + 1), 0x77}
			if c.setup != nil {
				if err := c.setup(ih); err != nil {
					t.Fatal(err)
				}
			}
			ga, err := c.byA(ih)
			if err != nil {
				t.Fatal(err)
			}
			if c.between != nil {
				if err := c.between(ih); err != nil {
					t.Fatal(err)
				}
			}
			gb, err := c.byB(ih)
			if err != nil {
				t.Fatal(err)
			}
			if ga != c.wantA || gb != c.wantB {
				t.Fatalf("granted a=%v b=%v, want a=%v b=%v", ga, gb, c.wantA, c.wantB)
			}
		})
	}
}

// TestClaimRace has sensors race for the same infohashes: each is granted
// to exactly one.
func TestClaimRace(t *testing.T) {
	u := newPGDatabase(t)
	const sensors, hashes = 3, 50
	var mu sync.Mutex
	granted := map[fingerprint.InfoHash]int{}
	var wg sync.WaitGroup
	for i := 0; i < sensors; i++ {
		s := openPGTemp(t, u, fmt.Sprintf("racer-%d", i))
		wg.Go(func() {
			for h := 0; h < hashes; h++ {
				ih := fingerprint.InfoHash{byte(h), 0x99}
				ok, err := s.ClaimFetch(ih, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					granted[ih]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(granted) != hashes {
		t.Fatalf("%d of %d infohashes granted", len(granted), hashes)
	}
	for ih, n := range granted {
		if n != 1 {
			t.Errorf("%s granted to %d sensors", ih, n)
		}
	}
}

func TestOpenPGRefusals(t *testing.T) {
	u := newPGDatabase(t)
	cases := []struct {
		name string
		url  string
		opt  Options
		want error
	}{
		{"no sensor name", u, Options{}, nil},
		{"bad sensor name", u, Options{Sensor: "-x"}, nil},
		{"unknown sensor, read-only", u, Options{Sensor: "ghost", ReadOnly: true}, ErrNoStore},
		{"nothing listening", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", Options{Sensor: "s"}, ErrUnreachable},
		{"no such database", strings.Replace(u, "/leakhunt_test_", "/missing_", 1), Options{Sensor: "s"}, ErrUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.KeyPath, c.opt.CacheDir = t.TempDir()+"/k", t.TempDir()
			s, err := Open(c.url, &c.opt)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}
