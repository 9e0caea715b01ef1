package tiger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/internal/interop"
)

// rhashSums runs rhash once over files and returns, per path, the Tiger
// (hex) and the TTH (base32) digests decoded to bytes.
func rhashSums(t *testing.T, files []string) (tiger, tth map[string][]byte) {
	t.Helper()
	bin := interop.Need(t, "rhash") // Tiger and TTH against an independent implementation
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--printf", "%{tiger} %{tth} %p\\n"}, files...)
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("rhash: %v", err)
	}
	tiger = make(map[string][]byte)
	tth = make(map[string][]byte)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) != 3 {
			t.Fatalf("rhash printed %q, want 'TIGER TTH PATH'", sc.Text())
		}
		tg, err := hex.DecodeString(f[0])
		if err != nil {
			t.Fatalf("rhash Tiger %q: %v", f[0], err)
		}
		tt, err := base32NoPad.DecodeString(strings.ToUpper(f[1]))
		if err != nil {
			t.Fatalf("rhash TTH %q: %v", f[1], err)
		}
		tiger[f[2]], tth[f[2]] = tg, tt
	}
	if len(tiger) != len(files) {
		t.Fatalf("rhash printed %d digests for %d files", len(tiger), len(files))
	}
	return tiger, tth
}

// TestAgainstRhash compares Tiger and TTH with rhash on files of many
// sizes, including the leaf and tree boundaries and a few large random
// sizes.
func TestAgainstRhash(t *testing.T) {
	sizes := []int{0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 16383, 16384, 16385, 1048576, 1048577}
	for n := 2; n <= 130; n++ {
		sizes = append(sizes, n)
	}
	r := rand.New(rand.NewPCG(20, 21))
	for range 3 {
		sizes = append(sizes, 2_000_000+r.IntN(18_000_001))
	}
	maxSize := 0
	for _, n := range sizes {
		maxSize = max(maxSize, n)
	}
	data := pseudoRandom(22, maxSize)

	dir := t.TempDir()
	files := make([]string, len(sizes))
	for i, n := range sizes {
		files[i] = filepath.Join(dir, fmt.Sprintf("f%03d-%d", i, n))
		if err := os.WriteFile(files[i], data[:n], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wantTiger, wantTTH := rhashSums(t, files)

	for i, n := range sizes {
		sum := Sum(data[:n])
		if !bytes.Equal(sum[:], wantTiger[files[i]]) {
			t.Errorf("Tiger of %d bytes = %x, rhash %x", n, sum, wantTiger[files[i]])
		}
		// Odd-sized writes, as a file reader with an unaligned buffer
		// would make them.
		tr := NewTree()
		for p := data[:n]; len(p) > 0; {
			k := min(len(p), 65536+13)
			tr.Write(p[:k])
			p = p[k:]
		}
		if got := tr.Sum(nil); !bytes.Equal(got, wantTTH[files[i]]) {
			t.Errorf("TTH of %d bytes = %x, rhash %x", n, got, wantTTH[files[i]])
		}
	}
}
