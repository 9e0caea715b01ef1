package kad

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/leakhunt/leakhunt/internal/emulewire"
)

// Limits of [ParseNodesDat].
const (
	// MaxNodesDat is the largest nodes.dat accepted, in bytes.
	MaxNodesDat = 4 << 20
	// MaxNodesDatContacts is the most contacts a nodes.dat may list.
	MaxNodesDatContacts = 100_000
)

// NodesDat formats written by [MarshalNodesDat].
const (
	// NodesDatV2 is the format aMule and eMule write for their routing
	// table: each contact with its UDP key and verified flag.
	NodesDatV2 = 2
	// NodesDatBootstrap is the version 3 "bootstrap edition": contacts
	// aMule only sends bootstrap requests to, never adds to its table.
	NodesDatBootstrap = 3
)

// ErrNodesDat is wrapped by errors about a malformed nodes.dat.
var ErrNodesDat = errors.New("malformed nodes.dat")

// ParseNodesDat parses a nodes.dat file in any of the formats eMule and
// aMule use:
//
//   - version 0: <count u32 ≠ 0> then count × <ID, IP, UDP port, TCP port,
//     type u8> (the type is not a Kad version: Version is 0);
//   - version 1: <0 u32><1 u32><count u32> then count × <ID, IP, UDP port,
//     TCP port, version u8>;
//   - version 2: <0 u32><2 u32><count u32> then count × <ID, IP, UDP port,
//     TCP port, version, UDP key u32, key IP u32, verified u8>;
//   - version 3: <0 u32><3 u32><edition u32><count u32>, with version 1
//     entries for the bootstrap edition (edition 1) and version 2 entries
//     otherwise.
//
// The contact count must match the file size exactly. Contacts are returned
// as listed; Kad1 contacts (version 1) and invalid addresses are kept, the
// client filters them.
func ParseNodesDat(b []byte) ([]Contact, error) {
	if len(b) > MaxNodesDat {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrNodesDat, len(b), MaxNodesDat)
	}
	r := emulewire.NewReader(b)
	count := r.U32()
	size := contactSize
	version0 := count != 0
	if !version0 {
		version := r.U32()
		switch version {
		case 1:
		case 2:
			size = contactSize + 9
		case 3:
			if r.U32() != 1 {
				size = contactSize + 9
			}
		default:
			if r.Err() == nil {
				return nil, fmt.Errorf("%w: version %d", ErrNodesDat, version)
			}
		}
		count = r.U32()
	}
	if r.Err() != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrNodesDat, r.Err())
	}
	if count > MaxNodesDatContacts {
		return nil, fmt.Errorf("%w: %d contacts (max %d)", ErrNodesDat, count, MaxNodesDatContacts)
	}
	if int(count)*size != r.Len() {
		return nil, fmt.Errorf("%w: %d contacts of %d bytes in %d bytes", ErrNodesDat, count, size, r.Len())
	}
	cs := make([]Contact, count)
	for i := range cs {
		cs[i] = readContact(r)
		r.Bytes(size - contactSize) // UDP key and verified flag: not used
	}
	if version0 {
		for i := range cs {
			cs[i].Version = 0 // version 0 files store a contact type here
		}
	}
	return cs, r.Err()
}

// MarshalNodesDat writes contacts as a nodes.dat of the given format
// ([NodesDatV2] or [NodesDatBootstrap]); UDP keys are written as zero and
// contacts as unverified. At most [MaxNodesDatContacts] are written.
func MarshalNodesDat(contacts []Contact, format int) ([]byte, error) {
	contacts = contacts[:min(len(contacts), MaxNodesDatContacts)]
	b := binary.LittleEndian.AppendUint32(nil, 0)
	switch format {
	case NodesDatV2:
		b = binary.LittleEndian.AppendUint32(b, 2)
	case NodesDatBootstrap:
		b = binary.LittleEndian.AppendUint32(b, 3)
		b = binary.LittleEndian.AppendUint32(b, 1)
	default:
		return nil, fmt.Errorf("nodes.dat format %d: want %d or %d", format, NodesDatV2, NodesDatBootstrap)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(contacts)))
	for _, c := range contacts {
		b = appendContact(b, c)
		if format == NodesDatV2 {
			b = append(b, make([]byte, 9)...)
		}
	}
	return b, nil
}
