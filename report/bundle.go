package report

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// ManifestName is the file listing every other file's sha256.
const ManifestName = "MANIFEST"

// bundle writes files under a directory, hashing them as they are
// written. Paths are leakhunt's own, never names from the network. Safe
// for concurrent use.
type bundle struct {
	dir string
	mu  sync.Mutex
	sum map[string]string // slash path → hex sha256
}

// newBundle makes dir, which must not exist or be empty.
func newBundle(dir string) (*bundle, error) {
	if dir == "" {
		return nil, errors.New("no output directory given")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("output directory %q: %w", dir, err)
	case len(entries) > 0:
		return nil, fmt.Errorf("output directory %q is not empty: choose a new one, so that the bundle holds only this report", dir)
	}
	return &bundle{dir: dir, sum: map[string]string{}}, nil
}

// bundleFile is one file being written.
type bundleFile struct {
	*bufio.Writer
	b    *bundle
	rel  string
	f    *os.File
	h    hash.Hash
	done bool
}

// create starts the file at rel (slash-separated).
func (b *bundle) create(rel string) (*bundleFile, error) {
	if !validRel(rel) {
		return nil, fmt.Errorf("bundle path %q is not valid", rel)
	}
	p := filepath.Join(b.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	return &bundleFile{Writer: bufio.NewWriterSize(io.MultiWriter(f, h), 64<<10), b: b, rel: rel, f: f, h: h}, nil
}

// Close flushes and records the file's hash. Files are not synced one by
// one (thousands of fsyncs would dominate the run); a bundle cut short
// by a crash fails verification.
func (w *bundleFile) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	err := w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", w.rel, err)
	}
	w.b.mu.Lock()
	w.b.sum[w.rel] = hex.EncodeToString(w.h.Sum(nil))
	w.b.mu.Unlock()
	return nil
}

// abort closes without recording (after an error).
func (w *bundleFile) abort() {
	if !w.done {
		w.done = true
		w.f.Close()
	}
}

// writeFile writes a whole file.
func (b *bundle) writeFile(rel string, data []byte) error {
	w, err := b.create(rel)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.abort()
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return w.Close()
}

// writeManifest writes MANIFEST: "sha256  path" per file, sorted by path.
func (b *bundle) writeManifest() ([]byte, error) {
	b.mu.Lock()
	paths := make([]string, 0, len(b.sum))
	for p := range b.sum {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var sb strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&sb, "%s  %s\n", b.sum[p], p)
	}
	b.mu.Unlock()
	p := filepath.Join(b.dir, ManifestName)
	if err := writeSynced(p, []byte(sb.String())); err != nil {
		return nil, fmt.Errorf("write %s: %w", ManifestName, err)
	}
	return []byte(sb.String()), nil
}

// writeSynced writes a new file and syncs it.
func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// validRel reports whether rel is a clean relative slash path inside the
// bundle.
func validRel(rel string) bool {
	if rel == "" || rel == ManifestName || rel == ManifestSigName || strings.HasPrefix(rel, "/") || strings.Contains(rel, "\\") || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || rel == ".." {
		return false
	}
	for _, r := range rel {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// ParseManifest reads MANIFEST lines "HEX64  PATH" into a map.
func ParseManifest(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		sum, rel, ok := strings.Cut(s, "  ")
		if !ok || len(sum) != 64 || !validRel(rel) {
			return nil, fmt.Errorf("%s line %d: want \"SHA256  PATH\"", ManifestName, line)
		}
		if _, err := hex.DecodeString(sum); err != nil || strings.ToLower(sum) != sum {
			return nil, fmt.Errorf("%s line %d: bad sha256", ManifestName, line)
		}
		if _, dup := out[rel]; dup {
			return nil, fmt.Errorf("%s line %d: %s listed twice", ManifestName, line, rel)
		}
		out[rel] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s line %d: %w", ManifestName, line+1, err)
	}
	return out, nil
}

// writeZip archives the bundle (MANIFEST included) to zipPath, every
// entry under the bundle directory's base name.
func (b *bundle) writeZip(zipPath string) (err error) {
	b.mu.Lock()
	paths := make([]string, 0, len(b.sum)+1)
	for p := range b.sum {
		paths = append(paths, p)
	}
	b.mu.Unlock()
	paths = append(paths, ManifestName, ManifestSigName)
	sort.Strings(paths)
	f, err := os.OpenFile(zipPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create zip: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write zip: %w", cerr)
		}
		if err != nil {
			os.Remove(zipPath)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	root := filepath.Base(filepath.Clean(b.dir))
	for _, rel := range paths {
		src, err := os.Open(filepath.Join(b.dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("zip %s: %w", rel, err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: root + "/" + rel, Method: zip.Deflate})
		if err == nil {
			_, err = io.Copy(w, src)
		}
		src.Close()
		if err != nil {
			return fmt.Errorf("zip %s: %w", rel, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	return f.Sync()
}
