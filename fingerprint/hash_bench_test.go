package fingerprint

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/leakhunt/leakhunt/fingerprint/internal/tiger"
)

// BenchmarkHash measures each hash of the engine alone, on one core, in
// MB/s (compare with `rhash -B --HASH` and `openssl speed -evp HASH`).
func BenchmarkHash(b *testing.B) {
	buf := data(16<<20, 9)
	for _, h := range []struct {
		name string
		new  func() io.Writer
	}{
		{"md5", func() io.Writer { return md5.New() }},
		{"sha1", func() io.Writer { return sha1.New() }},
		{"sha256", func() io.Writer { return sha256.New() }},
		{"ed2k", func() io.Writer { return newED2K() }},
		{"tth", func() io.Writer { return tiger.NewTree() }},
		{"btv2", func() io.Writer { return newBTv2() }},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for i := 0; i < b.N; i++ {
				w := h.new()
				for off := 0; off < len(buf); off += 1 << 20 {
					w.Write(buf[off : off+1<<20])
				}
			}
		})
	}
}

// BenchmarkReader measures the whole engine (seven hashes, every core).
func BenchmarkReader(b *testing.B) {
	buf := data(64<<20, 9)
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		if _, err := Reader(bytes.NewReader(buf), nil); err != nil {
			b.Fatal(err)
		}
	}
}
