package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets a test run this binary as the leakhunt command: with
// LEAKHUNT_TEST_MAIN set (arguments separated by 0x1f) it runs main, which
// exits; tests use it to send real signals to a real process.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("LEAKHUNT_TEST_MAIN"); ok {
		os.Args = append([]string{"leakhunt"}, strings.Split(args, "\x1f")...)
		main()
	}
	os.Exit(m.Run())
}
