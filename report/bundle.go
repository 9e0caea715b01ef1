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

// bundle writes files under a temporary directory beside the output
// directory, hashing them as they are written; [bundle.commit] renames it
// into place once every file is written, so that the output directory
// either holds a whole bundle or does not exist. Paths are leakhunt's own,
// never names from the network. Files are created 0600 and directories
// 0700: they hold addresses and peer ids. Safe for concurrent use.
type bundle struct {
	dir  string // where the bundle goes
	tmp  string // where it is written
	open func(path string) (io.WriteCloser, error)
	mu   sync.Mutex
	sum  map[string]string // slash path → hex sha256
}

// tempPrefix starts the name of a bundle being written.
const tempPrefix = ".leakhunt-report-"

// newBundle starts a bundle for dir, which must not exist or be empty.
func newBundle(dir string, create func(string) (io.WriteCloser, error)) (*bundle, error) {
	if dir == "" {
		return nil, errors.New("no output directory given")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("output directory %q: %w", dir, err)
	case len(entries) > 0:
		return nil, fmt.Errorf("output directory %q is not empty: choose a new one, so that the bundle holds only this report", dir)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix+filepath.Base(filepath.Clean(dir))+"-")
	if err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	if create == nil {
		create = func(p string) (io.WriteCloser, error) {
			return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	return &bundle{dir: dir, tmp: tmp, open: create, sum: map[string]string{}}, nil
}

// discard removes a bundle that will not be completed.
func (b *bundle) discard() { os.RemoveAll(b.tmp) }

// commit syncs the written files and renames the bundle into place.
func (b *bundle) commit() error {
	if err := syncTree(b.tmp); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	// An empty directory given as --out is replaced.
	if err := os.Remove(b.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("output directory %q: %w", b.dir, err)
	}
	if err := os.Rename(b.tmp, b.dir); err != nil {
		return fmt.Errorf("move the bundle into place: %w", err)
	}
	return nil
}

// path is where rel is written.
func (b *bundle) path(rel string) string { return filepath.Join(b.tmp, filepath.FromSlash(rel)) }

// bundleFile is one file being written.
type bundleFile struct {
	*bufio.Writer
	b    *bundle
	rel  string
	f    io.WriteCloser
	h    hash.Hash
	done bool
}

// create starts the file at rel (slash-separated).
func (b *bundle) create(rel string) (*bundleFile, error) {
	if !validRel(rel) {
		return nil, fmt.Errorf("bundle path %q is not valid", rel)
	}
	p := b.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	f, err := b.open(p)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	return &bundleFile{Writer: bufio.NewWriterSize(io.MultiWriter(f, h), 256<<10), b: b, rel: rel, f: f, h: h}, nil
}

// Close flushes and records the file's hash. Files are not synced one by
// one (thousands of fsyncs would dominate the run): the whole bundle is
// synced before it is moved into place.
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
	if err := b.writeRaw(ManifestName, []byte(sb.String())); err != nil {
		return nil, fmt.Errorf("write %s: %w", ManifestName, err)
	}
	return []byte(sb.String()), nil
}

// writeRaw writes a file that MANIFEST does not list (MANIFEST itself and
// its signature).
func (b *bundle) writeRaw(rel string, data []byte) error {
	f, err := b.open(b.path(rel))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
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
	if _, err := os.Lstat(zipPath); err == nil {
		return fmt.Errorf("create zip: %s exists", zipPath)
	}
	f, err := os.CreateTemp(filepath.Dir(zipPath), tempPrefix+"*.zip")
	if err != nil {
		return fmt.Errorf("create zip: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write zip: %w", cerr)
		}
		if err == nil {
			err = os.Rename(f.Name(), zipPath)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	root := filepath.Base(filepath.Clean(b.dir))
	for _, rel := range paths {
		src, err := os.Open(b.path(rel))
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
