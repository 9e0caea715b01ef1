package emulefixture_test

import (
	"fmt"

	"github.com/leakhunt/leakhunt/internal/emulefixture"
)

// A Kad network of four nodes on loopback, one of them silent.
func ExampleStartKad() {
	n, err := emulefixture.StartKad(emulefixture.KadOptions{Nodes: 4, Hostile: map[int]emulefixture.KadBehaviour{3: emulefixture.KadSilent}})
	if err != nil {
		panic(err)
	}
	defer n.Close()
	for _, c := range n.Contacts() {
		fmt.Println(c.Addr.Addr())
	}
	// Output:
	// 127.0.0.2
	// 127.0.0.3
	// 127.0.0.4
	// 127.0.0.5
}
