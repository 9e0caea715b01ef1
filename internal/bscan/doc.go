// Package bscan is leakhunt's one rule for reading bencode from hostile
// places: .torrent files, info dictionaries fetched from peers (BEP 9),
// extension messages (BEP 10), tracker responses.
//
// # Checking
//
// [Check] scans its input iteratively, without recursion or an allocation
// per value, and accepts exactly one well-formed value within [Limits]
// (size, nesting depth, token count, integer length; dictionary keys are
// strings, each with a value). Only input that passes may be handed to a
// bencode decoder: anacrolix's decoder recurses without a depth limit (a
// few million nested lists overflow the stack, which no recover catches)
// and decodes huge integers slowly. [ValueLen] applies the same rule to the
// value at the start of its input and says where that value ends, for
// messages whose bencoded header is followed by raw data (a ut_metadata
// piece).
//
// # Reading
//
// [View] reads checked input in place: strings are sub-slices of it,
// dictionaries and lists are walked with callbacks, and nothing recurses on
// the input.
//
// Everything in this package is safe for concurrent use.
package bscan
