package racedetect

import "testing"

// SkipAllocs skips a test that counts allocations when the race detector
// is built in, saying why; the plain (non-race) test run still runs it.
func SkipAllocs(t testing.TB) {
	t.Helper()
	if Enabled {
		t.Skip("allocation counts change under -race; this test runs in the plain (non-race) pass")
	}
}
