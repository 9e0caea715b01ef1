package md4

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/leakhunt/leakhunt/internal/racedetect"

	xmd4 "golang.org/x/crypto/md4"
)

// reference returns the checksum of b computed by golang.org/x/crypto/md4.
func reference(b []byte) []byte {
	h := xmd4.New()
	h.Write(b)
	return h.Sum(nil)
}

// pseudoRandom returns n deterministic pseudo-random bytes.
func pseudoRandom(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestRFC1320Vectors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"a", "bde52cb31de33e46245e05fbdbd6fb24"},
		{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "d9130a8164549fe818874806e1c7014b"},
		{"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sum := Sum([]byte(tt.in))
			if got := hex.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("Sum(%q) = %s, want %s", tt.in, got, tt.want)
			}
			h := New()
			h.Write([]byte(tt.in))
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
				t.Errorf("New().Sum after Write(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAllShortLengths(t *testing.T) {
	data := pseudoRandom(1, 300)
	for n := 0; n <= 300; n++ {
		want := reference(data[:n])
		sum := Sum(data[:n])
		if !bytes.Equal(sum[:], want) {
			t.Fatalf("Sum of %d bytes = %x, want %x", n, sum, want)
		}
		h := New()
		h.Write(data[:n])
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("New().Sum of %d bytes = %x, want %x", n, got, want)
		}
	}
}

func TestRandomLengths(t *testing.T) {
	data := pseudoRandom(2, 1<<20)
	r := rand.New(rand.NewPCG(3, 4))
	lengths := []int{1 << 20, 1<<20 - 1, 9728}
	for range 20 {
		lengths = append(lengths, r.IntN(1<<20+1))
	}
	for _, n := range lengths {
		want := reference(data[:n])
		if sum := Sum(data[:n]); !bytes.Equal(sum[:], want) {
			t.Errorf("Sum of %d bytes = %x, want %x", n, sum, want)
		}
	}
}

// TestWriteSplits feeds the same data in pieces of many sizes.
func TestWriteSplits(t *testing.T) {
	data := pseudoRandom(5, 5000)
	want := reference(data)
	for _, step := range []int{1, 3, 55, 56, 63, 64, 65, 127, 128, 1000, 4999} {
		h := New()
		for p := data; len(p) > 0; {
			n := min(step, len(p))
			h.Write(p[:n])
			p = p[n:]
		}
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("writes of %d bytes: got %x, want %x", step, got, want)
		}
	}
}

// TestSumKeepsState checks that Sum neither changes the state nor depends
// on the slice it appends to.
func TestSumKeepsState(t *testing.T) {
	data := pseudoRandom(6, 200)
	h := New()
	h.Write(data[:70])
	prefix := []byte("prefix")
	got := h.Sum(prefix)
	want70 := reference(data[:70])
	if !bytes.Equal(got[:len(prefix)], []byte("prefix")) || !bytes.Equal(got[len(prefix):], want70) {
		t.Fatalf("Sum(prefix) = %x, want prefix followed by %x", got, want70)
	}
	h.Write(data[70:])
	if got := h.Sum(nil); !bytes.Equal(got, reference(data)) {
		t.Fatalf("Sum after more writes = %x, want %x", got, reference(data))
	}
	h.Reset()
	h.Write(data[:5])
	if got := h.Sum(nil); !bytes.Equal(got, reference(data[:5])) {
		t.Fatalf("Sum after Reset = %x, want %x", got, reference(data[:5]))
	}
	if h.Size() != Size || h.BlockSize() != BlockSize {
		t.Fatalf("Size, BlockSize = %d, %d; want %d, %d", h.Size(), h.BlockSize(), Size, BlockSize)
	}
}

func TestNoAllocations(t *testing.T) {
	racedetect.SkipAllocs(t)
	data := pseudoRandom(7, 4096+13)
	h := New()
	out := make([]byte, 0, Size)
	allocs := testing.AllocsPerRun(10, func() {
		h.Reset()
		h.Write(data[:7])
		h.Write(data[7:])
		out = h.Sum(out[:0])
		_ = Sum(data)
	})
	if allocs != 0 {
		t.Errorf("Write/Sum allocated %v times per run, want 0", allocs)
	}
}

// FuzzWriteSplits compares random data written in random pieces with
// golang.org/x/crypto/md4 over the whole input.
func FuzzWriteSplits(f *testing.F) {
	f.Add([]byte(""), uint64(0))
	f.Add([]byte("abc"), uint64(1))
	f.Add(pseudoRandom(8, 200), uint64(2))
	f.Add(pseudoRandom(9, 1000), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		want := reference(data)
		r := rand.New(rand.NewPCG(seed, 0))
		h := New()
		for p := data; len(p) > 0; {
			n := r.IntN(min(len(p), 2*BlockSize+1) + 1)
			h.Write(p[:n])
			p = p[n:]
		}
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("split writes of %d bytes: got %x, want %x", len(data), got, want)
		}
		if sum := Sum(data); !bytes.Equal(sum[:], want) {
			t.Fatalf("Sum of %d bytes: got %x, want %x", len(data), sum, want)
		}
	})
}
