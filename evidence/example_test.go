package evidence_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// Sign the evidence log and check it offline, as `leakhunt verify` does.
func ExampleVerifyStore() {
	dir, _ := os.MkdirTemp("", "evidence-example")
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "leakhunt.db")
	s, err := store.Open(db, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	keys, err := evidence.LoadOrCreateKeys(db, "example")
	if err != nil {
		panic(err)
	}
	s.AppendObservations([]evidence.Observation{{Time: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), ClockOffset: "unsynchronized",
		Level: evidence.L1Announced, Source: "dht", IP: "192.0.2.1", Port: 6881, InfoHash: fingerprint.InfoHash{0x01, 0x23}, Version: "example"}})
	if _, cp, err := evidence.SignCheckpoint(s, keys); err == nil {
		fmt.Println("signed checkpoint of", cp.Size, "record(s)")
	}
	problems, n, err := evidence.VerifyStore(s, keys.VerifierKey)
	fmt.Println(n, len(problems), err)
	// Output:
	// signed checkpoint of 1 record(s)
	// 1 0 <nil>
}
