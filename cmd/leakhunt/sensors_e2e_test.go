package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
	"github.com/leakhunt/leakhunt/internal/localswarm"
	"github.com/leakhunt/leakhunt/internal/pgtest"
	"github.com/leakhunt/leakhunt/store"
)

// TestThreeSensorsOneDatabase runs three `leakhunt hunt` processes as
// sensors of one PostgreSQL store on a local swarm seeding three leaked
// documents. One sensor is killed with SIGKILL and the server restarted
// mid-hunt. The survivors find every leak, no infohash's metadata is
// fetched twice, every seeder is graded L4 as a single hunter grades it,
// every sensor's log verifies, and a report verifies.
func TestThreeSensorsOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds leakhunt and runs three hunters on a local swarm (about a minute)")
	}
	u, restart := pgtest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "leakhunt")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Samples every 2 s: a fetch the killed sensor claimed is taken over
	// at the first sighting after its claim ran out.
	sw, err := localswarm.Start(ctx, localswarm.Config{Nodes: 12, Interval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	var leaks []fingerprint.InfoHash
	var paths []string
	for _, name := range []string{"staff_roster.tsv", "incident_memo.txt", "tuition_fees_2026.csv"} {
		p := filepath.Join(leaksDir(t), name)
		doc, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeder, err := sw.AddSeeder(ctx, localswarm.SeederConfig{Name: name, PieceLength: 16 << 10,
			Files: []localswarm.File{{Data: doc}}, AnnounceDHT: sw.BootstrapAddrs()})
		if err != nil {
			t.Fatal(err)
		}
		defer seeder.Close()
		leaks, paths = append(leaks, fingerprint.InfoHash(seeder.InfoHash)), append(paths, p)
	}
	sensorArgs := func(name string) []string {
		return []string{"--db", u, "--sensor", name, "--sensor-key", filepath.Join(dir, name)}
	}
	if _, stderr, code := cli(t, append(append([]string{"catalog", "add"}, sensorArgs("s0")...), paths...)...); code != 0 {
		t.Fatalf("catalog add: exit %d: %s", code, stderr)
	}
	hunters := make([]*exec.Cmd, 3)
	logs := make([]string, 3)
	for i := range hunters {
		name := fmt.Sprintf("s%d", i)
		args := append([]string{"hunt"}, sensorArgs(name)...)
		args = append(args, "--bootstrap", strings.Join(sw.BootstrapAddrs(), ","), "--listen", "127.0.0.1:0",
			"--allow-local", "--predict=false", "--probe-interval", "2s", "--fetches", "8", "--fetch-claim", "10s", "-v", "-q")
		logs[i] = filepath.Join(dir, name+".log")
		f, err := os.Create(logs[i])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		hunters[i] = exec.CommandContext(ctx, bin, args...)
		hunters[i].Stdout, hunters[i].Stderr = f, f
		if err := hunters[i].Start(); err != nil {
			t.Fatal(err)
		}
		defer hunters[i].Process.Kill()
	}
	began := time.Now()
	dir0 := t.TempDir()
	watcher, err := store.Open(u, &store.Options{ReadOnly: true, CacheDir: dir0})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	matched := func() int {
		n := 0
		for _, ih := range leaks {
			if ms, err := watcher.MatchesFor(ih); err == nil && len(ms) > 0 {
				n++
			}
		}
		return n
	}
	// Kill one sensor and restart the server once every sensor recorded
	// (its key) and the first leak matched.
	if !interop.Within(90*time.Second, func() bool {
		sensors, err := watcher.Sensors()
		if err != nil || len(sensors) != len(hunters) {
			return false
		}
		for _, sn := range sensors {
			if sn.LogSize == 0 {
				return false
			}
		}
		return matched() > 0
	}) {
		t.Fatalf("not every sensor recording and a leak matched in 90 s; logs in %s", dir)
	}
	t.Logf("first match after %s: killing s2, restarting the server", time.Since(began).Round(time.Millisecond))
	hunters[2].Process.Signal(syscall.SIGKILL)
	hunters[2].Wait()
	restart()
	allL4 := func() bool {
		for _, ih := range leaks {
			peers, err := watcher.PeersOf(ih)
			l4 := false
			for _, p := range peers {
				l4 = l4 || (err == nil && p.Level >= evidence.L4Served)
			}
			if !l4 {
				return false
			}
		}
		return matched() == len(leaks)
	}
	if !interop.Within(150*time.Second, allL4) {
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s (last 3000 bytes):\n%s", l, b[max(0, len(b)-3000):])
		}
		t.Fatalf("after the kill and the restart: %d of %d leaks matched, not every seeder at L4", matched(), len(leaks))
	}
	t.Logf("every leak matched and every seeder at L4 after %s", time.Since(began).Round(time.Millisecond))
	for _, h := range hunters[:2] {
		h.Process.Signal(os.Interrupt)
	}
	for i, h := range hunters[:2] {
		if err := h.Wait(); err != nil && h.ProcessState.ExitCode() != exitInterrupted {
			t.Errorf("hunter s%d: %v", i, err)
		}
	}
	checkFetchedOnce(t, logs, "s2")
	if stdout, stderr, code := cli(t, "verify", "--db", u); code != 0 || !strings.Contains(stdout, "3 sensor(s)") {
		t.Fatalf("verify the shared store: exit %d\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "report")
	stdout, stderr, code := cli(t, append(append([]string{"report"}, sensorArgs("s0")...), "--out", out, "--no-rdap")...)
	if code != 0 && code != exitNotFound {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	// The other survivor signed checkpoints as it hunted and on exit: its
	// log is in the report, proven against its own checkpoint.
	if !strings.Contains(stdout, "with sensor s1:") {
		t.Errorf("the report does not carry sensor s1's log:\n%s", stdout)
	}
	if stdout, stderr, code := cli(t, "verify", out); code != 0 {
		t.Fatalf("verify the report: exit %d\n%s%s", code, stdout, stderr)
	}
	checkReportCoversSensors(t, watcher, leaks, out)
	// The bytes every sensor verified were the documents' (the blocks in
	// each section's transcripts, compared with the leaked files).
	if stdout, stderr, code := cli(t, "verify", "--documents", leaksDir(t), out); code != 0 {
		t.Fatalf("verify --documents: exit %d\n%s%s", code, stdout, stderr)
	} else {
		t.Logf("verify --documents: %s", strings.TrimSpace(stdout))
	}
	// A changed record of another sensor is found.
	p := filepath.Join(out, "sensors", "s1", "records.jsonl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o600)
	// Both MANIFEST and the record's own proof say so.
	if stdout, _, code := cli(t, "verify", out); code != 1 || strings.Count(stdout, "FAIL sensors/s1/records.jsonl") < 2 {
		t.Fatalf("verify a bundle with another sensor's record changed: exit %d\n%s", code, stdout)
	}
}

// checkReportCoversSensors checks that a report of s0 names at L4 every
// host of the leaks that a record at L4 in the logs it covers proves: s0's
// whole log, and each other sensor's up to its latest signed checkpoint
// (s2, killed, may have records after its last one); and no other host.
func checkReportCoversSensors(t *testing.T, s *store.Store, leaks []fingerprint.InfoHash, out string) {
	t.Helper()
	want := map[string]bool{}
	for _, name := range []string{"s0", "s1", "s2"} {
		view, err := s.ForSensor(name)
		if err != nil {
			t.Fatal(err)
		}
		covered := int64(-1)
		if name != "s0" {
			covered = 0
			if err := view.Checkpoints(func(size int64, _ []byte) error { covered = max(covered, size); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		for _, ih := range leaks {
			peers, err := s.PeersOf(ih)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range peers {
				idx, err := view.SubjectObservations(ih.String(), p.IP, p.Port)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range idx {
					o, err := view.Observation(n)
					if err != nil {
						t.Fatal(err)
					}
					if o.Level >= evidence.L4Served && (covered < 0 || n < covered) {
						want[fmt.Sprintf("%s %s:%d", ih, p.IP, p.Port)] = true
					}
				}
			}
		}
	}
	got := map[string]bool{}
	for _, p := range bundlePeers(t, out) {
		if p.Level >= evidence.L4Served {
			got[fmt.Sprintf("%s %s:%d", p.InfoHash, p.IP, p.Port)] = true
		}
	}
	if len(want) == 0 || !maps.Equal(got, want) {
		t.Errorf("the report names at L4 %v; the logs it covers prove %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

// fetchedRE finds the metadata fetches a hunter's -v log reports.
var fetchedRE = regexp.MustCompile(`msg="metadata fetched" infohash=([0-9a-f]{40})`)

// checkFetchedOnce checks that no infohash's metadata was fetched by more
// than one hunter (or twice by one). A fetch by the killed hunter may be
// made again by another once its claim ran out: it may have died before
// it recorded the infohash as seen.
func checkFetchedOnce(t *testing.T, logs []string, killed string) {
	t.Helper()
	by := map[string][]string{}
	for i, p := range logs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			if m := fetchedRE.FindStringSubmatch(sc.Text()); m != nil {
				by[m[1]] = append(by[m[1]], fmt.Sprintf("s%d", i))
			}
		}
		f.Close()
	}
	if len(by) == 0 {
		t.Fatal("no hunter logged a metadata fetch")
	}
	for ih, who := range by {
		survivors := 0
		for _, w := range who {
			if w != killed {
				survivors++
			}
		}
		if survivors > 1 || len(who)-survivors > 1 {
			t.Errorf("metadata of %s fetched %d times, by %v", ih, len(who), who)
		}
	}
}
