package fingerprint

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"

	"golang.org/x/text/encoding"

	"github.com/leakhunt/leakhunt/internal/bscan"
	"github.com/leakhunt/leakhunt/internal/display"
)

// Limits applied by [ParseTorrentFile] and [ParseInfo] on top of the
// bencode pre-check.
const (
	// MaxTorrentFiles is the most file entries (pad files included) a
	// torrent may list.
	MaxTorrentFiles = 500_000
	// MaxTorrentPieces is the most pieces a torrent may have, as libtorrent.
	MaxTorrentPieces = 2_000_000
	// MaxTorrentLength is the largest total size, and the largest file: 2^48-1
	// bytes, as libtorrent.
	MaxTorrentLength = 1<<48 - 1
	// MaxPieceLength is the largest piece length accepted.
	MaxPieceLength = 1 << 29
	// MaxTrackers is the most tracker URLs kept from a torrent or link.
	MaxTrackers = 64

	maxTrackerLen = 1024
	v2BlockSize   = 16 << 10
)

// ErrTorrent is wrapped by every error [ParseTorrentFile] and [ParseInfo]
// return for invalid input (bencode errors wrap [ErrBencode] as well).
var ErrTorrent = errors.New("invalid torrent")

// Version says which BitTorrent protocol versions a torrent supports.
type Version int

// Torrent versions.
const (
	V1     Version = 1 // BEP 3 only: pieces of the concatenated files
	V2     Version = 2 // BEP 52 only: a pieces root per file
	Hybrid Version = 3 // both, with pad files aligning every file
)

// String returns "v1", "v2" or "hybrid".
func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2:
		return "v2"
	case Hybrid:
		return "hybrid"
	}
	return fmt.Sprintf("Version(%d)", int(v))
}

// Torrent is the content of a torrent's info dictionary, checked and
// decoded. Names and paths are sanitized for display and must never be used
// to create files. A Torrent is not modified after parsing and is safe to
// share between goroutines.
type Torrent struct {
	// InfoHash is the SHA-1 of InfoBytes, or for a pure v2 torrent the
	// first 20 bytes of InfoHashV2 (as BEP 52 does for the DHT).
	InfoHash InfoHash
	// InfoHashV2 is the SHA-256 of InfoBytes for v2 and hybrid torrents.
	InfoHashV2 InfoHashV2
	// Name is the torrent's name, sanitized for display.
	Name string
	// PieceLength is the piece size in bytes.
	PieceLength int64
	// Pieces are the v1 SHA-1 piece hashes (nil for pure v2).
	Pieces [][sha1.Size]byte
	// Files lists the files in v1 order with pad files (v1, hybrid) or in
	// file-tree order (v2). A single-file torrent has one file whose Path is
	// the name.
	Files []TorrentFile
	// TotalLength is the length of the v1 piece stream, pad files included;
	// for pure v2 the sum of file lengths.
	TotalLength int64
	// Trackers are announce and announce-list URLs, deduplicated, at most
	// [MaxTrackers]; empty for [ParseInfo].
	Trackers []string
	// InfoBytes is the info dictionary exactly as it was in the input.
	InfoBytes []byte
	// Version is V1, V2 or Hybrid.
	Version Version
}

// TorrentFile is one file of a [Torrent].
type TorrentFile struct {
	// Path is the path inside the torrent, components joined with "/",
	// sanitized for display: no empty, "." or ".." components, no "/" or "\"
	// inside a component, control and format characters escaped as \xNN or
	// \uNNNN. For a multi-file torrent it excludes the torrent's name.
	Path string
	// Length is the file size in bytes (0 for symlinks, as libtorrent).
	Length int64
	// Offset is where the file starts in the v1 piece stream (pad files
	// counted). For pure v2 torrents it is the offset the file would have
	// with every file aligned to a piece boundary.
	Offset int64
	// Pad marks a BEP 47 pad file (attr "p"); pad files are never matched.
	Pad bool
	// Symlink marks a BEP 47 symlink (attr "l"); it carries no data.
	Symlink bool
	// PiecesRoot is the BEP 52 pieces root (32 bytes), or nil.
	PiecesRoot []byte
}

// ParseTorrentFile checks and decodes a whole .torrent file: [CheckBencode]
// with [TorrentFileLimits] first (trailing white space ignored), then the
// typed fields. v2 piece layers,
// when present, are checked against the pieces roots. It is safe for
// concurrent use and never panics on any input.
func ParseTorrentFile(b []byte) (*Torrent, error) {
	// Some creators end the file with a newline; a dictionary ends in 'e',
	// so trailing white space is never part of the value.
	b = bytes.TrimRight(b, " \t\r\n")
	if err := CheckBencode(b, TorrentFileLimits()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTorrent, err)
	}
	v := bscan.View(b)
	if !v.IsDict(0) {
		return nil, fmt.Errorf("%w: not a dictionary", ErrTorrent)
	}
	info, layers := -1, -1
	var trackers []string
	var encodingLabel []byte
	err := v.Dict(0, func(k []byte, i int) error {
		switch string(k) {
		case "encoding":
			encodingLabel, _ = v.Str(i)
		case "info":
			if info < 0 {
				info = i
			}
		case "piece layers":
			if layers < 0 {
				layers = i
			}
		case "announce":
			if s, err := v.Str(i); err == nil {
				trackers = addTracker(trackers, s)
			}
		case "announce-list":
			_ = v.List(i, func(tier int) error {
				return v.List(tier, func(u int) error {
					if s, err := v.Str(u); err == nil {
						trackers = addTracker(trackers, s)
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTorrent, err)
	}
	if info < 0 {
		return nil, fmt.Errorf("%w: no info dictionary", ErrTorrent)
	}
	if !v.IsDict(info) {
		return nil, fmt.Errorf("%w: info is not a dictionary", ErrTorrent)
	}
	t, err := parseInfo(bytes.Clone(v[info:v.End(info)]), nameDecoder(encodingLabel))
	if err != nil {
		return nil, err
	}
	if layers >= 0 && t.Version != V1 {
		if err := checkPieceLayers(v, layers, t); err != nil {
			return nil, err
		}
	}
	t.Trackers = trackers
	return t, nil
}

// ParseInfo checks and decodes a raw info dictionary, as fetched from peers
// (BEP 9): [CheckBencode] with [MetadataLimits] first. The caller checks the
// infohash against the one it asked for. Safe for concurrent use.
func ParseInfo(info []byte) (*Torrent, error) {
	if err := CheckBencode(info, MetadataLimits()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTorrent, err)
	}
	if !bscan.View(info).IsDict(0) {
		return nil, fmt.Errorf("%w: info is not a dictionary", ErrTorrent)
	}
	return parseInfo(bytes.Clone(info), nil)
}

// rawInfo holds the info dictionary fields before validation.
type rawInfo struct {
	name, pieces      []byte
	nameSet, piecesOK bool
	pieceLength       int64
	hasPieceLength    bool
	length            int64
	hasLength         bool
	files, fileTree   int
	metaVersion       int64
}

// rawFile is one file entry before sanitizing. path excludes the torrent's
// name for multi-file torrents.
type rawFile struct {
	path     [][]byte
	length   int64
	pad      bool
	symlink  bool
	root     []byte
	hasRoot  bool
	isSingle bool
}

func tErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrTorrent}, a...)...)
}

// parseInfo decodes pre-checked info bytes; raw is kept as InfoBytes. dec,
// when not nil, decodes the name and v1 paths from the charset the
// .torrent's "encoding" names, where no name.utf-8 or path.utf-8 is given.
func parseInfo(raw []byte, dec *encoding.Decoder) (*Torrent, error) {
	v := bscan.View(raw)
	ri, nameUTF8, err := readInfoFields(v)
	if err != nil {
		return nil, err
	}
	if validUTF8Name(nameUTF8) {
		ri.name, ri.nameSet = nameUTF8, true
	} else {
		ri.name = decodeName(dec, ri.name)
	}
	if !ri.nameSet || len(bytes.Trim(ri.name, "\x00 \t\r\n")) == 0 {
		return nil, tErr("missing name")
	}
	if !ri.hasPieceLength || ri.pieceLength <= 0 || ri.pieceLength > MaxPieceLength {
		return nil, tErr("missing or invalid piece length")
	}
	t := &Torrent{Name: sanitizeComponent(ri.name), PieceLength: ri.pieceLength, InfoBytes: raw}
	switch ri.metaVersion {
	case 1:
		t.Version = V1
	case 2:
		if ri.fileTree < 0 {
			return nil, tErr("meta version 2 without a file tree")
		}
		if ri.pieceLength < v2BlockSize || bits.OnesCount64(uint64(ri.pieceLength)) != 1 {
			return nil, tErr("v2 piece length %d is not a power of two of at least 16 KiB", ri.pieceLength)
		}
		t.Version = V2
		if ri.piecesOK || ri.files >= 0 || ri.hasLength {
			t.Version = Hybrid
		}
	default:
		return nil, tErr("unsupported meta version %d", ri.metaVersion)
	}

	var v1files, v2files []rawFile
	if t.Version != V2 {
		if v1files, err = parseV1Files(v, &ri, dec); err != nil {
			return nil, err
		}
	}
	if t.Version != V1 {
		if v2files, err = parseFileTree(v, ri.fileTree); err != nil {
			return nil, err
		}
	}
	switch t.Version {
	case V1:
		err = t.layoutV1(v1files, ri.pieces)
	case V2:
		err = t.layoutV2(v2files)
	case Hybrid:
		if err = t.layoutV1(v1files, ri.pieces); err == nil {
			err = t.attachRoots(v1files, v2files)
		}
	}
	if err != nil {
		return nil, err
	}
	if t.Version == V1 || t.Version == Hybrid {
		h := sha1.Sum(raw)
		t.InfoHash = InfoHash(h)
	}
	if t.Version != V1 {
		h := sha256.Sum256(raw)
		t.InfoHashV2 = InfoHashV2(h)
		if t.Version == V2 {
			t.InfoHash = t.InfoHashV2.Truncated()
		}
	}
	return t, nil
}

// readInfoFields reads the fields of the info dictionary at the start of
// v; nameUTF8 is its name.utf-8, when that is a string.
func readInfoFields(v bscan.View) (ri rawInfo, nameUTF8 []byte, err error) {
	ri = rawInfo{files: -1, fileTree: -1, metaVersion: 1}
	err = v.Dict(0, func(k []byte, i int) error {
		var err error
		switch string(k) {
		case "name":
			ri.name, err = v.Str(i)
			if err != nil {
				return tErr("name is not a string")
			}
			ri.nameSet = true
		case "name.utf-8":
			if s, err := v.Str(i); err == nil {
				nameUTF8 = s
			}
		case "piece length":
			ri.pieceLength, err = v.Int(i)
			if err != nil {
				return tErr("piece length: %v", err)
			}
			ri.hasPieceLength = true
		case "pieces":
			ri.pieces, err = v.Str(i)
			if err != nil {
				return tErr("pieces is not a string")
			}
			ri.piecesOK = true
		case "length":
			ri.length, err = v.Int(i)
			if err != nil {
				return tErr("length: %v", err)
			}
			ri.hasLength = true
		case "files":
			ri.files = i
		case "file tree":
			ri.fileTree = i
		case "meta version":
			ri.metaVersion, err = v.Int(i)
			if err != nil {
				return tErr("meta version: %v", err)
			}
		}
		return nil
	})
	return ri, nameUTF8, err
}

// parseV1Files reads "length" (single file) or "files" (multi-file),
// decoding paths with dec (if not nil) where no path.utf-8 is given.
func parseV1Files(v bscan.View, ri *rawInfo, dec *encoding.Decoder) ([]rawFile, error) {
	if !ri.piecesOK {
		return nil, tErr("missing pieces")
	}
	if ri.files < 0 {
		if !ri.hasLength {
			return nil, tErr("neither length nor files")
		}
		if ri.length < 0 || ri.length > MaxTorrentLength {
			return nil, tErr("invalid length %d", ri.length)
		}
		return []rawFile{{path: [][]byte{ri.name}, length: ri.length, isSingle: true}}, nil
	}
	var files []rawFile
	err := v.List(ri.files, func(fi int) error {
		if len(files) >= MaxTorrentFiles {
			return tErr("more than %d files", MaxTorrentFiles)
		}
		if !v.IsDict(fi) {
			return tErr("file entry is not a dictionary")
		}
		var f rawFile
		var hasLen, hasPath bool
		var pathUTF8 [][]byte
		err := v.Dict(fi, func(k []byte, i int) error {
			var err error
			switch string(k) {
			case "length":
				if f.length, err = v.Int(i); err != nil {
					return tErr("file length: %v", err)
				}
				hasLen = true
			case "path":
				if f.path, err = strList(v, i); err != nil {
					return tErr("file path: %v", err)
				}
				hasPath = true
			case "path.utf-8":
				pathUTF8, _ = strList(v, i)
			case "attr":
				a, err := v.Str(i)
				if err != nil {
					return tErr("file attr is not a string")
				}
				f.pad = bytes.IndexByte(a, 'p') >= 0
				f.symlink = bytes.IndexByte(a, 'l') >= 0
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !hasLen && f.symlink {
			hasLen = true // a symlink carries no data
		}
		if !hasLen || f.length < 0 || f.length > MaxTorrentLength {
			return tErr("missing or invalid file length")
		}
		if !hasPath && !f.pad {
			return tErr("file without a path")
		}
		if len(pathUTF8) > 0 && allValidUTF8(pathUTF8) {
			f.path = pathUTF8
		} else {
			for i, c := range f.path {
				f.path[i] = decodeName(dec, c)
			}
		}
		if !f.pad && len(f.path) > 0 && bytes.HasPrefix(f.path[0], []byte(".____padding_file")) {
			f.pad = true
		}
		if f.symlink {
			f.length = 0
		}
		files = append(files, f)
		return nil
	})
	if errors.Is(err, bscan.ErrType) {
		return nil, tErr("files is not a list")
	}
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, tErr("no files")
	}
	return files, nil
}

func strList(v bscan.View, i int) ([][]byte, error) {
	var out [][]byte
	err := v.List(i, func(e int) error {
		s, err := v.Str(e)
		if err != nil {
			return errors.New("element is not a string")
		}
		out = append(out, s)
		return nil
	})
	if errors.Is(err, bscan.ErrType) {
		return nil, errors.New("not a list")
	}
	return out, err
}

// parseFileTree walks a BEP 52 file tree. Its depth is bounded by the
// bencode pre-check, so the recursion is too.
func parseFileTree(v bscan.View, root int) ([]rawFile, error) {
	var files []rawFile
	var path [][]byte
	var walk func(node int, top bool) error
	walk = func(node int, top bool) error {
		if !v.IsDict(node) {
			return tErr("file tree node is not a dictionary")
		}
		var prev []byte
		first := true
		return v.Dict(node, func(k []byte, i int) error {
			if !first && bytes.Compare(prev, k) >= 0 {
				return tErr("file tree keys are not in order")
			}
			first, prev = false, k
			if len(k) == 0 {
				if top {
					return tErr("file tree has an empty file name")
				}
				return tErr("file tree mixes a file and a directory")
			}
			if !v.IsDict(i) {
				return tErr("file tree node is not a dictionary")
			}
			// A file is a dictionary whose only key is "".
			leaf := -1
			n := 0
			_ = v.Dict(i, func(k2 []byte, j int) error {
				n++
				if len(k2) == 0 {
					leaf = j
				}
				return nil
			})
			path = append(path, k)
			defer func() { path = path[:len(path)-1] }()
			if leaf < 0 {
				if n == 0 {
					return tErr("empty directory in file tree")
				}
				return walk(i, false)
			}
			if n != 1 {
				return tErr("file tree mixes a file and a directory")
			}
			if len(files) >= MaxTorrentFiles {
				return tErr("more than %d files", MaxTorrentFiles)
			}
			f, err := parseLeaf(v, leaf)
			if err != nil {
				return err
			}
			f.path = append([][]byte(nil), path...)
			files = append(files, f)
			return nil
		})
	}
	if err := walk(root, true); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, tErr("no files")
	}
	if len(files) == 1 && len(files[0].path) == 1 {
		files[0].isSingle = true
	}
	return files, nil
}

func parseLeaf(v bscan.View, leaf int) (rawFile, error) {
	var f rawFile
	if !v.IsDict(leaf) {
		return f, tErr("file tree entry is not a dictionary")
	}
	hasLen := false
	err := v.Dict(leaf, func(k []byte, i int) error {
		var err error
		switch string(k) {
		case "length":
			if f.length, err = v.Int(i); err != nil {
				return tErr("file length: %v", err)
			}
			hasLen = true
		case "pieces root":
			if f.root, err = v.Str(i); err != nil {
				return tErr("pieces root is not a string")
			}
			f.hasRoot = true
		case "attr":
			a, err := v.Str(i)
			if err != nil {
				return tErr("file attr is not a string")
			}
			f.pad = bytes.IndexByte(a, 'p') >= 0
			f.symlink = bytes.IndexByte(a, 'l') >= 0
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	switch {
	case f.pad:
		return f, tErr("pad file in a v2 file tree")
	case !hasLen || f.length < 0 || f.length > MaxTorrentLength:
		return f, tErr("missing or invalid file length in file tree")
	case f.symlink:
		f.length, f.root, f.hasRoot = 0, nil, false
	case f.length == 0:
		f.root, f.hasRoot = nil, false
	case !f.hasRoot || len(f.root) != sha256.Size:
		return f, tErr("missing or invalid pieces root")
	case bytes.Equal(f.root, make([]byte, sha256.Size)):
		return f, tErr("all-zero pieces root")
	}
	return f, nil
}

// layoutV1 places v1 files in the piece stream and checks the pieces.
func (t *Torrent) layoutV1(files []rawFile, pieces []byte) error {
	t.Files = make([]TorrentFile, len(files))
	var off int64
	for i, f := range files {
		if f.length > MaxTorrentLength-off {
			return tErr("total length over %d", int64(MaxTorrentLength))
		}
		t.Files[i] = TorrentFile{Path: displayPath(f, t.Name), Length: f.length, Offset: off, Pad: f.pad, Symlink: f.symlink}
		off += f.length
	}
	t.TotalLength = off
	if off == 0 {
		return tErr("torrent holds no data (invalid length)")
	}
	if len(pieces)%sha1.Size != 0 {
		return tErr("pieces length %d is not a multiple of 20", len(pieces))
	}
	want := (off + t.PieceLength - 1) / t.PieceLength
	if want > MaxTorrentPieces {
		return tErr("%d pieces is more than %d", want, MaxTorrentPieces)
	}
	if int64(len(pieces)/sha1.Size) != want {
		return tErr("%d piece hashes for %d pieces", len(pieces)/sha1.Size, want)
	}
	t.Pieces = make([][sha1.Size]byte, want)
	for i := range t.Pieces {
		copy(t.Pieces[i][:], pieces[i*sha1.Size:])
	}
	return nil
}

// layoutV2 lays out pure v2 files, each aligned to a piece boundary.
func (t *Torrent) layoutV2(files []rawFile) error {
	t.Files = make([]TorrentFile, len(files))
	var off, total, npieces int64
	for i, f := range files {
		if f.length > MaxTorrentLength-total || f.length > MaxTorrentLength-off {
			return tErr("total length over %d", int64(MaxTorrentLength))
		}
		t.Files[i] = TorrentFile{Path: displayPath(f, t.Name), Length: f.length, Offset: off, Symlink: f.symlink, PiecesRoot: f.root}
		n := (f.length + t.PieceLength - 1) / t.PieceLength
		npieces += n
		total += f.length
		off += n * t.PieceLength
		if npieces > MaxTorrentPieces {
			return tErr("more than %d pieces", MaxTorrentPieces)
		}
	}
	t.TotalLength = total
	if total == 0 {
		return tErr("torrent holds no data (invalid length)")
	}
	return nil
}

// attachRoots checks that a hybrid torrent's v1 and v2 file lists describe
// the same files, aligned, and copies the pieces roots to the v1 files.
func (t *Torrent) attachRoots(v1, v2 []rawFile) error {
	j := 0
	for i, f := range v1 {
		if f.pad || f.length == 0 {
			continue
		}
		for j < len(v2) && v2[j].length == 0 {
			j++
		}
		if j == len(v2) {
			return tErr("inconsistent files: v1 lists more files than the file tree")
		}
		g := v2[j]
		j++
		if f.length != g.length || !samePath(f.path, g.path) {
			return tErr("inconsistent files: v1 and v2 differ at file %d", i)
		}
		if t.Files[i].Offset%t.PieceLength != 0 {
			return tErr("inconsistent files: file %d is not aligned to a piece", i)
		}
		t.Files[i].PiecesRoot = g.root
	}
	for ; j < len(v2); j++ {
		if v2[j].length != 0 {
			return tErr("inconsistent files: the file tree lists more files than v1")
		}
	}
	return nil
}

func samePath(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkPieceLayers verifies a .torrent's "piece layers": every key is the
// root of a file longer than a piece, the layer has one hash per piece, and
// the layer hashes up to the root.
func checkPieceLayers(v bscan.View, layers int, t *Torrent) error {
	if !v.IsDict(layers) {
		return tErr("piece layers is not a dictionary")
	}
	roots := make(map[string]int64)
	for _, f := range t.Files {
		if f.PiecesRoot != nil {
			roots[string(f.PiecesRoot)] = f.Length
		}
	}
	pad := padHash(t.PieceLength)
	return v.Dict(layers, func(k []byte, i int) error {
		length, ok := roots[string(k)]
		if !ok {
			return tErr("invalid piece layer: unknown pieces root")
		}
		layer, err := v.Str(i)
		if err != nil {
			return tErr("invalid piece layer: not a string")
		}
		n := (length + t.PieceLength - 1) / t.PieceLength
		if length <= t.PieceLength || int64(len(layer)) != n*sha256.Size {
			return tErr("invalid piece layer: %d bytes for a file of %d bytes", len(layer), length)
		}
		if !bytes.Equal(merkleRoot(layer, pad), k) {
			return tErr("invalid piece layer: does not hash to the pieces root")
		}
		return nil
	})
}

// padHash is the root of a piece-sized subtree of zero leaf hashes.
func padHash(pieceLength int64) [sha256.Size]byte {
	var h [sha256.Size]byte
	for n := pieceLength / v2BlockSize; n > 1; n /= 2 {
		h = sha256.Sum256(append(h[:], h[:]...))
	}
	return h
}

// merkleRoot hashes a layer of concatenated 32-byte hashes up to its root,
// padding to a power of two with pad.
func merkleRoot(layer []byte, pad [sha256.Size]byte) []byte {
	n := len(layer) / sha256.Size
	width := 1
	for width < n {
		width *= 2
	}
	level := make([][sha256.Size]byte, width)
	for i := range level {
		if i < n {
			copy(level[i][:], layer[i*sha256.Size:])
		} else {
			level[i] = pad
		}
	}
	var buf [2 * sha256.Size]byte
	for len(level) > 1 {
		for i := 0; i < len(level)/2; i++ {
			copy(buf[:], level[2*i][:])
			copy(buf[sha256.Size:], level[2*i+1][:])
			level[i] = sha256.Sum256(buf[:])
		}
		level = level[:len(level)/2]
	}
	return level[0][:]
}

// addTracker appends a tracker URL, trimmed, if it is printable, not too
// long, new, and the list is not full.
func addTracker(list []string, u []byte) []string {
	u = bytes.TrimSpace(u)
	if len(u) == 0 || len(u) > maxTrackerLen || len(list) >= MaxTrackers || !display.Safe(string(u)) {
		return list
	}
	for _, s := range list {
		if s == string(u) {
			return list
		}
	}
	return append(list, string(u))
}
