// Package md4 implements the MD4 hash function of RFC 1320 in pure Go.
//
// It produces the same output as golang.org/x/crypto/md4 but runs about
// twice as fast: the compression function is fully unrolled with constant
// rotations, keeps the chaining state in locals and processes every whole
// block of a Write in one call. Write and Sum do not allocate.
//
// MD4 is broken as a cryptographic hash. The fingerprint package needs it
// only to compute ed2k identifiers of documents, which are MD4-based.
//
// Use [New] for streaming input and [Sum] for a byte slice in memory.
package md4
