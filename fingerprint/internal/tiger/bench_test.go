package tiger

import "testing"

const benchSize = 1 << 20

// BenchmarkTiger measures Tiger through hash.Hash on a 1 MiB buffer.
func BenchmarkTiger(b *testing.B) {
	data := pseudoRandom(30, benchSize)
	h := New()
	var out []byte
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		h.Write(data)
		out = h.Sum(out[:0])
	}
}

// BenchmarkTTH measures the Tiger Tree Hash on a 1 MiB buffer written in
// one call and in 64 KiB+13 writes (leaves straddling writes are copied).
func BenchmarkTTH(b *testing.B) {
	data := pseudoRandom(31, benchSize)
	for _, bc := range []struct {
		name string
		step int
	}{
		{"oneWrite", benchSize},
		{"unalignedWrites", 65536 + 13},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := NewTree()
			var out []byte
			b.SetBytes(benchSize)
			b.ReportAllocs()
			for b.Loop() {
				tr.Reset()
				for p := data; len(p) > 0; {
					k := min(len(p), bc.step)
					tr.Write(p[:k])
					p = p[k:]
				}
				out = tr.Sum(out[:0])
			}
		})
	}
}
