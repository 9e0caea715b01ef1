package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Target describes the torrent and document a probe is about. Build it
// with [NewTarget] from a proven match, so that its byte range is the
// matched file's (by index, never by name).
type Target struct {
	InfoHash    fingerprint.InfoHash
	PieceLength int64
	NumPieces   int
	// PieceHashes are the v1 SHA-1 piece hashes, NumPieces of them.
	PieceHashes [][20]byte
	TotalLength int64
	// DocOffset and DocLength are the document's byte range in the
	// torrent's v1 piece stream: the matched file's.
	DocOffset, DocLength int64
	// Doc reads the catalogued copy of the document. Downloaded bytes that
	// fall in the document's range are compared with it byte for byte;
	// without it a probe proves at most L3.
	Doc io.ReaderAt
	// Document is the sha256 (hex) of the catalogued document.
	Document string
	// Basis is the SHA-256 of the match basis (see [MatchBasis]); it is
	// recorded in every observation the probe makes.
	Basis string
}

// MatchBasis is the record of what a probe relies on: which file of which
// info dictionary was proven to be the document, and how. Its canonical
// form ([MatchBasis.Encode]) is stored beside the evidence log, and every
// observation of a probe names it by SHA-256 ([Observation.Basis]), so that
// anyone holding the info dictionary can check offline that a verified
// piece lies in the document's byte range.
type MatchBasis struct {
	// InfoHash is the v1 infohash: the SHA-1 of the info dictionary.
	InfoHash fingerprint.InfoHash `json:"infohash"`
	// InfoSHA256 is the SHA-256 of the same info dictionary bytes.
	InfoSHA256 string `json:"info_sha256"`
	// Method is how the file was proven to be the document
	// (fingerprint.MethodV1Pieces or fingerprint.MethodHybrid).
	Method string `json:"method"`
	// FileIndex, FileOffset and FileLength are the file's index in the
	// torrent's file list and its byte range in the v1 piece stream.
	FileIndex  int   `json:"file_index"`
	FileOffset int64 `json:"file_offset"`
	FileLength int64 `json:"file_length"`
	// PieceLength and NumPieces are the torrent's.
	PieceLength int64 `json:"piece_length"`
	NumPieces   int   `json:"num_pieces"`
	// Document and DocumentSize are the catalogued document's SHA-256 and
	// size.
	Document     string `json:"document"`
	DocumentSize int64  `json:"document_size"`
	// PiecesChecked and PiecesMatched count the torrent's piece hashes
	// compared with the document's bytes at the same alignment when the
	// match was proven.
	PiecesChecked int `json:"pieces_checked"`
	PiecesMatched int `json:"pieces_matched"`
}

// Encode returns the canonical bytes of b (its JSON encoding) and their
// SHA-256 in hex.
func (b MatchBasis) Encode() ([]byte, string) {
	j, _ := json.Marshal(b) // a struct of strings and integers always encodes
	sum := sha256.Sum256(j)
	return j, hex.EncodeToString(sum[:])
}

// NewTarget builds the probe target of a proven match from the torrent's
// info dictionary: the match must be probeable (proven by the torrent's v1
// piece hashes; see [fingerprint.Match.Probeable]) and name a file of tor
// that still has the recorded index, offset and length. doc reads the
// catalogued copy. It also returns the match basis, whose hash the target
// carries.
func NewTarget(tor *fingerprint.Torrent, m fingerprint.Match, doc io.ReaderAt) (Target, MatchBasis, error) {
	switch {
	case !m.Probeable():
		return Target{}, MatchBasis{}, fmt.Errorf("%w: a %s %s match is not proven by v1 piece hashes", ErrTarget, m.Verdict, m.Method)
	case m.InfoHash != tor.InfoHash:
		return Target{}, MatchBasis{}, fmt.Errorf("%w: match of %s, torrent %s", ErrTarget, m.InfoHash, tor.InfoHash)
	case m.FileIndex < 0 || m.FileIndex >= len(tor.Files):
		return Target{}, MatchBasis{}, fmt.Errorf("%w: file %d of %d", ErrTarget, m.FileIndex, len(tor.Files))
	case len(tor.Pieces) == 0:
		return Target{}, MatchBasis{}, fmt.Errorf("%w: no v1 piece hashes", ErrTarget)
	}
	f := tor.Files[m.FileIndex]
	if f.Pad || f.Offset != m.FileOffset || f.Length != m.FileLength || f.Length <= 0 {
		return Target{}, MatchBasis{}, fmt.Errorf("%w: file %d is %d+%d, the match says %d+%d", ErrTarget, m.FileIndex,
			f.Offset, f.Length, m.FileOffset, m.FileLength)
	}
	infoSum := sha256.Sum256(tor.InfoBytes)
	b := MatchBasis{InfoHash: tor.InfoHash, InfoSHA256: hex.EncodeToString(infoSum[:]), Method: m.Method,
		FileIndex: m.FileIndex, FileOffset: f.Offset, FileLength: f.Length, PieceLength: tor.PieceLength,
		NumPieces: len(tor.Pieces), Document: m.Document, DocumentSize: f.Length,
		PiecesChecked: m.PiecesChecked, PiecesMatched: m.PiecesMatched}
	_, sum := b.Encode()
	t := Target{InfoHash: tor.InfoHash, PieceLength: tor.PieceLength, NumPieces: len(tor.Pieces), PieceHashes: tor.Pieces,
		TotalLength: tor.TotalLength, DocOffset: f.Offset, DocLength: f.Length, Doc: doc, Document: m.Document, Basis: sum}
	return t, b, nil
}

// firstPiece and lastPiece (inclusive) are the pieces overlapping the
// document's byte range.
func (t *Target) firstPiece() int { return int(t.DocOffset / t.PieceLength) }
func (t *Target) lastPiece() int  { return int((t.DocOffset + t.DocLength - 1) / t.PieceLength) }

// docOverlap returns the part of piece i that lies in the document: its
// offset in the piece and in the document, and its length (0 when none).
func (t *Target) docOverlap(i int) (inPiece, inDoc, n int64) {
	start := int64(i) * t.PieceLength
	end := start + t.pieceLen(i)
	lo, hi := max(start, t.DocOffset), min(end, t.DocOffset+t.DocLength)
	if hi <= lo {
		return 0, 0, 0
	}
	return lo - start, lo - t.DocOffset, hi - lo
}

// needDocBytes is how many document bytes the verified pieces must hold
// for L4: the whole document, or a whole piece's worth when the document
// is longer than a piece. An edge piece holding a few bytes of the
// document next to other files' bytes is not enough.
func (t *Target) needDocBytes() int64 { return min(t.DocLength, t.PieceLength) }
