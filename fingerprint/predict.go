package fingerprint

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"sync"
)

// Piece lengths for which [PredictTorrents] predicts torrents: every power
// of two from 16 KiB to 16 MiB, what clients choose from.
const (
	MinPredictedPieceLength = 16 << 10
	MaxPredictedPieceLength = 16 << 20
)

// Creators of predicted torrents: which clients write an info dictionary
// with exactly these keys for one file shared alone (checked against the
// clients in the tests).
const (
	// CreatorV1 is {length, name, piece length, pieces}: libtorrent and
	// qBittorrent (v1 format), Transmission 4, mktorrent, anacrolix.
	CreatorV1 = "v1"
	// CreatorV1Private0 adds "private": 0: Transmission 3 and earlier.
	CreatorV1Private0 = "v1+private0"
	// CreatorV2 is {file tree, meta version, name, piece length}:
	// libtorrent and qBittorrent (v2 format).
	CreatorV2 = "v2"
	// CreatorHybrid is both: libtorrent and qBittorrent (hybrid format).
	CreatorHybrid = "hybrid"
)

// Predicted is the torrent a client would make of a document shared alone
// under its name.
type Predicted struct {
	Creator     string
	PieceLength int64
	// InfoHash is what peers announce it under in the DHT: the SHA-1 of
	// the info dictionary, or for a pure v2 torrent the SHA-256
	// truncated to 20 bytes (40 hex digits).
	InfoHash InfoHash
	// InfoBytes is the info dictionary; nil from [PredictInfoHashes].
	InfoBytes []byte
}

// PredictTorrents returns the torrents common clients produce when the
// document r (size bytes, BEP 52 pieces root root in hex) is shared alone
// as name: v1 (two key sets), v2 and hybrid at every piece length from
// MinPredictedPieceLength to MaxPredictedPieceLength. It reads r once,
// hashing every piece length at once on as many goroutines. A name is
// data: it is encoded, never used as a path. Safe for concurrent use.
func PredictTorrents(r io.Reader, name string, size int64, root string) ([]Predicted, error) {
	return predict(r, name, size, root, true)
}

// PredictInfoHashes is [PredictTorrents] without keeping the info
// dictionaries (whose pieces can be large): the infohashes to look up.
func PredictInfoHashes(r io.Reader, name string, size int64, root string) ([]Predicted, error) {
	return predict(r, name, size, root, false)
}

// PredictTorrent returns the one predicted torrent of creator and piece
// length, with its info dictionary (one pass over r).
func PredictTorrent(r io.Reader, name string, size int64, root, creator string, pieceLength int64) (Predicted, error) {
	pieces, err := pieceHashes(r, size, []int64{pieceLength})
	if err != nil {
		return Predicted{}, err
	}
	rootBytes, err := decodeRoot(root)
	if err != nil {
		return Predicted{}, err
	}
	info, ok := predictedInfo(creator, name, size, pieceLength, pieces[0], rootBytes)
	if !ok {
		return Predicted{}, fmt.Errorf("no predicted %s torrent of this document", creator)
	}
	return newPredicted(creator, pieceLength, info, true), nil
}

func predict(r io.Reader, name string, size int64, root string, keep bool) ([]Predicted, error) {
	if size <= 0 || name == "" {
		return nil, errors.New("predict torrents: an empty document or name")
	}
	rootBytes, err := decodeRoot(root)
	if err != nil {
		return nil, err
	}
	var lengths []int64
	for pl := int64(MinPredictedPieceLength); pl <= MaxPredictedPieceLength; pl *= 2 {
		lengths = append(lengths, pl)
	}
	pieces, err := pieceHashes(r, size, lengths)
	if err != nil {
		return nil, err
	}
	var out []Predicted
	for i, pl := range lengths {
		for _, c := range []string{CreatorV1, CreatorV1Private0, CreatorV2, CreatorHybrid} {
			if info, ok := predictedInfo(c, name, size, pl, pieces[i], rootBytes); ok {
				out = append(out, newPredicted(c, pl, info, keep))
			}
		}
	}
	return out, nil
}

func decodeRoot(root string) ([]byte, error) {
	if root == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(root)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("predict torrents: pieces root %q is not 64 hex digits", root)
	}
	return b, nil
}

func newPredicted(creator string, pl int64, info []byte, keep bool) Predicted {
	p := Predicted{Creator: creator, PieceLength: pl}
	if creator == CreatorV2 {
		p.InfoHash = InfoHashV2(sha256.Sum256(info)).Truncated()
	} else {
		p.InfoHash = InfoHash(sha1.Sum(info))
	}
	if keep {
		p.InfoBytes = info
	}
	return p
}

// predictedInfo encodes the info dictionary creator writes (keys in
// bencode's sorted order). v2 and hybrid need the pieces root.
func predictedInfo(creator, name string, size, pl int64, pieces, root []byte) ([]byte, bool) {
	var b []byte
	str := func(s []byte) { b = strconv.AppendInt(b, int64(len(s)), 10); b = append(b, ':'); b = append(b, s...) }
	integer := func(n int64) { b = append(b, 'i'); b = strconv.AppendInt(b, n, 10); b = append(b, 'e') }
	fileTree := func() {
		// {name: {"": {length, pieces root}}}
		b = append(b, "9:file treed"...)
		str([]byte(name))
		b = append(b, "d0:d6:length"...)
		integer(size)
		b = append(b, "11:pieces root"...)
		str(root)
		b = append(b, "eee"...)
	}
	b = append(b, 'd')
	switch creator {
	case CreatorV1, CreatorV1Private0:
		b = append(b, "6:length"...)
		integer(size)
		b = append(b, "4:name"...)
		str([]byte(name))
		b = append(b, "12:piece length"...)
		integer(pl)
		b = append(b, "6:pieces"...)
		str(pieces)
		if creator == CreatorV1Private0 {
			b = append(b, "7:private"...)
			integer(0)
		}
	case CreatorV2, CreatorHybrid:
		if len(root) != 32 {
			return nil, false
		}
		fileTree()
		if creator == CreatorHybrid {
			b = append(b, "6:length"...)
			integer(size)
		}
		b = append(b, "12:meta version"...)
		integer(2)
		b = append(b, "4:name"...)
		str([]byte(name))
		b = append(b, "12:piece length"...)
		integer(pl)
		if creator == CreatorHybrid {
			b = append(b, "6:pieces"...)
			str(pieces)
		}
	default:
		return nil, false
	}
	return append(b, 'e'), true
}

// pieceHashes reads r once (size bytes) and returns, for each piece
// length, the concatenated SHA-1 of its pieces. Each length is hashed on a
// goroutine of its own.
func pieceHashes(r io.Reader, size int64, lengths []int64) ([][]byte, error) {
	const chunk = 1 << 20
	type hasher struct {
		pl     int64
		h      hash.Hash
		filled int64
		out    []byte
		in     chan []byte
	}
	hs := make([]*hasher, len(lengths))
	var wg sync.WaitGroup
	for i, pl := range lengths {
		h := &hasher{pl: pl, h: sha1.New(), out: make([]byte, 0, 20*((size+pl-1)/pl)), in: make(chan []byte, 4)}
		hs[i] = h
		wg.Go(func() {
			for buf := range h.in {
				for len(buf) > 0 {
					n := min(int64(len(buf)), h.pl-h.filled)
					h.h.Write(buf[:n])
					h.filled += n
					buf = buf[n:]
					if h.filled == h.pl {
						h.out = h.h.Sum(h.out)
						h.h.Reset()
						h.filled = 0
					}
				}
			}
			if h.filled > 0 {
				h.out = h.h.Sum(h.out)
			}
		})
	}
	var read int64
	var err error
	for read < size {
		buf := make([]byte, min(chunk, size-read)) // each hasher reads it; a fresh buffer per chunk
		var n int
		n, err = io.ReadFull(r, buf)
		read += int64(n)
		if n > 0 {
			for _, h := range hs {
				h.in <- buf[:n]
			}
		}
		if err != nil {
			break
		}
	}
	for _, h := range hs {
		close(h.in)
	}
	wg.Wait()
	if read != size {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("predict torrents: read %d of %d bytes: %w", read, size, err)
	}
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h.out
	}
	return out, nil
}
