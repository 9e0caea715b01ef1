package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	bolt "go.etcd.io/bbolt"
)

func TestOpenMustExist(t *testing.T) {
	dir := t.TempDir()
	for _, opt := range []*Options{{MustExist: true}, {ReadOnly: true}} {
		p := filepath.Join(dir, "typo.db")
		if _, err := Open(p, opt); !errors.Is(err, ErrNoStore) {
			t.Errorf("Open(%+v) of a missing store: err %v, want ErrNoStore", *opt, err)
		}
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open(%+v) created %s", *opt, p)
		}
	}
	s := openTemp(t)
	s.Close()
	s2, err := Open(s.Path(), &Options{MustExist: true})
	if err != nil {
		t.Fatalf("existing store refused: %v", err)
	}
	s2.Close()
}

// TestOpenRemovesUnfinishedCopies: a catalogue addition killed while
// copying leaves a temporary copy of the leaked file; the next open
// removes it and keeps finished copies.
func TestOpenRemovesUnfinishedCopies(t *testing.T) {
	s := openTemp(t)
	d := addFile(t, s, "a leaked document")
	s.Close()
	stale := filepath.Join(boltOf(s).docsDir, d.SHA256[:2], tempCopyPrefix+"123456")
	if err := os.WriteFile(stale, []byte("half a leaked fi"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(boltOf(s).docsDir, "ff")
	os.MkdirAll(other, 0o700)
	stale2 := filepath.Join(other, tempCopyPrefix+"9")
	os.WriteFile(stale2, nil, 0o600)
	s2, err := Open(s.Path(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, p := range []string{stale, stale2} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after open", p)
		}
	}
	if _, err := os.Stat(boltOf(s2).docPath(d.SHA256)); err != nil {
		t.Errorf("finished copy removed: %v", err)
	}
}

// TestCheckCatalog: a flipped byte anywhere in a catalogue entry, or in
// its kept copy, is found.
func TestCheckCatalog(t *testing.T) {
	s := openTemp(t)
	d := addFile(t, s, "a leaked document with some content")
	if probs, err := s.CheckCatalog(); err != nil || len(probs) != 0 {
		t.Fatalf("intact catalogue: %v %v", probs, err)
	}
	var entry []byte
	boltOf(s).view(func(tx *bolt.Tx) error {
		entry = bytes.Clone(tx.Bucket(bucketDocs).Get(u64(d.ID)))
		return nil
	})
	for _, field := range []string{`"name":"doc.txt"`, `"case":"c1"`, `"sha1":"`, `"size":`} {
		t.Run("entry "+field, func(t *testing.T) {
			i := bytes.Index(entry, []byte(field))
			if i < 0 {
				t.Fatalf("%s not in %s", field, entry)
			}
			bad := bytes.Clone(entry)
			bad[i+len(field)+1] ^= 0x01
			putRaw(t, s, bucketDocs, u64(d.ID), bad)
			defer putRaw(t, s, bucketDocs, u64(d.ID), entry)
			probs, err := s.CheckCatalog()
			if err != nil || len(probs) == 0 {
				t.Errorf("flipped byte in %s: problems %v, err %v", field, probs, err)
			}
		})
	}
	t.Run("copy", func(t *testing.T) {
		p := boltOf(s).docPath(d.SHA256)
		b, _ := os.ReadFile(p)
		b[3] ^= 0x01
		os.Chmod(p, 0o600)
		os.WriteFile(p, b, 0o600)
		probs, err := s.CheckCatalog()
		if err != nil || len(probs) != 1 || !strings.Contains(probs[0], "kept copy") {
			t.Errorf("changed copy: problems %v, err %v", probs, err)
		}
	})
}

func putRaw(t *testing.T, s *Store, bucket, k, v []byte) {
	t.Helper()
	if err := boltOf(s).update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, v) }); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedPage: garbage over a page of the log gives ErrCorrupt from
// every read and from Check, never a panic.
func TestDamagedPage(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "leakhunt.db")
	s, err := Open(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := make([]evidence.Observation, 20000)
	for i := range obs {
		obs[i] = evidence.Observation{Time: time.Unix(1.7e9+int64(i), 0), Level: 2, Source: "probe", IP: fmt.Sprintf("10.0.%d.%d", i/256%256, i%256),
			Port: 6881, InfoHash: fingerprint.InfoHash{0xaa}, Version: "test"}
	}
	if _, err := s.AppendObservations(obs); err != nil {
		t.Fatal(err)
	}
	if probs, err := s.Check(); err != nil || len(probs) != 0 {
		t.Fatalf("intact store: %v %v", probs, err)
	}
	var used int64
	boltOf(s).view(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	s.Close()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int64(os.Getpagesize())
	garbage := bytes.Repeat([]byte{0xa5}, int(pageSize))
	for off := used / 5 / pageSize * pageSize; off < used*4/5; off += 4 * pageSize {
		f.WriteAt(garbage, off)
	}
	f.Close()

	s, err = Open(p, &Options{ReadOnly: true})
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return
		}
		t.Fatal(err)
	}
	defer s.Close()
	probs, err := s.Check()
	if err != nil || len(probs) == 0 {
		t.Errorf("Check of a damaged store: %v %v", probs, err)
	}
	err = s.ForEachLeaf(0, func(int64, []byte) error { return nil })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("reading the log of a damaged store: err %v, want ErrCorrupt", err)
	}
	if _, err := s.ReadHashes([]int64{0, 1, 2, 30000}); err != nil && !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadHashes: %v", err)
	}
}
