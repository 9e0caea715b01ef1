package tiger

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/internal/racedetect"
)

// pseudoRandom returns n deterministic pseudo-random bytes.
func pseudoRandom(seed uint64, n int) []byte {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// TestVectors uses the published vectors of the original Tiger (Tiger
// home page and NESSIE).
func TestVectors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "3293ac630c13f0245f92bbb1766e16167a4e58492dde73f3"},
		{"a", "a", "77befbef2e7ef8ab2ec8f93bf587a7fc613e247f5f247809"},
		{"abc", "abc", "2aab1484e8c158f2bfb8c5ff41b57a525129131c957b5f93"},
		{"Tiger", "Tiger", "dd00230799f5009fec6debc838bb6a27df2b9d6f110c7937"},
		{"message digest", "message digest", "d981f8cb78201a950dcf3048751e441c517fca1aa55a29f6"},
		{"alphabet", "abcdefghijklmnopqrstuvwxyz", "1714a472eee57d30040412bfcc55032a0b11602ff37beee9"},
		{"abcdbcde", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "0f7bf9a19b9c58f2b7610df7e84f0ac3a71c631e7b53f78e"},
		{"alphanumeric", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "8dcea680a17583ee502ba38a3c368651890ffbccdc49a8cc"},
		{"8x1234567890", strings.Repeat("1234567890", 8), "1c14795529fd9f207a958f84c52f11e887fa0cabdfd91bfd"},
		{"quick brown fox", "The quick brown fox jumps over the lazy dog", "6d12a41e72e644f017b6f0e2f7b44c6285f06dd5d2c5b075"},
		{"million a", strings.Repeat("a", 1000000), "6db0e2729cbead93d715c6a7d36302e9b3cee0d2bc314b41"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := Sum([]byte(tt.in))
			if got := hex.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("Sum = %s, want %s", got, tt.want)
			}
			h := New()
			for p := []byte(tt.in); len(p) > 0; p = p[min(len(p), 7):] {
				h.Write(p[:min(len(p), 7)])
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
				t.Errorf("New().Sum after 7-byte writes = %s, want %s", got, tt.want)
			}
		})
	}
}

// referenceBlock is a plain, looped Tiger compression function written
// from the specification, used to check the unrolled one.
func referenceBlock(s *[3]uint64, block []byte) {
	var x [8]uint64
	for i := range x {
		x[i] = binary.LittleEndian.Uint64(block[8*i:])
	}
	st := [3]uint64{s[0], s[1], s[2]} // a, b, c
	round := func(ia, ib, ic int, w, mul uint64) {
		c := st[ic] ^ w
		st[ic] = c
		st[ia] -= t1[byte(c)] ^ t2[byte(c>>16)] ^ t3[byte(c>>32)] ^ t4[byte(c>>48)]
		st[ib] += t4[byte(c>>8)] ^ t3[byte(c>>24)] ^ t2[byte(c>>40)] ^ t1[byte(c>>56)]
		st[ib] *= mul
	}
	pass := func(ia, ib, ic int, mul uint64) {
		r := [3]int{ia, ib, ic}
		for i := range 8 {
			round(r[0], r[1], r[2], x[i], mul)
			r = [3]int{r[1], r[2], r[0]}
		}
	}
	schedule := func() {
		x[0] -= x[7] ^ 0xa5a5a5a5a5a5a5a5
		x[1] ^= x[0]
		x[2] += x[1]
		x[3] -= x[2] ^ (^x[1] << 19)
		x[4] ^= x[3]
		x[5] += x[4]
		x[6] -= x[5] ^ (^x[4] >> 23)
		x[7] ^= x[6]
		x[0] += x[7]
		x[1] -= x[0] ^ (^x[7] << 19)
		x[2] ^= x[1]
		x[3] += x[2]
		x[4] -= x[3] ^ (^x[2] >> 23)
		x[5] ^= x[4]
		x[6] += x[5]
		x[7] -= x[6] ^ 0x0123456789abcdef
	}
	pass(0, 1, 2, 5)
	schedule()
	pass(2, 0, 1, 7)
	schedule()
	pass(1, 2, 0, 9)
	s[0] ^= st[0]
	s[1] = st[1] - s[1]
	s[2] += st[2]
}

// referenceSum pads the whole message at once and runs referenceBlock.
func referenceSum(msg []byte) []byte {
	padded := append(bytes.Clone(msg), 0x01)
	for len(padded)%BlockSize != BlockSize-8 {
		padded = append(padded, 0)
	}
	padded = binary.LittleEndian.AppendUint64(padded, uint64(len(msg))*8)
	s := [3]uint64{init0, init1, init2}
	for p := padded; len(p) > 0; p = p[BlockSize:] {
		referenceBlock(&s, p[:BlockSize])
	}
	out := output(&s)
	return out[:]
}

func TestReferenceAgreesWithVectors(t *testing.T) {
	// The reference must itself be right for the comparison to mean much.
	got := hex.EncodeToString(referenceSum([]byte("abc")))
	if want := "2aab1484e8c158f2bfb8c5ff41b57a525129131c957b5f93"; got != want {
		t.Fatalf("referenceSum(abc) = %s, want %s", got, want)
	}
}

func TestAgainstReference(t *testing.T) {
	data := pseudoRandom(1, 70000)
	lengths := []int{65535, 65536, 70000}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		want := referenceSum(data[:n])
		if sum := Sum(data[:n]); !bytes.Equal(sum[:], want) {
			t.Fatalf("Sum of %d bytes = %x, want %x", n, sum, want)
		}
		h := New()
		h.Write(data[:n/3])
		h.Write(data[n/3 : n])
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("New().Sum of %d bytes in two writes = %x, want %x", n, got, want)
		}
	}
}

func TestSumKeepsState(t *testing.T) {
	data := pseudoRandom(2, 300)
	h := New()
	h.Write(data[:100])
	got := h.Sum([]byte("x"))
	want := Sum(data[:100])
	if got[0] != 'x' || !bytes.Equal(got[1:], want[:]) {
		t.Fatalf("Sum(x) = %x, want 'x' then %x", got, want)
	}
	h.Write(data[100:])
	if got, want := h.Sum(nil), Sum(data); !bytes.Equal(got, want[:]) {
		t.Fatalf("Sum after more writes = %x, want %x", got, want)
	}
	h.Reset()
	if got, want := h.Sum(nil), Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("Sum after Reset = %x, want %x", got, want)
	}
	if h.Size() != Size || h.BlockSize() != BlockSize {
		t.Fatalf("Size, BlockSize = %d, %d; want %d, %d", h.Size(), h.BlockSize(), Size, BlockSize)
	}
}

func TestNoAllocations(t *testing.T) {
	racedetect.SkipAllocs(t)
	data := pseudoRandom(3, 4096+13)
	h := New()
	out := make([]byte, 0, Size)
	allocs := testing.AllocsPerRun(10, func() {
		h.Reset()
		h.Write(data[:9])
		h.Write(data[9:])
		out = h.Sum(out[:0])
		_ = Sum(data)
	})
	if allocs != 0 {
		t.Errorf("Write/Sum allocated %v times per run, want 0", allocs)
	}
}

// FuzzWriteSplits checks that random data written in random pieces hashes
// like the one-shot Sum and like the looped reference.
func FuzzWriteSplits(f *testing.F) {
	f.Add([]byte(""), uint64(0))
	f.Add([]byte("Tiger"), uint64(1))
	f.Add(pseudoRandom(4, 200), uint64(2))
	f.Add(pseudoRandom(5, 1000), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		want := referenceSum(data)
		if sum := Sum(data); !bytes.Equal(sum[:], want) {
			t.Fatalf("Sum of %d bytes = %x, want %x", len(data), sum, want)
		}
		r := rand.New(rand.NewPCG(seed, 0))
		h := New()
		for p := data; len(p) > 0; {
			n := r.IntN(min(len(p), 2*BlockSize+1) + 1)
			h.Write(p[:n])
			p = p[n:]
		}
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("split writes of %d bytes = %x, want %x", len(data), got, want)
		}
	})
}
