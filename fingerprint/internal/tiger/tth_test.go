package tiger

import (
	"bytes"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/leakhunt/leakhunt/internal/racedetect"
)

// base32NoPad is the alphabet of urn:tree:tiger and of rhash --tth.
var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// patterned returns n bytes with byte i = i mod 251, so that no two leaves
// of a golden input are equal.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// TestTreeGolden checks fixed roots, computed once with rhash 1.4.3. The
// 'A' rows of 1024 and 1025 bytes are also the published THEX examples.
func TestTreeGolden(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string // hex
	}{
		{"empty", nil, "5d9ed00a030e638bdb753a6a24fb900e5a63b8e73e6c25b6"},
		{"1 byte A", []byte("A"), "2ef661ce4d28b0b94251deae541f6340c32097868ae9ff54"},
		{"1 byte pattern", patterned(1), "aabbcca084acecd0511d1f6232a17bfaefa441b2982e5548"},
		{"1024 A", bytes.Repeat([]byte("A"), 1024), "5fbd0e62ad016d596b77d1d28883b94fed78ecbaf4640914"},
		{"1024 pattern", patterned(1024), "83dce52272d3285da8caf865f91288a27afcec44920a350f"},
		{"1025 A", bytes.Repeat([]byte("A"), 1025), "7e591c1cd8f2e6121fdbcd8071ba279626b771642d10a3db"},
		{"1025 pattern", patterned(1025), "50022ffc86303f02a18b0b954fe64f2696fdbe834f6156cc"},
		{"3079 A", bytes.Repeat([]byte("A"), 3*1024+7), "4714333fd736276cddd5e20816f8bf01e879b4022b50fc53"},
		{"3079 pattern", patterned(3*1024 + 7), "2ef916f856114ee401efb1a3a24315b9b5bb1362c5a38364"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := TreeSum(tt.in)
			if got := hex.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("TreeSum = %s, want %s", got, tt.want)
			}
			tr := NewTree()
			tr.Write(tt.in)
			if got := hex.EncodeToString(tr.Sum(nil)); got != tt.want {
				t.Errorf("Tree.Sum = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestTreeBase32 checks the textual forms known from THEX and magnet links.
func TestTreeBase32(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"},
		{bytes.Repeat([]byte("A"), 1024), "L66Q4YVNAFWVS23X2HJIRA5ZJ7WXR3F26RSASFA"},
		{bytes.Repeat([]byte("A"), 1025), "PZMRYHGY6LTBEH63ZWAHDORHSYTLO4LEFUIKHWY"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(len(tt.in)), func(t *testing.T) {
			sum := TreeSum(tt.in)
			if got := base32NoPad.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("TreeSum(%d bytes) = %s, want %s", len(tt.in), got, tt.want)
			}
		})
	}
}

// TestTreeDefinitions checks the pieces of the definition with the
// general-purpose Tiger.
func TestTreeDefinitions(t *testing.T) {
	if got, want := TreeSum(nil), Sum([]byte{0}); got != want {
		t.Errorf("empty tree = %x, want Tiger(0x00) = %x", got, want)
	}
	leaf := pseudoRandom(10, LeafSize)
	if got, want := leafHash((*[LeafSize]byte)(leaf)), Sum(append([]byte{0}, leaf...)); got != want {
		t.Errorf("leafHash = %x, want Tiger(0x00‖leaf) = %x", got, want)
	}
	l, r := Sum([]byte("left")), Sum([]byte("right"))
	node := append(append([]byte{1}, l[:]...), r[:]...)
	if got, want := nodeHash(&l, &r), Sum(node); got != want {
		t.Errorf("nodeHash = %x, want Tiger(0x01‖l‖r) = %x", got, want)
	}
}

// referenceTree builds the tree level by level, promoting odd nodes, with
// all leaves in memory: an independent statement of the definition.
func referenceTree(data []byte) [Size]byte {
	var level [][Size]byte
	for off := 0; off == 0 || off < len(data); off += LeafSize {
		end := min(off+LeafSize, len(data))
		level = append(level, Sum(append([]byte{0}, data[off:end]...)))
	}
	for len(level) > 1 {
		var next [][Size]byte
		for i := 0; i+1 < len(level); i += 2 {
			msg := append(append([]byte{1}, level[i][:]...), level[i+1][:]...)
			next = append(next, Sum(msg))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

func TestTreeAgainstReference(t *testing.T) {
	data := pseudoRandom(11, 40*LeafSize+100)
	sizes := []int{0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 4096, 5 * 1024, 7*1024 + 1, 8 * 1024, 9*1024 - 1, 16383, 16384, 16385, 33*1024 + 5, len(data)}
	r := rand.New(rand.NewPCG(12, 13))
	for range 20 {
		sizes = append(sizes, r.IntN(len(data)+1))
	}
	for _, n := range sizes {
		want := referenceTree(data[:n])
		if got := TreeSum(data[:n]); got != want {
			t.Errorf("TreeSum of %d bytes = %x, want %x", n, got, want)
		}
	}
}

func TestTreeIncremental(t *testing.T) {
	// Root between writes, Reset, and a Tree reused after Reset.
	data := pseudoRandom(14, 10*LeafSize+3)
	tr := NewTree()
	for n := 0; n < len(data); {
		step := min(700, len(data)-n)
		tr.Write(data[n : n+step])
		n += step
		if got, want := tr.Root(), TreeSum(data[:n]); got != want {
			t.Fatalf("Root after %d bytes = %x, want %x", n, got, want)
		}
	}
	tr.Reset()
	if got, want := tr.Root(), TreeSum(nil); got != want {
		t.Fatalf("Root after Reset = %x, want %x", got, want)
	}
	tr.Write(data[:5])
	if got, want := tr.Root(), TreeSum(data[:5]); got != want {
		t.Fatalf("Root after Reset and write = %x, want %x", got, want)
	}
	if tr.Size() != Size || tr.BlockSize() != LeafSize {
		t.Fatalf("Size, BlockSize = %d, %d; want %d, %d", tr.Size(), tr.BlockSize(), Size, LeafSize)
	}
}

func TestTreeNoAllocations(t *testing.T) {
	racedetect.SkipAllocs(t)
	data := pseudoRandom(15, 20*LeafSize+17)
	tr := NewTree()
	out := make([]byte, 0, Size)
	allocs := testing.AllocsPerRun(10, func() {
		tr.Reset()
		tr.Write(data[:100])
		tr.Write(data[100:])
		out = tr.Sum(out[:0])
		_ = TreeSum(data)
	})
	if allocs != 0 {
		t.Errorf("Write/Sum allocated %v times per run, want 0", allocs)
	}
}

// FuzzTreeWriteSplits checks that any split of the input into writes gives
// the one-shot result, and that the one-shot result follows the definition.
func FuzzTreeWriteSplits(f *testing.F) {
	f.Add([]byte(""), uint64(0))
	f.Add([]byte(strings.Repeat("A", 1025)), uint64(1))
	f.Add(pseudoRandom(16, 3*LeafSize+7), uint64(2))
	f.Add(pseudoRandom(17, 4*LeafSize), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		want := TreeSum(data)
		if ref := referenceTree(data); want != ref {
			t.Fatalf("TreeSum of %d bytes = %x, reference %x", len(data), want, ref)
		}
		r := rand.New(rand.NewPCG(seed, 1))
		tr := NewTree()
		for p := data; len(p) > 0; {
			n := r.IntN(min(len(p), 2*LeafSize+1) + 1)
			tr.Write(p[:n])
			p = p[n:]
		}
		if got := tr.Root(); got != want {
			t.Fatalf("split writes of %d bytes = %x, want %x", len(data), got, want)
		}
	})
}
