// Package ed2kwire is the ed2k TCP codec of leakhunt's eMule probe
// (evidence/ed2k) and of its test peers (internal/emulefixture): packet
// framing (<protocol><length LE><opcode><body>, where the length counts the
// opcode and the body), packed packets, and the parsers of the packets a
// probe receives: hello and hello answer, eMule info, file name answer,
// file status, queue rank, and data packets (plain or compressed, 32- or
// 64-bit offsets).
//
// Every parser checks each length against the packet and the limits given
// or defined here before allocating, never reads past the packet and never
// panics; each has a fuzz test. Facts come from aMule 2.3.3 (ed2k
// Client2Client/TCP.h, BaseClient.cpp, UploadClient.cpp, PartFile.cpp).
// Everything here is safe for concurrent use: there is no shared state.
//
// Against aMule 2.3.3 (through evidence/ed2k's tests): hello answers, eMule
// info, file name answers, complete-file status, "no such file", upload
// acceptance, and 32-bit data packets, plain and compressed. Against the
// fixture only: partial file status bitmaps, queue ranks, 64-bit data
// packets, packed (0xD4) packets and every malformed or oversized form.
package ed2kwire
