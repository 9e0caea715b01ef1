package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets a test run this binary as the leakhunt command: with
// LEAKHUNT_TEST_MAIN set (arguments separated by 0x1f) it runs main, which
// exits; tests use it to send real signals to a real process.
//
// LEAKHUNT_TEST_FSIZE limits the size of files the command may write
// (RLIMIT_FSIZE), as a full disk would.
func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv("LEAKHUNT_TEST_FSIZE"); ok {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			panic(err)
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			panic(err)
		}
	}
	if args, ok := os.LookupEnv("LEAKHUNT_TEST_MAIN"); ok {
		os.Args = append([]string{"leakhunt"}, strings.Split(args, "\x1f")...)
		main()
	}
	os.Exit(m.Run())
}
