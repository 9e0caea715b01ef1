package fingerprint_test

import (
	"fmt"
	"strings"

	"github.com/leakhunt/leakhunt/fingerprint"
)

func ExampleReader() {
	fp, err := fingerprint.Reader(strings.NewReader("abc"), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(fp.Size, fp.MD5)
	fmt.Println(fp.SHA256)
	fmt.Println(fp.ED2K, fp.TTH)
	// Output:
	// 3 900150983cd24fb0d6963f7d28e17f72
	// ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
	// a448017aaf21d8525fc10ae87aa6729d ASD4UJSEH5M47PDYB46KBTSQTSGDKLBHYXOMUIA
}

func ExampleCheckBencode() {
	deep := strings.Repeat("l", 1000) + strings.Repeat("e", 1000)
	fmt.Println(fingerprint.CheckBencode([]byte("d4:name3:abce"), fingerprint.MetadataLimits()))
	fmt.Println(fingerprint.CheckBencode([]byte(deep), fingerprint.MetadataLimits()))
	// Output:
	// <nil>
	// invalid bencode: nesting deeper than 100 at byte 100
}
