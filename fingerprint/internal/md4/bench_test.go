package md4

import (
	"hash"
	"testing"

	xmd4 "golang.org/x/crypto/md4"
)

// benchSizes are a 1 MiB buffer and one ed2k chunk.
var benchSizes = []struct {
	name string
	n    int
}{
	{"1MiB", 1 << 20},
	{"ed2kChunk", 9728000},
}

func benchmarkHash(b *testing.B, newHash func() hash.Hash) {
	for _, s := range benchSizes {
		data := pseudoRandom(10, s.n)
		b.Run(s.name, func(b *testing.B) {
			h := newHash()
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				h.Reset()
				h.Write(data)
				out = h.Sum(out[:0])
			}
		})
	}
}

// BenchmarkMD4 measures this package.
func BenchmarkMD4(b *testing.B) { benchmarkHash(b, New) }

// BenchmarkXCryptoMD4 measures golang.org/x/crypto/md4 on the same input.
func BenchmarkXCryptoMD4(b *testing.B) { benchmarkHash(b, xmd4.New) }
