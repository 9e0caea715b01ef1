package web

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSlowProbe(t *testing.T) {
	if os.Getenv("SLOWPROBE") == "" {
		t.Skip()
	}
	files, _ := filepath.Glob("testdata/*.html")
	f2, _ := filepath.Glob("testdata/tracker/*.html")
	files = append(files, f2...)
	var seeds [][]byte
	for _, f := range files {
		b, _ := os.ReadFile(f)
		seeds = append(seeds, b)
	}
	base := mustURL(t, "https://site.example/list?page=1")
	r := rand.New(rand.NewPCG(1, 2))
	deadline := time.Now().Add(60 * time.Second)
	worst := time.Duration(0)
	for time.Now().Before(deadline) {
		b := append([]byte(nil), seeds[r.IntN(len(seeds))]...)
		for range r.IntN(6) {
			switch r.IntN(3) {
			case 0: // duplicate a chunk many times
				i := r.IntN(len(b))
				j := min(len(b), i+r.IntN(200)+1)
				chunk := append([]byte(nil), b[i:j]...)
				k := r.IntN(len(b))
				for range r.IntN(200) {
					b = append(b[:k], append(chunk, b[k:]...)...)
				}
			case 1:
				b[r.IntN(len(b))] = byte(r.IntN(256))
			case 2:
				i := r.IntN(len(b))
				b = append(b[:i], b[min(len(b), i+r.IntN(50)):]...)
			}
			if len(b) == 0 {
				b = []byte("x")
			}
		}
		start := time.Now()
		ExtractPage(base, b, "text/html")
		if d := time.Since(start); d > worst {
			worst = d
			t.Logf("len %d took %v", len(b), d)
			if d > 300*time.Millisecond {
				os.WriteFile("/tmp/slowh/slow.html", b, 0o644)
			}
		}
	}
}
