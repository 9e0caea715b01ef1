package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "leakhunt.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addFile(t *testing.T, s *Store, content string) Document {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.txt")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.File(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := s.AddDocument(Document{Name: "doc.txt", Case: "c1", Fingerprint: fp}, p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDocuments(t *testing.T) { forEachBackend(t, testDocuments) }

func testDocuments(t *testing.T, s *Store) {
	a := addFile(t, s, "first leaked document")
	b := addFile(t, s, "second leaked document!")
	if a.ID == b.ID || a.ID == 0 {
		t.Fatalf("ids %d %d", a.ID, b.ID)
	}
	again := addFile(t, s, "first leaked document")
	if again.ID != a.ID {
		t.Fatalf("same content got a new id %d (was %d)", again.ID, a.ID)
	}
	docs, err := s.Documents()
	if err != nil || len(docs) != 2 {
		t.Fatalf("Documents = %v, %v", docs, err)
	}
	bySize, err := s.DocumentsBySize(a.Size)
	if err != nil || len(bySize) != 1 || bySize[0].SHA256 != a.SHA256 {
		t.Fatalf("DocumentsBySize = %v, %v", bySize, err)
	}
	for kind, val := range map[string]string{"md5": a.MD5, "sha1": a.SHA1, "ed2k": a.ED2K, "tth": a.TTH, "btv2": a.BTv2Root} {
		got, err := s.DocumentsByHash(kind, val)
		if err != nil || len(got) != 1 || got[0].ID != a.ID {
			t.Errorf("DocumentsByHash(%s) = %v, %v", kind, got, err)
		}
	}
	f, err := s.OpenDocument(a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _ := f.Read(buf)
	f.Close()
	if string(buf[:n]) != "first leaked document" {
		t.Fatalf("copy holds %q", buf[:n])
	}
	if _, err := s.RemoveDocument(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenDocument(a.SHA256); !errors.Is(err, ErrNotFound) {
		t.Fatalf("copy still there after rm: %v", err)
	}
	if got, _ := s.DocumentsBySize(a.Size); len(got) != 0 {
		t.Fatalf("size index still lists %v", got)
	}
	if _, err := s.RemoveDocument(a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second rm: %v", err)
	}
}

func TestAddDocumentRefusesChangedFile(t *testing.T) {
	forEachBackend(t, testAddDocumentRefusesChangedFile)
}

func testAddDocumentRefusesChangedFile(t *testing.T, s *Store) {
	p := filepath.Join(t.TempDir(), "doc.txt")
	os.WriteFile(p, []byte("original"), 0o644)
	fp, _ := fingerprint.File(p, nil)
	os.WriteFile(p, []byte("modified"), 0o644)
	if _, _, err := s.AddDocument(Document{Name: "doc.txt", Fingerprint: fp}, p); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("AddDocument of a changed file = %v", err)
	}
	if docs, _ := s.Documents(); len(docs) != 0 {
		t.Fatalf("a record was stored: %v", docs)
	}
}

func TestAddDocumentRefusesEmptyFile(t *testing.T) {
	forEachBackend(t, testAddDocumentRefusesEmptyFile)
}

func testAddDocumentRefusesEmptyFile(t *testing.T, s *Store) {
	p := filepath.Join(t.TempDir(), "empty.csv")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.File(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddDocument(Document{Name: "empty.csv", Fingerprint: fp}, p); !errors.Is(err, ErrEmptyDocument) {
		t.Fatalf("AddDocument of an empty file = %v, want ErrEmptyDocument", err)
	}
	if docs, _ := s.Documents(); len(docs) != 0 {
		t.Fatalf("a record was stored: %v", docs)
	}
}

func obs(i int) evidence.Observation {
	return evidence.Observation{
		Time: time.Date(2026, 11, 1, 0, 0, i, 0, time.UTC), ClockOffset: "unsynchronized", Level: evidence.Level(i % 5),
		Source: "probe", IP: fmt.Sprintf("127.0.0.%d", 1+i%3), Port: 6881, InfoHash: fingerprint.InfoHash{0xab},
		PiecesVerified: []int{i % 7}, Version: "test",
	}
}

func TestObservationLog(t *testing.T) { forEachBackend(t, testObservationLog) }

func testObservationLog(t *testing.T, s *Store) {
	var all []evidence.Observation
	for batch := 0; batch < 5; batch++ {
		var b []evidence.Observation
		for i := 0; i < 7; i++ {
			b = append(b, obs(len(all)+i))
		}
		first, err := s.AppendObservations(b)
		if err != nil {
			t.Fatal(err)
		}
		if first != int64(len(all)) {
			t.Fatalf("first = %d, want %d", first, len(all))
		}
		all = append(all, b...)
	}
	n, _ := s.LogSize()
	if n != int64(len(all)) {
		t.Fatalf("LogSize = %d", n)
	}
	// The stored tree equals one rebuilt from the leaves, and every record
	// has a valid inclusion proof.
	root, err := tlog.TreeHash(n, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < n; i++ {
		leaf, err := s.Leaf(i)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tlog.ProveRecord(n, i, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, n, root, i, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		o, err := s.Observation(i)
		if err != nil || !o.Time.Equal(all[i].Time) || o.IP != all[i].IP {
			t.Fatalf("record %d = %+v, %v", i, o, err)
		}
	}
	peers, err := s.Peers(0)
	if err != nil || len(peers) != 3 {
		t.Fatalf("Peers = %v, %v", peers, err)
	}
	total := 0
	for _, p := range peers {
		total += p.Observations
		idx, err := s.PeerObservations(p.InfoHash, p.IP, p.Port)
		if err != nil || len(idx) != p.Observations {
			t.Fatalf("PeerObservations(%s) = %v, %v; summary says %d", p.IP, idx, err, p.Observations)
		}
		if p.Level != 4 || p.FirstSeen.After(p.LastSeen) {
			t.Errorf("peer %+v", p)
		}
	}
	if total != len(all) {
		t.Fatalf("peer summaries count %d observations, want %d", total, len(all))
	}
	if high, _ := s.Peers(5); len(high) != 0 {
		t.Fatalf("Peers(5) = %v", high)
	}
}

func TestLockedAndCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The lock is per open file description, so a second Open in this
	// process meets it exactly as another process would (see also
	// TestKillDuringWrites, which uses a real second process).
	_, err = Open(path, &Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second Open = %v, want ErrLocked naming the path", err)
	}
	s.Close()

	bad := filepath.Join(t.TempDir(), "bad.db")
	os.WriteFile(bad, []byte(strings.Repeat("not a database ", 1000)), 0o600)
	_, err = Open(bad, nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Open(corrupt) = %v, want ErrCorrupt naming the path", err)
	}
	if b, _ := os.ReadFile(bad); !strings.HasPrefix(string(b), "not a database") {
		t.Fatal("Open changed a file that is not a database")
	}
}

func TestConcurrentReaders(t *testing.T) { forEachBackend(t, testConcurrentReaders) }

func testConcurrentReaders(t *testing.T, s *Store) {
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Peers(0); err != nil {
					t.Error(err)
					return
				}
				if n, err := s.LogSize(); err != nil || n < 0 {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 0; i < 50; i++ {
		if _, err := s.AppendObservations([]evidence.Observation{obs(i)}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// TestKillDuringWrites runs a second process that appends observations and
// reports each commit, kills it with SIGKILL mid-stream, and checks that
// everything it reported committed is there and the log is consistent.
func TestKillDuringWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kill.db")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LEAKHUNT_STORE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	committed := int64(0)
	for sc.Scan() {
		if n, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "committed "), 10, 64); err == nil {
			committed = n
			if committed >= 300 {
				break
			}
		}
	}
	// While the child holds the database, we cannot open it.
	if _, err := Open(path, &Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open while another process writes = %v, want ErrLocked", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if committed < 300 {
		t.Fatalf("child committed only %d", committed)
	}
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	n, err := s.LogSize()
	if err != nil || n < committed {
		t.Fatalf("after kill: log size %d (%v), child had committed %d", n, err, committed)
	}
	// The peer summaries, written lazily, were rebuilt from the log.
	peers, err := s.Peers(0)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, p := range peers {
		total += int64(p.Observations)
		idx, err := s.PeerObservations(p.InfoHash, p.IP, p.Port)
		if err != nil || len(idx) != p.Observations {
			t.Fatalf("peer %s: index %d entries (%v), summary %d", p.IP, len(idx), err, p.Observations)
		}
	}
	if total != n {
		t.Fatalf("summaries count %d observations, the log holds %d", total, n)
	}
	root, err := tlog.TreeHash(n, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int64{0, committed / 2, n - 1} {
		leaf, _ := s.Leaf(i)
		p, err := tlog.ProveRecord(n, i, s)
		if err != nil || tlog.CheckRecord(p, n, root, i, tlog.RecordHash(leaf)) != nil {
			t.Fatalf("record %d does not verify after the kill: %v", i, err)
		}
	}
}

// childWriter is the child process of TestKillDuringWrites (see
// TestMain): it appends observations forever, reporting each commit.
func childWriter(path string) {
	s, err := Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
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

// TestMain runs the test binary as the writer child when
// TestKillDuringWrites starts it.
func TestMain(m *testing.M) {
	if path := os.Getenv("LEAKHUNT_STORE_CHILD"); path != "" {
		childWriter(path)
	}
	if u := os.Getenv("LEAKHUNT_STORE_PG_CHILD"); u != "" {
		childPGSensor(u)
	}
	os.Exit(m.Run())
}

// BenchmarkAppendObservations appends observations of 10,000 hosts in
// batched transactions, as the pipeline's writer does.
func BenchmarkAppendObservations(b *testing.B) {
	for _, size := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := openTemp(b)
			batch := make([]evidence.Observation, size)
			for j := range batch {
				batch[j] = obs(j)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range batch {
					h := (i*size + j) % 10_000
					batch[j].IP = fmt.Sprintf("10.0.%d.%d", h/256, h%256)
				}
				if _, err := s.AppendObservations(batch); err != nil {
					b.Fatal(err)
				}
			}
			// Peer summaries are part of the cost: write what is pending.
			if err := boltOf(s).flushSummaries(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "obs/s")
		})
	}
}

// boltOf is the bbolt backend of a store opened from a file.
func boltOf(s *Store) *boltStore { return s.b.(*boltStore) }
