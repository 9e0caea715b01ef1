package peerwire_test

import (
	"bytes"
	"fmt"

	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/leakhunt/leakhunt/internal/peerwire"
)

func ExampleReader() {
	ih := [20]byte{1}
	var stream []byte
	stream = peerwire.Handshake{InfoHash: ih, PeerID: [20]byte([]byte("-XX0001-abcdefghijkl"))}.Append(stream)
	stream = peerwire.AppendMessage(stream, byte(pp.Have), []byte{0, 0, 0, 7})
	stream = append(stream, 0x7f, 0xff, 0xff, 0xff) // a 2 GiB message

	sizes := peerwire.Sizes{NumPieces: 8, MaxBlock: 16 << 10, MaxExtended: 64 << 10, MaxOther: 64 << 10}
	r := peerwire.NewReader(bytes.NewReader(stream), peerwire.Config{MaxLength: sizes.MaxLength(), Bounds: sizes.Bounds, Budget: 1 << 20})
	h, _, err := r.ReadHandshake()
	fmt.Println(err, h.CheckInfoHash(ih), h.Reserved.SupportsExtended())
	for {
		m, err := r.ReadMessage()
		if err != nil {
			fmt.Printf("%v (%d bytes read)\n", err, len(m.Frame))
			break
		}
		fmt.Printf("%v %x\n", pp.MessageType(m.Type), m.Payload())
	}
	// Output:
	// <nil> <nil> false
	// Have 00000007
	// peer protocol violation: message of 2147483647 bytes (4 bytes read)
}
