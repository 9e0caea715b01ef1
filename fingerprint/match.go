package fingerprint

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Match methods, as printed by `leakhunt match`.
//
// v1-pieces, v2-root and v2-root+v1-pieces are proven from the torrent's own
// info dictionary; btih repeats such a proof for a link naming that
// infohash. ed2k, sha1 and tth prove only that the link names the
// document: they prove nothing about an infohash the link also carries.
const (
	MethodV2Root   = "v2-root"           // a v2 file's BEP 52 pieces root equals the document's
	MethodV1Pieces = "v1-pieces"         // every v1 piece inside the file equals the document's
	MethodHybrid   = "v2-root+v1-pieces" // a hybrid file: both of the above
	MethodBTIH     = "btih"              // a link names an infohash already proven to carry it
	MethodED2K     = "ed2k"              // a link's ed2k hash equals the document's
	MethodSHA1     = "sha1"              // a link's SHA-1 equals the document's
	MethodTTH      = "tth"               // a link's Tiger Tree Hash equals the document's
	MethodNameSize = "name-size"         // a lead: same size, nothing could be compared
)

// Verdicts.
const (
	VerdictProven = "proven" // the data was compared: evidence
	VerdictLead   = "lead"   // worth a look, never evidence
	// VerdictInconsistent marks a hybrid (BEP 52) torrent whose v1 and v2
	// hashes disagree about the document: one side says it is the
	// document, the other that it is not. It is recorded, never probed,
	// never named in a letter.
	VerdictInconsistent = "inconsistent"
)

// Match says that a torrent file or link carries a catalogued document.
// Field names and JSON tags are the `leakhunt match` contract.
type Match struct {
	// InfoHash is the torrent's infohash (v1, or truncated v2); for a link
	// its btih (or truncated btmh), empty when it has none.
	InfoHash InfoHash `json:"infohash"`
	// TorrentName is the torrent's sanitized name, or a link's name.
	TorrentName string `json:"torrent_name"`
	// File is the sanitized path of the file inside the torrent, or a
	// link's name.
	File string `json:"file"`
	// Document is the document's SHA-256.
	Document     string `json:"document"`
	DocumentName string `json:"document_name"`
	// Method is one of the Method constants.
	Method string `json:"method"`
	// FileIndex is the file's position in the torrent's file list (v1
	// order with pad files; file-tree order for pure v2): probes target
	// this file and its byte range, never a file found again by its name.
	// -1 for a link.
	FileIndex int `json:"file_index"`
	// FileOffset and FileLength are the file's byte range in the torrent's
	// v1 piece stream (the aligned offset for pure v2); zero for a link.
	FileOffset int64 `json:"file_offset"`
	FileLength int64 `json:"file_length"`
	// PiecesChecked and PiecesMatched count the v1 pieces compared; for
	// v2-root, the file's v2 pieces (the root commits to all of them); for
	// link hashes and leads, 0.
	PiecesChecked int `json:"pieces_checked"`
	PiecesMatched int `json:"pieces_matched"`
	// Verdict is VerdictProven, VerdictLead or VerdictInconsistent.
	Verdict string `json:"verdict"`
}

// ProvesTorrent reports whether m proves, from the torrent's own info
// dictionary, that the torrent named by InfoHash carries the document:
// a proven v1-pieces, v2-root, v2-root+v1-pieces or btih match. Link hashes
// (ed2k, sha1, tth) prove only the link.
func (m Match) ProvesTorrent() bool {
	if m.Verdict != VerdictProven || m.InfoHash.IsZero() {
		return false
	}
	switch m.Method {
	case MethodV1Pieces, MethodV2Root, MethodHybrid, MethodBTIH:
		return true
	}
	return false
}

// Probeable reports whether a peer's v1 pieces can be checked against m:
// the document was proven by the torrent's v1 piece hashes (alone or with
// the v2 root), which are the hashes a probe verifies downloaded pieces
// against.
func (m Match) Probeable() bool {
	return m.ProvesTorrent() && (m.Method == MethodV1Pieces || m.Method == MethodHybrid)
}

// MatchTorrent reports the catalogued documents that t's files carry:
//
//   - v2-root (proven): in a pure v2 torrent, the file's pieces root equals
//     the document's BTv2Root. A file with a pieces root that differs from
//     a same-size document's BTv2Root is not that document.
//   - v1-pieces (proven): in a v1 torrent, for a same-size document, every
//     piece lying wholly inside the file (plus the piece holding the
//     file's end when the rest of it is the torrent's end or BEP 47 pad
//     files) was hashed from the catalogued copy at the same alignment and
//     all were equal. If any differs the file is not the document, and
//     nothing is reported: not even a lead.
//   - v2-root+v1-pieces (proven): in a hybrid torrent, both of the above.
//     A hybrid is proven only on both sides, because probes verify v1
//     pieces; when one side says the document and the other does not, the
//     match is reported as inconsistent (never probed, never in a letter).
//   - name-size (lead): a same-size document where no piece lies wholly
//     inside the file (too small for its piece length and offset), or where
//     the document cannot be verified (no open function, or a v2-only
//     torrent against a document without BTv2Root).
//
// Every match carries the file's index and byte range. Pad files, symlinks
// and empty files are never matched. Each (file, document) pair is reported
// at most once. The error joins failures to read catalogued copies; matches
// found despite them are still returned. Safe for concurrent use.
func (ix *Index) MatchTorrent(t *Torrent) ([]Match, error) {
	var out []Match
	var errs []error
	for fi := range t.Files {
		f := &t.Files[fi]
		if f.Pad || f.Symlink || f.Length <= 0 {
			continue
		}
		bySize := ix.bySize[f.Length]
		if len(bySize) == 0 {
			continue // a pieces root commits to the length too
		}
		mk := func(d *Entry, method, verdict string, checked, matched int) Match {
			return Match{InfoHash: t.InfoHash, TorrentName: t.Name, File: f.Path, FileIndex: fi, FileOffset: f.Offset,
				FileLength: f.Length, Document: d.SHA256, DocumentName: d.Name, Method: method,
				PiecesChecked: checked, PiecesMatched: matched, Verdict: verdict}
		}
		for _, di := range bySize {
			d := &ix.docs[di]
			rootKnown := len(f.PiecesRoot) == 32 && d.BTv2Root != ""
			rootEqual := rootKnown && strings.EqualFold(hex.EncodeToString(f.PiecesRoot), d.BTv2Root)
			if t.Version == V2 {
				switch {
				case rootEqual:
					n := int((f.Length + t.PieceLength - 1) / t.PieceLength)
					out = append(out, mk(d, MethodV2Root, VerdictProven, n, n))
				case !rootKnown:
					out = append(out, mk(d, MethodNameSize, VerdictLead, 0, 0))
				}
				continue
			}
			if ix.open == nil {
				if !rootKnown || rootEqual {
					out = append(out, mk(d, MethodNameSize, VerdictLead, 0, 0))
				}
				continue
			}
			checked, matched, err := ix.verifyV1(t, fi, di)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			v1Equal := checked > 0 && matched == checked
			switch {
			case t.Version == Hybrid && rootKnown && rootEqual != v1Equal && checked > 0:
				// One side says the document, the other says other bytes.
				out = append(out, mk(d, methodOf(rootEqual, v1Equal), VerdictInconsistent, checked, matched))
			case t.Version == Hybrid && rootEqual && v1Equal:
				out = append(out, mk(d, MethodHybrid, VerdictProven, checked, matched))
			case rootKnown && !rootEqual:
				// Not this document (and v1 agrees, or cannot tell).
			case v1Equal:
				out = append(out, mk(d, MethodV1Pieces, VerdictProven, checked, matched))
			case checked == 0:
				out = append(out, mk(d, MethodNameSize, VerdictLead, 0, 0))
			}
		}
	}
	return out, errors.Join(errs...)
}

// methodOf names the side of an inconsistent hybrid that matched.
func methodOf(rootEqual, v1Equal bool) string {
	if rootEqual {
		return MethodV2Root
	}
	return MethodV1Pieces
}

// v1Plan says which torrent pieces lie wholly inside a file: n full pieces
// first..first+n-1, starting phase bytes into the file, then optionally a
// tail piece made of the file's last tailLen bytes followed by tailPad zero
// bytes. The tail piece is checkable when it ends the torrent inside the
// file, or when everything after the file up to the piece's end is pad
// files (BEP 47 pad files are zeros).
type v1Plan struct {
	first, n, phase, tailLen, tailPad int64
	tail                              bool
}

func planV1(t *Torrent, fi int) v1Plan {
	f := &t.Files[fi]
	P, o, L := t.PieceLength, f.Offset, f.Length
	var p v1Plan
	p.phase = (P - o%P) % P
	p.first = (o + p.phase) / P
	if p.phase >= L {
		return p
	}
	p.n = (L - p.phase) / P
	rest := (L - p.phase) % P
	if rest == 0 {
		return p
	}
	end := min((p.first+p.n+1)*P, t.TotalLength) // end of the tail piece
	pos := o + L
	for j := fi + 1; j < len(t.Files) && pos < end; j++ {
		g := &t.Files[j]
		if !g.Pad && g.Length != 0 {
			break
		}
		pos += g.Length
	}
	if pos >= end {
		p.tail, p.tailLen, p.tailPad = true, rest, end-(o+L)
	}
	return p
}

// verifyV1 compares the torrent's pieces inside f with the document's bytes
// at the same alignment. It stops at the first difference, so matched <
// checked means "not this document" without saying how many differ.
func (ix *Index) verifyV1(t *Torrent, fi int, di int32) (checked, matched int, err error) {
	f, d := &t.Files[fi], &ix.docs[di]
	p := planV1(t, fi)
	checked = int(p.n)
	if p.tail {
		checked++
	}
	if checked == 0 {
		return 0, 0, nil
	}
	if p.first+p.n+boolInt(p.tail) > int64(len(t.Pieces)) {
		return 0, 0, fmt.Errorf("file %q: pieces out of range", f.Path)
	}
	key := alignKey{doc: di, pieceLen: t.PieceLength, phase: p.phase}
	cached := ix.cache.get(key)
	if cached != nil && (!p.tail || (cached.hasTail && cached.tailPad == p.tailPad)) {
		return checked, comparePlan(t, p, cached), nil
	}
	r, err := ix.open(d.SHA256)
	if err != nil {
		return 0, 0, fmt.Errorf("open document %s: %w", d.SHA256, err)
	}
	defer r.Close()
	val := &alignVal{}
	if cached != nil {
		val.full = cached.full
	} else {
		buf := make([]byte, min(t.PieceLength, f.Length))
		val.full = make([][sha1.Size]byte, 0, p.n)
		for k := range p.n {
			h, err := hashAt(r, buf, p.phase+k*t.PieceLength)
			if err != nil {
				return 0, 0, fmt.Errorf("read document %s: %w", d.SHA256, err)
			}
			if h != t.Pieces[p.first+k] {
				return checked, int(k), nil
			}
			val.full = append(val.full, h)
		}
	}
	if p.tail {
		buf := make([]byte, p.tailLen+p.tailPad)
		h, err := hashAt(r, buf[:p.tailLen], p.phase+p.n*t.PieceLength)
		if err != nil {
			return 0, 0, fmt.Errorf("read document %s: %w", d.SHA256, err)
		}
		if p.tailPad > 0 {
			h = sha1.Sum(buf) // the file's tail, then zeros
		}
		val.tail, val.tailPad, val.hasTail = h, p.tailPad, true
	} else if cached != nil {
		val.tail, val.tailPad, val.hasTail = cached.tail, cached.tailPad, cached.hasTail
	}
	ix.cache.put(key, val)
	return checked, comparePlan(t, p, val), nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// comparePlan counts equal pieces up to the first difference.
func comparePlan(t *Torrent, p v1Plan, v *alignVal) int {
	m := 0
	for k := range p.n {
		if v.full[k] != t.Pieces[p.first+k] {
			return m
		}
		m++
	}
	if p.tail && v.tail == t.Pieces[p.first+p.n] {
		m++
	}
	return m
}

func hashAt(r io.ReaderAt, buf []byte, off int64) ([sha1.Size]byte, error) {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return sha1.Sum(buf), nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return [sha1.Size]byte{}, err
}

// MatchLink reports the catalogued documents a magnet or ed2k link names:
// ed2k (either convention), sha1 and tth hashes equal to a document's are
// proven when the link's size, if given, agrees. Such a match proves that
// the link names the document and nothing about an infohash beside the
// hash: its InfoHash is empty. A btih or btmh is proven only if
// [Index.AddProven] recorded that infohash from its own info dictionary.
// A link with a size and a name similar to a same-size document is a lead,
// unless one of its hashes shows it is another content. A btih-only magnet
// without a known infohash matches nothing by itself. Safe for concurrent
// use.
func (ix *Index) MatchLink(l Link) []Match {
	ih := l.BTIH
	if ih.IsZero() && !l.BTMH.IsZero() {
		ih = l.BTMH.Truncated()
	}
	var out []Match
	proven := make(map[int32]bool)
	mk := func(d *Entry, method, verdict string) Match {
		return Match{TorrentName: l.Name, File: l.Name, FileIndex: -1, Document: d.SHA256,
			DocumentName: d.Name, Method: method, Verdict: verdict}
	}
	byHash := func(m map[string][]int32, key, method string) {
		if key == "" {
			return
		}
		for _, di := range m[key] {
			d := &ix.docs[di]
			if proven[di] || (l.Size >= 0 && l.Size != d.Size) {
				continue
			}
			proven[di] = true
			out = append(out, mk(d, method, VerdictProven))
		}
	}
	byHash(ix.byED2K, l.ED2K, MethodED2K)
	byHash(ix.bySHA1, l.SHA1, MethodSHA1)
	byHash(ix.byTTH, l.TTH, MethodTTH)
	if !ih.IsZero() {
		for _, m := range ix.provenFor(ih) {
			m.Method, m.Verdict, m.InfoHash = MethodBTIH, VerdictProven, ih
			if l.Name != "" {
				m.TorrentName = l.Name
			}
			out = append(out, m)
		}
	}
	if l.Size < 0 || l.Name == "" {
		return out
	}
	for _, di := range ix.bySize[l.Size] {
		d := &ix.docs[di]
		if proven[di] || contradicts(l, d) || !SimilarName(l.Name, d.Name) {
			continue
		}
		out = append(out, mk(d, MethodNameSize, VerdictLead))
	}
	return out
}

// contradicts reports whether one of the link's hashes differs from the
// same kind of hash of the document.
func contradicts(l Link, d *Entry) bool {
	if l.ED2K != "" && d.ED2K != "" && !strings.EqualFold(l.ED2K, d.ED2K) && !strings.EqualFold(l.ED2K, d.ED2KAlt) {
		return true
	}
	if l.SHA1 != "" && d.SHA1 != "" && !strings.EqualFold(l.SHA1, d.SHA1) {
		return true
	}
	return l.TTH != "" && d.TTH != "" && !strings.EqualFold(l.TTH, d.TTH)
}

// SimilarName reports whether two file names look like the same document:
// equal once case, punctuation and the extension are ignored; one
// containing the other (at least 4 letters); or sharing at least half of
// their words. Safe for concurrent use.
func SimilarName(a, b string) bool {
	ta, tb := nameWords(a), nameWords(b)
	if len(ta) == 0 || len(tb) == 0 {
		return false
	}
	ja, jb := strings.Join(ta, ""), strings.Join(tb, "")
	if ja == jb {
		return true
	}
	short, long := ja, jb
	if len(short) > len(long) {
		short, long = long, short
	}
	if len([]rune(short)) >= 4 && strings.Contains(long, short) {
		return true
	}
	set := make(map[string]bool, len(ta))
	for _, w := range ta {
		set[w] = true
	}
	common := 0
	union := len(set)
	seen := make(map[string]bool)
	for _, w := range tb {
		if seen[w] {
			continue
		}
		seen[w] = true
		if set[w] {
			common++
		} else {
			union++
		}
	}
	return 2*common >= union
}

// nameWords lower-cases a name, drops a short extension and splits it into
// words of letters and digits.
func nameWords(s string) []string {
	if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i <= 6 {
		s = s[:i]
	}
	s = strings.ToLower(s)
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
