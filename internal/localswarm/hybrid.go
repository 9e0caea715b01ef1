package localswarm

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/merkle"
	"github.com/anacrolix/torrent/metainfo"
)

// HybridTorrent is a BEP 52 hybrid (v1 and v2) torrent built in memory.
type HybridTorrent struct {
	// MetaInfo is the whole torrent, "piece layers" included.
	MetaInfo *metainfo.MetaInfo
	// InfoBytes is the bencoded info dictionary.
	InfoBytes []byte
	// InfoHash is the v1 infohash: SHA-1 of InfoBytes.
	InfoHash [20]byte
	// InfoHashV2 is the v2 infohash: SHA-256 of InfoBytes.
	InfoHashV2 [32]byte
	// Files are the files in torrent order (sorted by path, as the v2 file
	// tree orders them), without pad files.
	Files []File
}

// BuildHybrid builds a hybrid torrent called name holding files, with the
// given piece length (a power of two, at least 16 KiB).
//
// One file gives a single-file torrent (its Path is ignored); more give a
// directory whose files are sorted by path. The v1 part lists a BEP 47 pad
// file (attr "p", path .pad/<length>) after every file that does not end on
// a piece boundary, except the last, and its "pieces" hash the padded
// stream. The v2 part has "meta version" 2, a "file tree" whose leaves
// carry each file's pieces root (none for empty files), and the MetaInfo
// has "piece layers" for every file longer than one piece.
func BuildHybrid(name string, files []File, pieceLength int64) (*HybridTorrent, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return nil, fmt.Errorf("hybrid torrent: invalid name %q", name)
	}
	if pieceLength < merkle.BlockSize || pieceLength&(pieceLength-1) != 0 {
		return nil, fmt.Errorf("hybrid torrent: piece length %d is not a power of two of at least 16 KiB", pieceLength)
	}
	if len(files) == 0 {
		return nil, errors.New("hybrid torrent: no files")
	}
	type entry struct {
		path []string
		file File
	}
	entries := make([]entry, len(files))
	for i, f := range files {
		p := []string{name}
		if len(files) > 1 {
			p = strings.Split(f.Path, "/")
			for _, c := range p {
				if c == "" || c == "." || c == ".." || strings.ContainsRune(c, '\\') {
					return nil, fmt.Errorf("hybrid torrent: invalid file path %q", f.Path)
				}
			}
		}
		entries[i] = entry{p, f}
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return slices.Compare(a.path, b.path) })

	ht := &HybridTorrent{}
	tree := map[string]any{}
	layers := map[string]string{}
	var v1Files []any
	pieces := newPieceHasher(pieceLength)
	var total int64
	for i, e := range entries {
		if i > 0 && slices.Equal(entries[i-1].path, e.path) {
			return nil, fmt.Errorf("hybrid torrent: duplicate file %q", e.file.Path)
		}
		ht.Files = append(ht.Files, File{Path: strings.Join(e.path, "/"), Data: e.file.Data})
		length := int64(len(e.file.Data))
		props := map[string]any{"length": length}
		v2 := e.file.Data
		if e.file.V2Data != nil {
			if len(e.file.V2Data) != len(v2) {
				return nil, fmt.Errorf("hybrid torrent: %q: V2Data of %d bytes for %d bytes of data", e.file.Path, len(e.file.V2Data), len(v2))
			}
			v2 = e.file.V2Data
		}
		if length > 0 {
			root, layer := v2Hashes(v2, pieceLength)
			props["pieces root"] = string(root[:])
			if length > pieceLength {
				layers[string(root[:])] = string(layer)
			}
		}
		if err := addLeaf(tree, e.path, map[string]any{"": props}); err != nil {
			return nil, err
		}
		v1Files = append(v1Files, map[string]any{"length": length, "path": e.path})
		pieces.Write(e.file.Data)
		total += length
		if pad := (pieceLength - total%pieceLength) % pieceLength; pad > 0 && i < len(entries)-1 {
			v1Files = append(v1Files, map[string]any{"attr": "p", "length": pad,
				"path": []string{".pad", strconv.FormatInt(pad, 10)}})
			pieces.Write(make([]byte, pad))
			total += pad
		}
	}
	if total == 0 {
		return nil, errors.New("hybrid torrent: all files are empty")
	}
	info := map[string]any{
		"file tree":    tree,
		"meta version": 2,
		"name":         name,
		"piece length": pieceLength,
		"pieces":       string(pieces.Sum()),
	}
	if len(entries) == 1 {
		info["length"] = total
	} else {
		info["files"] = v1Files
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("hybrid torrent: marshal info: %w", err)
	}
	ht.InfoBytes = infoBytes
	ht.InfoHash = sha1.Sum(infoBytes)
	ht.InfoHashV2 = sha256.Sum256(infoBytes)
	ht.MetaInfo = &metainfo.MetaInfo{InfoBytes: infoBytes}
	if len(layers) > 0 {
		ht.MetaInfo.PieceLayers = layers
	}
	return ht, nil
}

// addLeaf puts leaf at path in the nested file tree, refusing a path that
// is both a file and a directory.
func addLeaf(tree map[string]any, path []string, leaf map[string]any) error {
	for _, c := range path[:len(path)-1] {
		sub, ok := tree[c]
		if !ok {
			sub = map[string]any{}
			tree[c] = sub
		}
		dir, ok := sub.(map[string]any)
		if _, isLeaf := dir[""]; !ok || isLeaf {
			return fmt.Errorf("hybrid torrent: %q is both a file and a directory", strings.Join(path, "/"))
		}
		tree = dir
	}
	last := path[len(path)-1]
	if _, ok := tree[last]; ok {
		return fmt.Errorf("hybrid torrent: %q is both a file and a directory", strings.Join(path, "/"))
	}
	tree[last] = leaf
	return nil
}

// v2Hashes returns a non-empty file's BEP 52 pieces root and its piece
// layer: the root of each piece's subtree, the last one padded with zero
// leaves to a whole piece.
func v2Hashes(data []byte, pieceLength int64) (root [32]byte, layer []byte) {
	h := merkle.NewHash()
	h.Write(data)
	h.Sum(root[:0])
	for off := int64(0); off < int64(len(data)); off += pieceLength {
		ph := merkle.NewHash()
		ph.Write(data[off:min(off+pieceLength, int64(len(data)))])
		layer = ph.SumMinLength(layer, int(pieceLength))
	}
	return root, layer
}

// pieceHasher computes v1 SHA-1 piece hashes over a stream.
type pieceHasher struct {
	pieceLength int64
	h           hash.Hash
	inPiece     int64
	sums        []byte
}

func newPieceHasher(pieceLength int64) *pieceHasher {
	return &pieceHasher{pieceLength: pieceLength, h: sha1.New()}
}

func (p *pieceHasher) Write(b []byte) {
	for len(b) > 0 {
		k := min(int64(len(b)), p.pieceLength-p.inPiece)
		p.h.Write(b[:k])
		p.inPiece += k
		b = b[k:]
		if p.inPiece == p.pieceLength {
			p.sums = p.h.Sum(p.sums)
			p.h.Reset()
			p.inPiece = 0
		}
	}
}

// Sum returns the concatenated piece hashes, the last piece as is.
func (p *pieceHasher) Sum() []byte {
	if p.inPiece > 0 {
		p.sums = p.h.Sum(p.sums)
		p.h.Reset()
		p.inPiece = 0
	}
	return p.sums
}

// BuildV1 bencodes a v1 info dictionary called name holding files (each a
// list of raw path components, which may hold "/" as a hostile torrent's
// may) with the given data, and returns it with the torrent's byte stream
// (the files concatenated).
func BuildV1(name string, pieceLength int, paths [][]string, data [][]byte) (info, stream []byte, err error) {
	if len(paths) != len(data) || len(paths) == 0 || pieceLength <= 0 {
		return nil, nil, errors.New("v1 torrent: need one path per file, at least one file, and a piece length")
	}
	files := make([]any, len(data))
	for i, d := range data {
		stream = append(stream, d...)
		files[i] = map[string]any{"length": len(d), "path": paths[i]}
	}
	ph := newPieceHasher(int64(pieceLength))
	ph.Write(stream)
	info, err = bencode.Marshal(map[string]any{"name": name, "piece length": pieceLength, "pieces": string(ph.Sum()), "files": files})
	return info, stream, err
}
