package ed2k_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

// One amuled serves every test of this binary: aMule takes a while to
// start, and it punishes a client that asks for uploads too often (more
// than three times in about ten minutes), so the tests below ask for two.
var (
	amuleOnce  sync.Once
	amule      *emulefixture.AMule
	amuleSkip  string
	amuleFiles = map[string]string{
		"tuition_fees_2026.csv": "../../testdata/leaks/tuition_fees_2026.csv",
		// An archive name makes aMule send plain (uncompressed) parts.
		"staff_roster.zip":     "../../testdata/leaks/staff_roster.tsv",
		"member_db_export.sql": "../../testdata/leaks/member_db_export.sql",
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if amule != nil {
		amule.Stop()
		os.RemoveAll(amule.Opts.Dir)
	}
	os.Exit(code)
}

// needAMule starts the shared amuled on first use, or skips the test with
// the reason it cannot run.
func needAMule(t *testing.T) {
	t.Helper()
	amuleOnce.Do(func() {
		if err := emulefixture.AMuleAvailable(); err != nil {
			amuleSkip = err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "leakhunt-amule-")
		if err != nil {
			amuleSkip = err.Error()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		amule, err = emulefixture.StartAMule(ctx, emulefixture.AMuleOptions{
			Dir: dir, Address: netip.MustParseAddr("127.0.0.1"), Share: amuleFiles, Debug: true,
		})
		if err != nil {
			os.RemoveAll(dir)
			amuleSkip = fmt.Sprintf("amuled did not start: %v", err)
		}
	})
	if amule == nil {
		t.Skipf("no aMule: %s", amuleSkip)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("amuled log:\n%s", amule.Log())
		}
	})
}

func amuleDoc(t *testing.T, name string) doc {
	t.Helper()
	b, err := os.ReadFile(amuleFiles[name])
	if err != nil {
		t.Fatal(err)
	}
	return loadDoc(t, name, b)
}

var update = flag.Bool("update", false, "rewrite testdata/amule-2.3.3 from a real aMule session")

// sessionFile holds the packets aMule 2.3.3 sent in a served probe, file
// data excluded, recorded by TestAMule with -update and checked without
// aMule by TestAMuleSession.
const sessionFile = "testdata/amule-2.3.3/session.bin"

// saveSession writes the verbatim packets received in res to sessionFile.
func saveSession(t *testing.T, res ed2k.Result) {
	var b []byte
	for _, r := range res.Transcript {
		if r.Dir == ed2k.DirRead && r.Kind == ed2k.KindPacket {
			b = append(b, r.Bytes...)
		}
	}
	if err := os.MkdirAll(filepath.Dir(sessionFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sessionFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func realConfig() ed2k.Config {
	cfg := ed2k.DefaultConfig()
	cfg.UserHash = userHash
	// aMule grants upload slots from its own timer loop, which falls far
	// behind on a loaded machine (a -race run of every package at once).
	cfg.Timeout = 60 * time.Second
	cfg.UploadTimeout = 50 * time.Second
	// Wider than the default: aMule notices a disconnect in its own timer
	// loop, late on a loaded machine, and a reconnect it sees as too soon
	// goes unanswered.
	cfg.PeerSpacing = 5 * time.Second
	return cfg
}

// TestAMule probes a real aMule 2.3.3, in order: a claims-only probe (no
// upload request), the two files it sends compressed and plain (an archive
// name) to L4, and a file it does not share. One Prober spaces its probes
// of the daemon (aMule mishandles a client that reconnects within about two
// seconds, and opens one upload slot per second at most); the claims-only
// Prober is a second one, so the test waits after it.
func TestAMule(t *testing.T) {
	needAMule(t)
	cfg := realConfig()
	cfg.MaxLevel = ed2k.L3Claims
	claims, err := ed2k.NewProber(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prober, err := ed2k.NewProber(realConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("claims", func(t *testing.T) {
		d := amuleDoc(t, "member_db_export.sql")
		res, err := claims.Probe(context.Background(), d.target(), amule.ED2KAddr())
		if err != nil || res.Level != ed2k.L3Claims || !res.Complete || len(res.PartsClaimed) != 1 || res.Requested != (ed2k.Range{}) {
			t.Fatalf("claims: %v %+v", err, summary(res))
		}
		// Another Prober follows: keep the spacing aMule needs between
		// connections of one client (see Config.PeerSpacing); aMule gives
		// no sign to wait on.
		time.Sleep(cfg.PeerSpacing)
	})
	retried := false
	for _, c := range []struct {
		name       string
		compressed bool
	}{{"tuition_fees_2026.csv", true}, {"staff_roster.zip", false}} {
		t.Run("served "+c.name, func(t *testing.T) {
			d := amuleDoc(t, c.name)
			res, err := prober.Probe(context.Background(), d.target(), amule.ED2KAddr())
			if err != nil && aMuleLate(res) && !retried {
				// One more probe (after the Prober's spacing and as much
				// again): at most one more upload request, within aMule's
				// budget of three in ten minutes (see above).
				t.Logf("aMule stopped answering (%v); probing once more", err)
				retried = true
				time.Sleep(realConfig().PeerSpacing)
				res, err = prober.Probe(context.Background(), d.target(), amule.ED2KAddr())
			}
			if err != nil {
				t.Fatalf("%v (reason %q)", err, res.Reason)
			}
			t.Logf("%v in %v, %d packets, client %s %s", res.Level, res.Duration.Round(time.Millisecond), len(res.Transcript), res.Client.Software, res.Client.Version)
			want := ed2k.Range{Start: 0, End: min(int64(len(d.data)), ed2k.BlockSize)}
			if res.Level != ed2k.L4Served || res.Verified != want || res.Compressed != c.compressed || res.FileName != c.name || !res.Complete {
				t.Errorf("%+v", summary(res))
			}
			if res.Client.Software != "aMule" || res.Client.Version != "2.3.3" || res.Client.UserHash == ([16]byte{}) {
				t.Errorf("client %+v", res.Client)
			}
			checkTranscript(t, res, bytes.NewReader(d.data))
			if *update && c.compressed {
				saveSession(t, res)
			}
		})
	}
	t.Run("no file", func(t *testing.T) {
		d := amuleDoc(t, "member_db_export.sql")
		target := d.target()
		target.Hash[0] ^= 0xFF
		res, err := prober.Probe(context.Background(), target, amule.ED2KAddr())
		if err != nil && aMuleLate(res) {
			// As above; a file aMule does not share asks for no upload.
			t.Logf("aMule stopped answering (%v); probing once more", err)
			time.Sleep(realConfig().PeerSpacing)
			res, err = prober.Probe(context.Background(), target, amule.ED2KAddr())
		}
		if !errors.Is(err, ed2k.ErrNoFile) || res.Level != ed2k.L1Announced || res.Client.Software != "aMule" {
			t.Fatalf("no file: %v %+v", err, summary(res))
		}
	})
}

// aMuleLate tells whether a probe ended because aMule stopped answering
// after the hello (the file status or the upload slot never came, or the
// upload request was dropped): what aMule does when its timer loop falls
// far behind, as it does on a machine loaded by a -race run of every
// package, and what it does to a client it still believes connected.
func aMuleLate(res ed2k.Result) bool {
	switch res.Reason {
	case "timeout waiting for the file status", "timeout waiting for an upload slot", "read failed waiting for an upload slot":
		return true
	}
	return false
}
