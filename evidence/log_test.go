package evidence_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

func logObs(i int) evidence.Observation {
	return evidence.Observation{Time: time.Date(2026, 11, 2, 3, 4, i, 0, time.UTC), ClockOffset: "unsynchronized",
		Level: evidence.L4Served, Source: "probe", IP: "192.0.2.7", Port: 6881 + i%3, InfoHash: fingerprint.InfoHash{0xcd},
		PiecesVerified: []int{i}, Version: "test"}
}

// signedStore builds a store of n observations with a checkpoint signed
// after the first signedAt of them and another at the end.
func signedStore(t *testing.T, n, signedAt int) (path string, keys *evidence.Keys) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "log.db")
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys, err = evidence.LoadOrCreateKeys(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := s.AppendObservations([]evidence.Observation{logObs(i)}); err != nil {
			t.Fatal(err)
		}
		if i+1 == signedAt || i+1 == n {
			if _, _, err := evidence.SignCheckpoint(s, keys); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path, keys
}

// tamper changes one value in a bucket of the closed store file.
func tamper(t *testing.T, path, bucket string, key uint64, fn func([]byte) []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], key)
		v := b.Get(k[:])
		if v == nil {
			return fmt.Errorf("no key %d in %s", key, bucket)
		}
		return b.Put(k[:], fn(append([]byte(nil), v...)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, path string, keys *evidence.Keys) []evidence.VerifyProblem {
	t.Helper()
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	problems, _, err := evidence.VerifyStore(s, keys.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	return problems
}

func TestVerifyStoreIntact(t *testing.T) {
	path, keys := signedStore(t, 37, 20)
	if p := verify(t, path, keys); len(p) != 0 {
		t.Fatalf("intact store: %v", p)
	}
	// Another key does not verify the checkpoints.
	other, _ := signedStore(t, 1, 1)
	otherKeys, err := evidence.LoadOrCreateKeys(other, "test")
	if err != nil {
		t.Fatal(err)
	}
	if p := verify(t, path, otherKeys); len(p) == 0 || !strings.Contains(p[0].String(), "checkpoint") {
		t.Fatalf("foreign key: %v", p)
	}
}

func TestVerifyStoreTampering(t *testing.T) {
	tests := []struct {
		name  string
		do    func(t *testing.T, path string)
		where string
	}{
		{"observation byte", func(t *testing.T, path string) {
			tamper(t, path, "observations", 5, func(v []byte) []byte {
				return []byte(strings.Replace(string(v), "192.0.2.7", "192.0.2.8", 1))
			})
		}, "record 5"},
		{"interior log hash", func(t *testing.T, path string) {
			tamper(t, path, "log_hashes", uint64(tlog.StoredHashIndex(1, 3)), func(v []byte) []byte { v[0] ^= 1; return v })
		}, "log hash level 1"},
		{"leaf rewritten with its hashes, after signing", func(t *testing.T, path string) {
			// A forger who rewrites record 3 and every stored hash above
			// it still cannot match the signed root.
			s, err := store.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			leaf, _ := s.Leaf(3)
			n, _ := s.LogSize()
			s.Close()
			forged := []byte(strings.Replace(string(leaf), "192.0.2.7", "198.51.100.9", 1))
			tamper(t, path, "observations", 3, func([]byte) []byte { return forged })
			mem := memHashes{}
			for i := int64(0); i < n; i++ {
				l := forged
				if i != 3 {
					s, _ := store.Open(path, nil)
					l, _ = s.Leaf(i)
					s.Close()
				}
				hs, _ := tlog.StoredHashes(i, l, mem)
				mem = append(mem, hs...)
			}
			for idx, h := range mem {
				tamper(t, path, "log_hashes", uint64(idx), func([]byte) []byte { return append([]byte(nil), h[:]...) })
			}
		}, "checkpoint at size 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, keys := signedStore(t, 37, 20)
			tt.do(t, path)
			problems := verify(t, path, keys)
			found := false
			for _, p := range problems {
				if strings.Contains(p.String(), tt.where) {
					found = true
				}
			}
			if !found {
				t.Fatalf("problems %v do not name %q", problems, tt.where)
			}
		})
	}
}

// BenchmarkLogAppend measures evidence-log appends: the RFC 6962 hashing
// of each leaf into the tree, in memory (the store adds the bbolt writes;
// see store's BenchmarkAppendObservations).
func BenchmarkLogAppend(b *testing.B) {
	o := logObs(1)
	leaf, _ := o.Leaf()
	mem := make(memHashes, 0, 2*b.N+64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hs, err := tlog.StoredHashes(int64(i), leaf, mem)
		if err != nil {
			b.Fatal(err)
		}
		mem = append(mem, hs...)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

func TestKeyPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	if _, err := evidence.LoadOrCreateKeys(path, "test"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path + ".key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode(), err)
	}
	if _, err := evidence.LoadOrCreateKeys(path, "test"); err != nil {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path+".key", 0o644)
	if _, err := evidence.LoadOrCreateKeys(path, "test"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}

// memHashes is an in-memory tlog.HashReader over stored hashes in order.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("log hash %d not available", x)
		}
		out[i] = m[x]
	}
	return out, nil
}
