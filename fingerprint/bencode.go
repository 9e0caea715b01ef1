package fingerprint

import "github.com/leakhunt/leakhunt/internal/bscan"

// Limits bound what [CheckBencode] accepts: MaxBytes (the largest input),
// MaxDepth (the deepest nesting of lists and dictionaries), MaxTokens (the
// most values in total) and MaxIntLen (the most digits an integer may have,
// sign excluded). Every field must be positive.
type Limits = bscan.Limits

// MetadataLimits are the limits for an info dictionary received from a peer
// (BEP 9): 4 MiB, depth 100, 3M tokens, as libtorrent.
func MetadataLimits() Limits { return bscan.MetadataLimits() }

// TorrentFileLimits are the limits for a whole .torrent file: 16 MiB, depth
// 100, 3M tokens.
func TorrentFileLimits() Limits { return bscan.TorrentFileLimits() }

// ErrBencode is wrapped by every error [CheckBencode] returns.
var ErrBencode = bscan.ErrInvalid

// CheckBencode scans b iteratively, without recursion or allocation per
// value, and reports whether it is exactly one well-formed bencoded value
// within lim: dictionary keys must be strings, each with a value (key order
// is not checked). Only input that passes may be handed to a bencode decoder:
// anacrolix's decoder recurses without a depth limit (a few million nested
// lists overflow the stack, which no recover catches) and decodes huge
// integers slowly. It is safe for concurrent use.
func CheckBencode(b []byte, lim Limits) error { return bscan.Check(b, lim) }
