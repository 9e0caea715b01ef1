package report

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// DocumentCheck counts what [VerifyDocuments] compared with the copies of
// the documents it was given.
type DocumentCheck struct {
	// Documents is how many documents the bundle's match bases name, and
	// Given how many of them were found (by SHA-256) among the copies.
	Documents, Given int
	// Pieces is how many piece hashes of the bundled info dictionaries
	// were computed again from the copies (pieces wholly inside a
	// document): the match re-run offline.
	Pieces int
	// Blocks is how many blocks of verified pieces, as the transcripts
	// record them received, were compared with the copies; BlockBytes
	// their size. Outside counts blocks of verified pieces that do not lie
	// wholly inside the document (an edge piece's blocks: their other bytes
	// belong to another file, so their SHA-256 cannot be computed from the
	// copy).
	Blocks, Outside int
	BlockBytes      int64
}

// maxDocumentCopies bounds the files read from a documents folder.
const maxDocumentCopies = 100_000

// VerifyDocuments checks a bundle against copies of the documents it
// names (the files in docsDir, found by SHA-256): for each match basis,
// every piece of the torrent that lies wholly inside the document hashes
// (SHA-1) to the info dictionary's piece hash, and for each kept
// transcript (the reporting sensor's and every other sensor's section),
// every block of a piece its record counts as verified that lies wholly
// inside the document has the SHA-256 of the copy's bytes at that place. This shows without the store, and without the peer's data
// (transcripts keep only its SHA-256), that the verified bytes were the
// document's. Run it after [VerifyBundle], which proves the records.
func VerifyDocuments(bundleDir, docsDir string) (DocumentCheck, []Problem, error) {
	var c DocumentCheck
	var probs []Problem
	add := func(path, format string, args ...any) {
		probs = append(probs, Problem{path, fmt.Sprintf(format, args...)})
	}
	recs, bases, err := readBundleBases(bundleDir)
	if err != nil {
		return c, nil, err
	}
	sizes := map[int64]bool{}
	for _, b := range bases {
		sizes[b.DocumentSize] = true
	}
	copies, err := findCopies(docsDir, sizes)
	if err != nil {
		return c, nil, err
	}
	docs := map[string]bool{}
	sums := make([]string, 0, len(bases))
	for sum := range bases {
		sums = append(sums, sum)
	}
	slices.Sort(sums)
	for _, sum := range sums {
		b := bases[sum]
		if !docs[b.Document] {
			docs[b.Document] = true
			if copies[b.Document] != "" {
				c.Given++
			}
		}
		path := copies[b.Document]
		if path == "" {
			add(basisDir+sum+".json", "document %s (%d bytes) is not among the copies in %s", b.Document, b.DocumentSize, docsDir)
			continue
		}
		n, err := checkPiecesFromCopy(bundleDir, b, path)
		if err != nil {
			add(basisDir+sum+".json", "%v", err)
		}
		c.Pieces += n
	}
	c.Documents = len(docs)
	if err := checkBlocksFromCopies(bundleDir, recs, bases, copies, &c, add); err != nil {
		return c, probs, err
	}
	return c, probs, nil
}

// docRecord is what a bundled record says about the document it served.
type docRecord struct {
	basis    string
	verified []int
}

// logSection is the part of a bundle one log's records are in: "" for the
// reporting sensor's (proofs/, transcripts/), sensors/NAME/ for another
// sensor's (its records.jsonl and transcripts/).
type logSection = string

// sectionOf is the section a proofs file belongs to, or false for a file
// that holds no proofs.
func sectionOf(rel string) (logSection, bool) {
	switch {
	case strings.HasPrefix(rel, "proofs/") && strings.HasSuffix(rel, ".jsonl"):
		return "", true
	case strings.HasPrefix(rel, sensorsDir) && strings.HasSuffix(rel, "/records.jsonl") && strings.Count(rel, "/") == 2:
		return strings.TrimSuffix(rel, "records.jsonl"), true
	}
	return "", false
}

// readBundleBases reads every record of the bundle's proofs (the
// reporting sensor's and every other sensor's section) that names a match
// basis, by section and index, and the bases they name.
func readBundleBases(dir string) (map[logSection]map[int64]docRecord, map[string]evidence.MatchBasis, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, nil, err
	}
	manifest, err := ParseManifest(strings.NewReader(string(mb)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", ManifestName, err)
	}
	recs, bases := map[logSection]map[int64]docRecord{}, map[string]evidence.MatchBasis{}
	read := manifestReader(dir, manifest)
	for rel := range manifest {
		sec, ok := sectionOf(rel)
		if !ok {
			continue
		}
		if recs[sec] == nil {
			recs[sec] = map[int64]docRecord{}
		}
		if err := eachJSONLine(filepath.Join(dir, filepath.FromSlash(rel)), 64<<20, func(line []byte) error {
			var pl proofLine
			var k leafKey
			if err := json.Unmarshal(line, &pl); err != nil {
				return err
			}
			leaf, err := base64.StdEncoding.DecodeString(pl.Leaf)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(leaf, &k); err != nil || k.Basis == "" {
				return err
			}
			recs[sec][pl.Index] = docRecord{k.Basis, k.PiecesVerified}
			if _, ok := bases[k.Basis]; ok {
				return nil
			}
			bc := checkBasis(read, k.Basis) // as VerifyBundle checks it
			if bc.err != nil {
				return bc.err
			}
			bases[k.Basis] = bc.b
			return nil
		}); err != nil {
			return nil, nil, fmt.Errorf("%s: %v (run verify without --documents first)", rel, err)
		}
	}
	return recs, bases, nil
}

// eachJSONLine calls f with each line of a file, lines up to max bytes.
func eachJSONLine(path string, max int, f func([]byte) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 0, 64<<10), max)
	for line := 1; sc.Scan(); line++ {
		if err := f(sc.Bytes()); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	return sc.Err()
}

// findCopies hashes the regular files under dir whose size is one of
// sizes, and returns their paths by SHA-256 (hex).
func findCopies(dir string, sizes map[int64]bool) (map[string]string, error) {
	out, seen := map[string]string{}, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if seen++; seen > maxDocumentCopies {
			return fmt.Errorf("more than %d files in %s", maxDocumentCopies, dir)
		}
		info, err := d.Info()
		if err != nil || !sizes[info.Size()] {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		out[hex.EncodeToString(h.Sum(nil))] = path
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("documents: %w", err)
	}
	return out, nil
}

// checkPiecesFromCopy hashes every piece of b's torrent that lies wholly
// inside the document, from the copy at path, and compares it with the
// bundled info dictionary's piece hash. It returns how many it compared.
func checkPiecesFromCopy(bundleDir string, b evidence.MatchBasis, path string) (int, error) {
	info, err := os.ReadFile(filepath.Join(bundleDir, infoDir+b.InfoHash.String()+".bencode"))
	if err != nil {
		return 0, err
	}
	tor, err := fingerprint.ParseInfo(info)
	if err != nil {
		return 0, fmt.Errorf("info dictionary of %s: %v", b.InfoHash, err)
	}
	if tor.PieceLength != b.PieceLength {
		return 0, fmt.Errorf("info dictionary of %s: piece length differs from the match basis's", b.InfoHash)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	end := b.FileOffset + b.FileLength
	first := int((b.FileOffset + b.PieceLength - 1) / b.PieceLength)
	buf := make([]byte, b.PieceLength)
	n := 0
	for i := first; i < len(tor.Pieces); i++ {
		start, stop := int64(i)*b.PieceLength, min(int64(i+1)*b.PieceLength, tor.TotalLength)
		if stop > end {
			break
		}
		p := buf[:stop-start]
		if _, err := f.ReadAt(p, start-b.FileOffset); err != nil {
			return n, fmt.Errorf("copy %s: %v", path, err)
		}
		if sha1.Sum(p) != tor.Pieces[i] {
			return n, fmt.Errorf("piece %d of %s computed from the copy %s differs from the info dictionary's hash", i, b.InfoHash, path)
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("no piece of %s lies wholly inside the document: nothing to compute from the copy", b.InfoHash)
	}
	return n, nil
}

// checkBlocksFromCopies compares the blocks of verified pieces recorded
// in the transcripts of every section of the bundle with the copies.
func checkBlocksFromCopies(dir string, recs map[logSection]map[int64]docRecord, bases map[string]evidence.MatchBasis, copies map[string]string,
	c *DocumentCheck, add func(string, string, ...any)) error {
	secs := slices.Sorted(maps.Keys(recs))
	for _, sec := range secs {
		if err := checkSectionBlocks(dir, sec, recs[sec], bases, copies, c, add); err != nil {
			return err
		}
	}
	return nil
}

// checkSectionBlocks is [checkBlocksFromCopies] for one section's
// transcripts, whose records are recs.
func checkSectionBlocks(dir string, sec logSection, recs map[int64]docRecord, bases map[string]evidence.MatchBasis, copies map[string]string,
	c *DocumentCheck, add func(string, string, ...any)) error {
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(sec+transcriptsDir)))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		rel := sec + transcriptsDir + e.Name()
		err := eachJSONLine(filepath.Join(dir, filepath.FromSlash(rel)), 2*evidence.MaxTranscript, func(line []byte) error {
			var tl transcriptLine
			if err := json.Unmarshal(line, &tl); err != nil {
				return err
			}
			r, ok := recs[tl.Index]
			if !ok || copies[bases[r.basis].Document] == "" {
				return nil
			}
			tr, err := base64.StdEncoding.DecodeString(tl.Transcript)
			if err != nil {
				return err
			}
			return checkTranscriptBlocks(tr, bases[r.basis], r.verified, copies[bases[r.basis].Document], c, func(format string, a ...any) {
				add(rel, "record %d: "+format, append([]any{tl.Index}, a...)...)
			})
		})
		if err != nil {
			add(rel, "%v", err)
		}
	}
	return nil
}

// checkTranscriptBlocks compares each received block of a verified piece
// in one transcript with the copy at path.
func checkTranscriptBlocks(tr []byte, b evidence.MatchBasis, verified []int, path string, c *DocumentCheck, fail func(string, ...any)) error {
	recs, err := evidence.ParseTranscript(tr)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, r := range recs {
		pc, ok := r.Piece()
		if !ok {
			continue
		}
		n, index := pc.Length, int(pc.Index)
		start := int64(index)*b.PieceLength + int64(pc.Begin)
		if !slices.Contains(verified, index) || n <= 0 || n > b.PieceLength {
			continue
		}
		if start < b.FileOffset || start+n > b.FileOffset+b.FileLength {
			c.Outside++
			continue
		}
		p := make([]byte, n)
		if _, err := f.ReadAt(p, start-b.FileOffset); err != nil {
			return fmt.Errorf("copy %s: %v", path, err)
		}
		if sha256.Sum256(p) != pc.SHA256 {
			fail("block of verified piece %d at byte %d (%d bytes) was not the document's bytes at that place", index, start-b.FileOffset, n)
			continue
		}
		c.Blocks++
		c.BlockBytes += n
	}
	return nil
}
