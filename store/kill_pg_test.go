package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/internal/interop"
)

// childHold is how long the killed sensor's claim and lease run.
const childHold = 5 * time.Second

// killedIH is the infohash the killed sensor holds a claim and a lease on.
var killedIH = fingerprint.InfoHash{0xde, 0xad}

// TestSensorKilled runs a sensor in another process that claims a fetch,
// takes a watch lease and appends, kills it with SIGKILL, and checks that
// another sensor takes the claim and the lease over once they run out and
// that the killed sensor's log is whole.
func TestSensorKilled(t *testing.T) {
	u := newPGDatabase(t)
	other := openPGTemp(t, u, "survivor")
	if err := other.Watch(WatchEntry{InfoHash: killedIH, Reason: "match"}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEAKHUNT_STORE_PG_CHILD="+u, "LEAKHUNT_STORE_PG_CHILD_DIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "held" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, want held", sc.Text())
	}
	// The child holds both now, for childHold.
	if ok, err := other.ClaimFetch(killedIH, time.Hour); err != nil || ok {
		t.Errorf("claim held by a live sensor granted: %v, %v", ok, err)
	}
	if ok, err := other.LeaseWatch(killedIH, time.Hour); err != nil || ok {
		t.Errorf("lease held by a live sensor granted: %v, %v", ok, err)
	}
	committed := int64(0)
	for committed < 200 && sc.Scan() {
		if n, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "committed "), 10, 64); err == nil {
			committed = n
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if committed < 200 {
		t.Fatalf("child committed only %d", committed)
	}
	for what, take := range map[string]func() (bool, error){
		"claim": func() (bool, error) { return other.ClaimFetch(killedIH, time.Hour) },
		"lease": func() (bool, error) { return other.LeaseWatch(killedIH, time.Hour) },
	} {
		if !interop.Within(30*time.Second, func() bool { ok, err := take(); return err == nil && ok }) {
			t.Errorf("the killed sensor's %s was not taken over", what)
		}
	}
	dead, err := other.ForSensor("doomed")
	if err != nil {
		t.Fatal(err)
	}
	n, err := dead.LogSize()
	if err != nil || n < committed {
		t.Fatalf("killed sensor's log: %d records (%v), it had committed %d", n, err, committed)
	}
	if _, err := tlog.TreeHash(n, dead); err != nil {
		t.Fatal(err)
	}
	if problems, err := other.Check(); err != nil || len(problems) > 0 {
		t.Fatalf("Check = %v, %v", problems, err)
	}
}

// childPGSensor is the child process of TestSensorKilled (see TestMain):
// it takes a claim and a lease that run out after childHold, then appends
// observations until killed, reporting each commit.
func childPGSensor(u string) {
	dir := os.Getenv("LEAKHUNT_STORE_PG_CHILD_DIR")
	s, err := Open(u, &Options{Sensor: "doomed", KeyPath: filepath.Join(dir, "key"), CacheDir: dir})
	if err == nil {
		_, err = s.ClaimFetch(killedIH, childHold)
	}
	if err == nil {
		_, err = s.LeaseWatch(killedIH, childHold)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("held")
	for i := 0; ; i += 10 {
		var b []evidence.Observation
		for j := 0; j < 10; j++ {
			b = append(b, obs(i+j))
		}
		if _, err := s.AppendObservations(b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", i+10)
	}
}
