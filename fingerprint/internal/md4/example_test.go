package md4_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/leakhunt/leakhunt/fingerprint/internal/md4"
)

func ExampleSum() {
	fmt.Printf("%x\n", md4.Sum([]byte("abc")))
	// Output: a448017aaf21d8525fc10ae87aa6729d
}

func ExampleNew() {
	h := md4.New()
	if _, err := io.Copy(h, strings.NewReader("message digest")); err != nil {
		panic(err)
	}
	fmt.Printf("%x\n", h.Sum(nil))
	// Output: d9130a8164549fe818874806e1c7014b
}
