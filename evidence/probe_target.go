package evidence

import (
	"fmt"

	"github.com/anacrolix/torrent/metainfo"
)

// DocumentPieces returns the first and last (inclusive) pieces of a torrent
// with the given piece length that overlap the byte range [offset,
// offset+length) of a file in it. A zero-length file overlaps no piece:
// ok is false.
func DocumentPieces(pieceLength, offset, length int64) (first, last int, ok bool) {
	if pieceLength <= 0 || offset < 0 || length <= 0 {
		return 0, 0, false
	}
	return int(offset / pieceLength), int((offset + length - 1) / pieceLength), true
}

// TargetFromInfo builds a [Target] for the file of the v1 info dictionary
// info that lies at byte offset fileOffset with length fileLength (as given
// by the matcher), carrying the document with the given sha256.
func TargetFromInfo(ih [20]byte, info *metainfo.Info, fileOffset, fileLength int64, document string) (Target, error) {
	if !info.HasV1() || len(info.Pieces)%20 != 0 {
		return Target{}, fmt.Errorf("%w: no v1 piece hashes", ErrTarget)
	}
	n := len(info.Pieces) / 20
	first, last, ok := DocumentPieces(info.PieceLength, fileOffset, fileLength)
	if !ok {
		return Target{}, fmt.Errorf("%w: empty document range at %d+%d", ErrTarget, fileOffset, fileLength)
	}
	t := Target{
		InfoHash:    ih,
		PieceLength: info.PieceLength,
		NumPieces:   n,
		PieceHashes: make([][20]byte, n),
		TotalLength: info.TotalLength(),
		FirstPiece:  first,
		LastPiece:   last,
		Document:    document,
	}
	for i := range t.PieceHashes {
		copy(t.PieceHashes[i][:], info.Pieces[i*20:])
	}
	if last >= n {
		return Target{}, fmt.Errorf("%w: document pieces %d-%d outside 0-%d", ErrTarget, first, last, n-1)
	}
	return t, nil
}
