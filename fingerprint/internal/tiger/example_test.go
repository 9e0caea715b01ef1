package tiger_test

import (
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/leakhunt/leakhunt/fingerprint/internal/tiger"
)

func ExampleSum() {
	fmt.Printf("%x\n", tiger.Sum([]byte("abc")))
	// Output: 2aab1484e8c158f2bfb8c5ff41b57a525129131c957b5f93
}

func ExampleTree() {
	t := tiger.NewTree()
	// Any split of the input into writes gives the same root.
	t.Write([]byte(strings.Repeat("A", 1000)))
	t.Write([]byte(strings.Repeat("A", 25)))
	root := t.Root()
	fmt.Println("urn:tree:tiger:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(root[:]))
	// Output: urn:tree:tiger:PZMRYHGY6LTBEH63ZWAHDORHSYTLO4LEFUIKHWY
}
