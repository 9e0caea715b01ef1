package bscan_test

import (
	"fmt"
	"strings"

	"github.com/leakhunt/leakhunt/internal/bscan"
)

func ExampleCheck() {
	deep := strings.Repeat("l", 1000) + strings.Repeat("e", 1000)
	fmt.Println(bscan.Check([]byte("d4:name3:abce"), bscan.MetadataLimits()))
	fmt.Println(bscan.Check([]byte(deep), bscan.MetadataLimits()))
	// Output:
	// <nil>
	// invalid bencode: nesting deeper than 100 at byte 100
}

func ExampleValueLen() {
	msg := []byte("d8:msg_typei1e5:piecei0eeDATA") // a ut_metadata header, then data
	n, err := bscan.ValueLen(msg, bscan.Limits{MaxBytes: 1 << 10, MaxDepth: 4, MaxTokens: 100, MaxIntLen: 18})
	fmt.Printf("%d %v %q\n", n, err, msg[n:])
	// Output: 25 <nil> "DATA"
}
