package ed2k

import "github.com/leakhunt/leakhunt/internal/ed2kwire"

// PartSize and BlockSize are the ed2k part (the unit of hashes and of file
// status) and block (the unit of requests) sizes.
const (
	PartSize  = ed2kwire.PartSize
	BlockSize = ed2kwire.BlockSize
)

// MaxFileSize is the largest file a probe handles: file status counts parts
// in 16 bits.
const MaxFileSize = ed2kwire.MaxFileSize

// Errors about a peer's packets: ErrProtocol marks a malformed or
// unexpected packet, ErrLimit one beyond a limit of the probe.
var (
	ErrProtocol = ed2kwire.ErrProtocol
	ErrLimit    = ed2kwire.ErrLimit
)
