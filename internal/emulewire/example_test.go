package emulewire_test

import (
	"fmt"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

func ExampleReadTag() {
	b := emulewire.AppendTag(nil, emulewire.StringTag(0x01, "tuition_fees_2026.csv"))
	tag, err := emulewire.ReadTag(emulewire.NewReader(b), emulewire.Kad, emulewire.Limits{MaxName: 1, MaxString: 255})
	fmt.Println(tag, err)
	// Output: 0x01="tuition_fees_2026.csv" <nil>
}
