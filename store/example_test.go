package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

func Example() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	s, err := store.Open(filepath.Join(dir, "leakhunt.db"), nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	// Catalogue a document: its fingerprint, and a verified copy of it.
	doc := filepath.Join(dir, "memo.txt")
	os.WriteFile(doc, []byte("confidential (synthetic) memo"), 0o644)
	fp, _ := fingerprint.File(doc, nil)
	d, _, err := s.AddDocument(store.Document{Case: "acme", Name: "memo.txt", Fingerprint: fp}, doc)
	if err != nil {
		panic(err)
	}
	bySize, _ := s.DocumentsBySize(fp.Size)
	fmt.Println(d.ID, len(bySize))

	// Append an observation to the evidence log; the peer summary follows.
	_, err = s.AppendObservations([]evidence.Observation{{Time: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		ClockOffset: "unsynchronized", Level: evidence.L2Connected, Source: "probe", IP: "192.0.2.1", Port: 6881,
		InfoHash: fingerprint.InfoHash{0x01, 0x23}, Document: d.SHA256, Version: "example"}})
	if err != nil {
		panic(err)
	}
	n, _ := s.LogSize()
	peers, _ := s.Peers(evidence.L2Connected)
	fmt.Println(n, peers[0].IP, peers[0].Level)
	// Output:
	// 1 1
	// 1 192.0.2.1 L2
}
