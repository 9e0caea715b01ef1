package report

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
	"github.com/leakhunt/leakhunt/store"
)

// Bundle folders of what observations name by hash: the redacted wire
// transcripts of the rows (one JSON line per record in
// transcripts/peer-NNNNN.jsonl), the match bases (match-basis/SHA256.json,
// evidence.MatchBasis) and the info dictionaries they name
// (info/INFOHASH.bencode), so that anyone can check offline that a
// verified piece lies in the document's byte range.
const (
	transcriptsDir = "transcripts/"
	basisDir       = "match-basis/"
	infoDir        = "info/"
)

func (p *peerOut) transcriptsPath() string { return transcriptsDir + p.id() + ".jsonl" }

// transcriptLine is one line of a transcripts file.
type transcriptLine struct {
	Index      int64  `json:"index"`
	Transcript string `json:"transcript"` // base64 of the exact kept bytes
}

func appendTranscriptLine(b []byte, n int64, tr []byte) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"transcript":"`...)
	b = base64.StdEncoding.AppendEncode(b, tr)
	return append(b, "\"}\n"...)
}

// lazyFile is a bundle file created on its first line only.
type lazyFile struct {
	b   *bundle
	rel string
	w   *bundleFile
}

func (l *lazyFile) writeLine(line []byte) error {
	if l.w == nil {
		w, err := l.b.create(l.rel)
		if err != nil {
			return err
		}
		l.w = w
	}
	_, err := l.w.Write(line)
	return err
}

func (l *lazyFile) close() error {
	if l.w == nil {
		return nil
	}
	return l.w.Close()
}

func (l *lazyFile) abort() {
	if l.w != nil {
		l.w.abort()
	}
}

// addBasis notes a match basis a bundled record names. Safe for
// concurrent use (annexes are written by several workers).
func (r *run) addBasis(sum string, infohash fingerprint.InfoHash) {
	r.basisMu.Lock()
	defer r.basisMu.Unlock()
	if r.bases == nil {
		r.bases = map[string]fingerprint.InfoHash{}
	}
	r.bases[sum] = infohash
}

// writeBases writes every match basis the bundled records name, and the
// info dictionaries those bases name.
func (r *run) writeBases() error {
	sums := make([]string, 0, len(r.bases))
	for sum := range r.bases {
		sums = append(sums, sum)
	}
	slices.Sort(sums)
	blobs, err := r.s.Blobs(sums)
	if err != nil {
		return err
	}
	infos := map[fingerprint.InfoHash]bool{}
	for _, sum := range sums {
		b, ok := blobs[sum]
		if !ok {
			return fmt.Errorf("match basis %s named by the log is not in the store: %w", sum, store.ErrCorrupt)
		}
		if err := r.b.writeFile(basisDir+sum+".json", b); err != nil {
			return err
		}
		ih := r.bases[sum]
		if infos[ih] {
			continue
		}
		infos[ih] = true
		t, err := r.s.Torrent(ih)
		if err != nil || len(t.InfoBytes) == 0 {
			return fmt.Errorf("info dictionary of %s, named by match basis %s, is not in the store: %w", ih, sum, store.ErrCorrupt)
		}
		if err := r.b.writeFile(infoDir+ih.String()+".bencode", t.InfoBytes); err != nil {
			return err
		}
	}
	return nil
}

// basisCheck is what a match basis in a bundle establishes: the document's
// byte range in the torrent, checked against the info dictionary.
type basisCheck struct {
	b   evidence.MatchBasis
	err error
}

// checkBasis checks a match basis file and the info dictionary it names.
func checkBasis(read func(rel string) ([]byte, error), sum string) basisCheck {
	fail := func(format string, a ...any) basisCheck { return basisCheck{err: fmt.Errorf(format, a...)} }
	raw, err := read(basisDir + sum + ".json")
	if err != nil {
		return fail("the match basis %s it names is not in the bundle", sum)
	}
	if s := sha256.Sum256(raw); hex.EncodeToString(s[:]) != sum {
		return fail("match basis %s: its SHA-256 differs", sum)
	}
	var b evidence.MatchBasis
	if err := json.Unmarshal(raw, &b); err != nil {
		return fail("match basis %s: %v", sum, err)
	}
	info, err := read(infoDir + b.InfoHash.String() + ".bencode")
	if err != nil {
		return fail("match basis %s: the info dictionary of %s is not in the bundle", sum, b.InfoHash)
	}
	s1, s256 := sha1.Sum(info), sha256.Sum256(info)
	if fingerprint.InfoHash(s1) != b.InfoHash || hex.EncodeToString(s256[:]) != b.InfoSHA256 {
		return fail("match basis %s: the info dictionary does not hash to infohash %s", sum, b.InfoHash)
	}
	tor, err := fingerprint.ParseInfo(info)
	if err != nil {
		return fail("match basis %s: info dictionary: %v", sum, err)
	}
	switch {
	case b.Method != fingerprint.MethodV1Pieces && b.Method != fingerprint.MethodHybrid:
		return fail("match basis %s: method %q does not prove v1 pieces", sum, b.Method)
	case b.PiecesChecked <= 0 || b.PiecesMatched != b.PiecesChecked:
		return fail("match basis %s: %d of %d pieces compared equal", sum, b.PiecesMatched, b.PiecesChecked)
	case b.FileIndex < 0 || b.FileIndex >= len(tor.Files):
		return fail("match basis %s: file %d of %d", sum, b.FileIndex, len(tor.Files))
	case tor.Files[b.FileIndex].Offset != b.FileOffset || tor.Files[b.FileIndex].Length != b.FileLength || b.FileLength != b.DocumentSize:
		return fail("match basis %s: file %d is not at %d+%d in the info dictionary", sum, b.FileIndex, b.FileOffset, b.FileLength)
	case tor.PieceLength != b.PieceLength || len(tor.Pieces) != b.NumPieces:
		return fail("match basis %s: piece length or count differs from the info dictionary's", sum)
	}
	return basisCheck{b: b}
}

// checkServed checks what a record says it verified against its basis:
// verified pieces overlap the document, the document bytes counted fit in
// them, and a record at L4 or above holds min(document size, piece
// length) of them (L5: all).
func (c basisCheck) checkServed(level evidence.Level, verified []int, docBytes int64) error {
	b := c.b
	first, last := int(b.FileOffset/b.PieceLength), int((b.FileOffset+b.FileLength-1)/b.PieceLength)
	var overlap int64
	for _, i := range verified {
		if i < first || i > last {
			return fmt.Errorf("verified piece %d lies outside the document's pieces %d-%d", i, first, last)
		}
		start, end := int64(i)*b.PieceLength, int64(i+1)*b.PieceLength
		overlap += min(end, b.FileOffset+b.FileLength) - max(start, b.FileOffset)
	}
	switch {
	case docBytes > overlap:
		return fmt.Errorf("%d document bytes counted in verified pieces that hold %d", docBytes, overlap)
	case level >= evidence.L4Served && docBytes < min(b.DocumentSize, b.PieceLength):
		return fmt.Errorf("L%d with %d document bytes verified, fewer than min(document size, piece length) = %d", level, docBytes, min(b.DocumentSize, b.PieceLength))
	case level >= evidence.L5FullCopy && docBytes != b.DocumentSize:
		return fmt.Errorf("L5 with %d of the document's %d bytes verified", docBytes, b.DocumentSize)
	}
	return nil
}
