// Package tiger implements the Tiger hash function and the Tiger Tree Hash
// (TTH) in pure Go.
//
// # Tiger
//
// [New] and [Sum] compute the original Tiger of Anderson and Biham (1996):
// three passes, 192-bit output, message padded with a 0x01 byte. This is
// the variant used by the Tiger Tree Hash, by rhash --tiger and by the
// NESSIE test vectors; it is not Tiger2, which pads with 0x80. The digest
// bytes are the three state words, each little-endian, which is the order
// in which test vectors and rhash print them.
//
// # Tiger Tree Hash
//
// [Tree] computes the Tiger Tree Hash used by Gnutella, DC++ and magnet
// links (urn:tree:tiger): the input is cut into 1024-byte leaves, each
// hashed as Tiger(0x00 ‖ leaf); an inner node is Tiger(0x01 ‖ left ‖
// right); a node without a sibling is promoted unchanged to the next
// level; the empty input hashes to Tiger(0x00). [Tree] keeps one partial
// leaf and a stack of at most 64 subtree hashes, so memory is constant
// whatever the input size. [TreeSum] hashes a byte slice in one call.
//
// Whole leaves and inner nodes are hashed by dedicated functions with their
// padding fixed in advance: no per-leaf allocation and no hash.Hash value.
package tiger
