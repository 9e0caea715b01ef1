package fingerprint

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	xmd4 "golang.org/x/crypto/md4"

	"github.com/leakhunt/leakhunt/fingerprint/internal/tiger"
	"github.com/leakhunt/leakhunt/internal/interop"
)

// edgeSizes are the sizes where a chunked hash is most likely to be wrong.
var edgeSizes = []int{0, 1, 1023, 1024, 1025, 16383, 16384, 16385, 9_727_999, 9_728_000, 9_728_001, 19_456_000}

// data returns n deterministic pseudo-random bytes.
func data(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// reference computes every field the slow, obvious way from the whole
// input in memory, with x/crypto's MD4 and a recursive tree over all leaves.
func reference(b []byte) Fingerprint {
	m5, s1, s256 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b)
	fp := Fingerprint{Size: int64(len(b)), MD5: hex.EncodeToString(m5[:]), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
	md4 := func(p []byte) []byte { h := xmd4.New(); h.Write(p); return h.Sum(nil) }
	if len(b) < ED2KChunk {
		fp.ED2K = hex.EncodeToString(md4(b))
	} else {
		var list []byte
		for off := 0; off < len(b); off += ED2KChunk {
			list = append(list, md4(b[off:min(off+ED2KChunk, len(b))])...)
		}
		if len(b)%ED2KChunk == 0 {
			if len(list) == 16 {
				fp.ED2KAlt = hex.EncodeToString(list)
			} else {
				fp.ED2KAlt = hex.EncodeToString(md4(list))
			}
			list = append(list, md4(nil)...)
		}
		fp.ED2K = hex.EncodeToString(md4(list))
	}
	// TTH: leaves, then levels, promoting an odd node.
	var level [][]byte
	for off := 0; off < len(b) || off == 0; off += 1024 {
		s := tiger.Sum(append([]byte{0}, b[off:min(off+1024, len(b))]...))
		level = append(level, s[:])
		if len(b) == 0 {
			break
		}
	}
	for len(level) > 1 {
		var next [][]byte
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			s := tiger.Sum(append(append([]byte{1}, level[i]...), level[i+1]...))
			next = append(next, s[:])
		}
		level = next
	}
	fp.TTH = tthBase32.EncodeToString(level[0])
	// BitTorrent v2: 16 KiB leaves padded with zero hashes to a power of two.
	if len(b) > 0 {
		var leaves [][32]byte
		for off := 0; off < len(b); off += BTv2Block {
			leaves = append(leaves, sha256.Sum256(b[off:min(off+BTv2Block, len(b))]))
		}
		for len(leaves)&(len(leaves)-1) != 0 {
			leaves = append(leaves, [32]byte{})
		}
		for len(leaves) > 1 {
			var next [][32]byte
			for i := 0; i < len(leaves); i += 2 {
				next = append(next, sha256.Sum256(append(leaves[i][:], leaves[i+1][:]...)))
			}
			leaves = next
		}
		fp.BTv2Root = hex.EncodeToString(leaves[0][:])
	}
	return fp
}

func TestReaderMatchesReference(t *testing.T) {
	sizes := append([]int{2, 2047, 2048, 3*1024 + 7, 32768, 49153, 1 << 20, 3<<20 + 5}, edgeSizes...)
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			b := data(n, 1)
			want := reference(b)
			got, err := Reader(bytes.NewReader(b), &Options{BufferSize: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("Reader:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// chopReader returns reads of random lengths, including zero-length ones.
type chopReader struct {
	b []byte
	r *rand.Rand
}

func (c *chopReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), c.r.IntN(40000))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// FuzzReaderEqualsReference checks that the parallel engine equals the
// serial reference for any input, buffer size and read pattern.
func FuzzReaderEqualsReference(f *testing.F) {
	f.Add([]byte{}, uint16(0), uint64(0))
	f.Add([]byte("abc"), uint16(1), uint64(1))
	f.Add(data(70000, 3), uint16(3), uint64(7))
	f.Fuzz(func(t *testing.T, b []byte, buf uint16, seed uint64) {
		want := reference(b)
		got, err := Reader(&chopReader{b: b, r: rand.New(rand.NewPCG(seed, 0))}, &Options{BufferSize: int(buf)})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	})
}

// golden holds values checked against rhash 1.4.3 and libtorrent 2.0.8 for
// data(n, 1), so the engine is checked where those tools are absent.
var golden = map[int]Fingerprint{
	0:        {Size: 0, MD5: "d41d8cd98f00b204e9800998ecf8427e", SHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ED2K: "31d6cfe0d16ae931b73c59d7e0c089c0", ED2KAlt: "", TTH: "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ", BTv2Root: ""},
	1:        {Size: 1, MD5: "dc5eccdcf293db4cfae59a97c28e7596", SHA1: "f195c020a28dfc5f2fb6af256b524ddcd93756ed", SHA256: "1f184f101c67d585ba00d24cfde36863f747fbab9e84af7760ec771e9b36ca51", ED2K: "c6b28db3e0d7b0a306b4da5bc8f284d0", ED2KAlt: "", TTH: "IJTHC653WBLFQSL5W4PU223PFAJHDKODURGEGTI", BTv2Root: "1f184f101c67d585ba00d24cfde36863f747fbab9e84af7760ec771e9b36ca51"},
	1025:     {Size: 1025, MD5: "56619e243e86e3d968e6990e4cfe6a01", SHA1: "c095257b3e1b2856c44b92241a1769d247b60c3a", SHA256: "d7bdda502047d3a91976dc341222f3e48ff307a9b4e393002f5f0acd5a4c130b", ED2K: "94342e2f8f39c85d818919bf097bc38c", ED2KAlt: "", TTH: "XTJYFNCEB2IT3WK6T6JWI6CP7RFZ4A7WFGZL2LI", BTv2Root: "d7bdda502047d3a91976dc341222f3e48ff307a9b4e393002f5f0acd5a4c130b"},
	16385:    {Size: 16385, MD5: "806408d46d3c7391a39becbc51952e63", SHA1: "f8c2ba14daa3fe6a409d6a69836dfb1d38c935fb", SHA256: "9f1e2d1971a0d33ed093def53f54c1466020882e21297922507116a1b33a251f", ED2K: "242da1e3812b7171cf98113f548d7e26", ED2KAlt: "", TTH: "CJVAWLIFJFYHMU6RZNOWHD5KO6KHWM2RIDNR5OA", BTv2Root: "2b8dc4e7b65d5d55b58c4d93c49f688d3caae87a6895d9e1c84817e465a04056"},
	9728000:  {Size: 9728000, MD5: "759d2a7d254826b0fff95a997ced8e2b", SHA1: "747008867ca7049cf46770789a709d233f54e8ad", SHA256: "50148de40061a9d63f0d3000830a2125690a0ff82583969ddd913fe95375dfdd", ED2K: "6311e05f7c4c7cf512f4fa6635cc51e8", ED2KAlt: "9683aade624a682dc1e4f2b80017b83e", TTH: "N6YSI7Y23DCVDSTYUZKUFAYIMF6MLFPYJAQPSXY", BTv2Root: "d3dd3889f3a35c8ee1d7e01b66fded6a22b26f99c029ecfb13abba209a22d953"},
	19456000: {Size: 19456000, MD5: "0e38ead77cd1a890b4f0ccc4a6647e95", SHA1: "91207c46fbb1aadd1db34ed6c43c8fec2431b325", SHA256: "376e088ea3ac134145bb47db4b734fbeaadb7dde0743242bc3671f4d7852c59b", ED2K: "fef94d386f6b25085cad1be9e217122c", ED2KAlt: "73f6a101ab2c243eaf00676a8b7b37c2", TTH: "MG4PJOJBDSZ7FF3HUYCIEF4BUZGOU3U5Z7IPV2I", BTv2Root: "7e4377113f657fccdb4ac87bc94932c13661687298c4e3361dcf21ca1c18cbbe"},
}

func TestGolden(t *testing.T) {
	for n, want := range golden {
		got, err := Reader(bytes.NewReader(data(n, 1)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("size %d:\n got %+v\nwant %+v", n, got, want)
		}
	}
}

func writeSized(t *testing.T, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("f%d.bin", n))
	if err := os.WriteFile(p, data(n, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAgainstRhash compares MD5, SHA-1, SHA-256, ed2k and TTH with rhash, an
// independent C implementation.
func TestAgainstRhash(t *testing.T) {
	interop.Need(t, "rhash") // TestGolden runs without it
	dir := t.TempDir()
	sizes := append(append([]int{}, edgeSizes...), 777, 123457, 5_000_001)
	for _, n := range sizes {
		p := writeSized(t, dir, n)
		out, err := exec.Command("rhash", "--printf=%{md5} %{sha1} %{sha-256} %{ed2k} %{tth}\n", p).Output()
		if err != nil {
			t.Fatalf("rhash: %v", err)
		}
		f := strings.Fields(string(out))
		got, err := File(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{got.MD5, got.SHA1, got.SHA256, got.ED2K, got.TTH}
		for i, name := range []string{"md5", "sha1", "sha256", "ed2k", "tth"} {
			if !strings.EqualFold(f[i], want[i]) {
				t.Errorf("size %d %s: rhash %s, leakhunt %s", n, name, f[i], want[i])
			}
		}
	}
}

// TestAgainstLibtorrent compares the v2 pieces root with libtorrent's.
func TestAgainstLibtorrent(t *testing.T) {
	interop.NeedLibtorrent(t)
	dir := t.TempDir()
	var paths []string
	for _, n := range append(append([]int{}, edgeSizes...), 32768, 32769, 49152, 1<<20+1) {
		paths = append(paths, writeSized(t, dir, n))
	}
	for i, want := range interop.V2Roots(t, paths...) {
		got, err := File(paths[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.BTv2Root != want {
			t.Errorf("%s: libtorrent %s, leakhunt %s", filepath.Base(paths[i]), want, got.BTv2Root)
		}
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "secret")
	if err := os.WriteFile(unreadable, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string
		is   error
	}{
		{fifo, "named pipe", ErrNotRegular},
		{dir, "directory", ErrNotRegular},
		{loop, "too many levels of symbolic links", nil},
		{filepath.Join(dir, "missing"), "no such file", os.ErrNotExist},
	}
	if os.Geteuid() != 0 { // root reads anything
		tests = append(tests, struct {
			path string
			want string
			is   error
		}{unreadable, "permission denied", os.ErrPermission})
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := File(tt.path, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("File(%q) = %v, want an error naming the path and %q", tt.path, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("File(%q) = %v, want errors.Is %v", tt.path, err, tt.is)
			}
		})
	}
}

// TestFileChangedWhileHashing grows the file from the progress callback,
// which runs between reads, as a writer appending to it would.
func TestFileChangedWhileHashing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "growing")
	if err := os.WriteFile(p, data(300_000, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	grown := false
	_, err := File(p, &Options{BufferSize: 64 << 10, OnProgress: func(int64) {
		if grown {
			return
		}
		grown = true
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f.Write([]byte("more"))
		f.Close()
	}})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("File = %v, want ErrChanged", err)
	}
}

func TestProgress(t *testing.T) {
	var last, calls int64
	b := data(1<<20+5, 4)
	if _, err := Reader(bytes.NewReader(b), &Options{BufferSize: 256 << 10, OnProgress: func(done int64) {
		if done <= last {
			t.Errorf("progress went from %d to %d", last, done)
		}
		last = done
		calls++
	}}); err != nil {
		t.Fatal(err)
	}
	if last != int64(len(b)) || calls < 4 {
		t.Fatalf("progress ended at %d after %d calls, want %d after at least 4", last, calls, len(b))
	}
}
