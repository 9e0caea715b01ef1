// Package emulewire holds the byte-level pieces that leakhunt's two eMule
// codecs share: [crawler/kad] (Kad UDP) and [evidence/ed2k] (ed2k TCP).
//
//   - [Reader] reads little-endian integers and byte runs from a packet
//     with bounds checks and a sticky error, so that parsers never index
//     out of range and never panic on input;
//   - [Tag] is the eMule tag (a typed, named value) with [ReadTag], which
//     enforces [Limits] on every length, and [AppendTag];
//   - [Inflate] decompresses zlib data with a hard cap on the output, and
//     [Deflate] compresses (fixtures and packed packets).
//
// The formats follow aMule 2.3.3 (SafeFile.cpp, Tag.cpp): a tag is a type
// byte, a name (a 16-bit length and bytes, or in the ed2k dialect a single
// byte after a type with bit 7 set) and a value whose layout depends on the
// type. Kad accepts fewer types than ed2k; see [Dialect].
//
// Everything here is safe for concurrent use: there is no shared state.
//
// [crawler/kad]: https://pkg.go.dev/github.com/leakhunt/leakhunt/crawler/kad
// [evidence/ed2k]: https://pkg.go.dev/github.com/leakhunt/leakhunt/evidence/ed2k
package emulewire
