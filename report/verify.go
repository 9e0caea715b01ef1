package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// ManifestSigName is the signed note committing to MANIFEST's sha256.
const ManifestSigName = "MANIFEST.sig"

// manifestNoteText is the text of MANIFEST.sig.
func manifestNoteText(sum [32]byte) string {
	return "leakhunt bundle manifest\nsha256 " + hex.EncodeToString(sum[:]) + "\n"
}

// Problem is one thing in a bundle that failed verification.
type Problem struct {
	// Path is the bundle file concerned, slash-separated.
	Path string
	What string
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// ErrNotBundle is returned by [VerifyBundle] for a directory without MANIFEST.
var ErrNotBundle = errors.New("not a report bundle (no MANIFEST)")

// maxProofLine bounds one line of a proofs file.
const maxProofLine = 8 << 20

// VerifyOptions configure [VerifyBundle].
type VerifyOptions struct {
	// Key pins the signer: a key fingerprint ("SHA256:…") or a public key
	// in note form. Empty trusts the bundle's own key.pub, which proves
	// nothing about who signed it.
	Key string
}

// BundleKey returns the name and fingerprint of a bundle's key.pub.
func BundleKey(dir string) (name, fingerprint string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, "key.pub"))
	if err != nil {
		return "", "", err
	}
	fp, err := evidence.KeyFingerprint(string(b))
	if err != nil {
		return "", "", err
	}
	name, _, _ = strings.Cut(strings.TrimSpace(string(b)), "+")
	return name, fp, nil
}

// PinFingerprint turns a --key value (a fingerprint, or a public key in
// note form) into a fingerprint.
func PinFingerprint(key string) (string, error) {
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, "SHA256:") {
		return key, nil
	}
	return evidence.KeyFingerprint(key)
}

// VerifyBundle checks a report bundle offline: MANIFEST's signature and
// every file's sha256, that no file is unlisted, the checkpoint's
// signature with the bundle's key.pub (which must be opt.Key when given),
// every record's inclusion proof against the checkpoint, the consistency
// proof from the previous checkpoint, and that letters and peers.csv name
// only peers whose records in the bundle reach L2 or above. No problems
// means the bundle is intact. The error is for a bundle that cannot be
// read at all. Without opt.Key the key is the bundle's own: compare its
// fingerprint with the one the sender published independently.
func VerifyBundle(dir string, opt VerifyOptions) ([]Problem, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotBundle)
	}
	if err != nil {
		return nil, err
	}
	var probs []Problem
	add := func(path, format string, args ...any) {
		probs = append(probs, Problem{path, fmt.Sprintf(format, args...)})
	}
	manifest, err := ParseManifest(strings.NewReader(string(mb)))
	if err != nil {
		add(ManifestName, "%v", err)
		manifest = map[string]string{}
	}
	var pin string
	if opt.Key != "" {
		if pin, err = PinFingerprint(opt.Key); err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
	}
	verifierKey, keyErr := checkKey(dir, mb, pin, add)
	// Every file against MANIFEST, and no extra files.
	listed, err := checkFiles(dir, manifest, add)
	if err != nil {
		return nil, err
	}
	// The checkpoint, every record's proof and the previous checkpoint.
	recs := &bundleRecords{levels: map[string]evidence.Level{}, ours: map[string]bool{}, transcripts: map[int64]string{}, ed2k: map[int64]bool{},
		bases: map[string]basisCheck{}, read: manifestReader(dir, manifest)}
	levels, ours := recs.levels, recs.ours
	cpb, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		add("checkpoint", "cannot read: %v", err)
	} else if keyErr == nil {
		cp, err := evidence.OpenCheckpoint(cpb, verifierKey)
		if err != nil {
			add("checkpoint", "%v", err)
		} else {
			for _, rel := range listed {
				if strings.HasPrefix(rel, "proofs/") && strings.HasSuffix(rel, ".jsonl") {
					checkProofs(dir, rel, cp, recs, add)
				}
			}
			if _, ok := manifest[PreviousCheckpointName]; ok {
				checkConsistency(dir, cp, verifierKey, add)
			}
		}
	}
	// Other sensors' logs, each against its own signed checkpoint.
	checkSensors(dir, listed, recs, add)
	// Transcripts are the ones their records name.
	for _, rel := range listed {
		if strings.HasPrefix(rel, transcriptsDir) {
			checkTranscripts(dir, rel, recs, add)
		}
	}
	// Letters and CSV name only proven peers.
	for _, rel := range listed {
		if strings.HasPrefix(rel, "letters/") {
			checkLetter(dir, rel, levels, ours, add)
		}
	}
	if _, ok := manifest["peers.csv"]; ok {
		checkCSV(dir, "peers.csv", levels, add)
	}
	return probs, nil
}

// manifestReader reads the bundle files MANIFEST lists, and no other.
func manifestReader(dir string, manifest map[string]string) func(rel string) ([]byte, error) {
	return func(rel string) ([]byte, error) {
		if _, ok := manifest[rel]; !ok {
			return nil, fs.ErrNotExist
		}
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	}
}

// checkKey reads key.pub, checks it against the expected fingerprint pin,
// if any, and checks MANIFEST's signature with it. It returns the key, or
// the error reading it (the checks needing it are then skipped).
func checkKey(dir string, mb []byte, pin string, add func(path, format string, args ...any)) (string, error) {
	key, keyErr := os.ReadFile(filepath.Join(dir, "key.pub"))
	verifierKey := strings.TrimSpace(string(key))
	if keyErr != nil {
		add("key.pub", "cannot read the public key: %v", keyErr)
	} else if pin != "" {
		got, err := evidence.KeyFingerprint(verifierKey)
		switch {
		case err != nil:
			add("key.pub", "%v", err)
		case got != pin:
			name, _, _ := strings.Cut(verifierKey, "+")
			add("key.pub", "the bundle is signed by key %s (%s), not by the expected key %s", got, field(name), pin)
		}
	}
	// MANIFEST's own signature.
	if sig, err := os.ReadFile(filepath.Join(dir, ManifestSigName)); err != nil {
		add(ManifestSigName, "missing: %v", err)
	} else if keyErr == nil {
		if err := checkManifestSig(sig, verifierKey, sha256.Sum256(mb)); errors.Is(err, errManifestChanged) {
			add(ManifestName, "does not match the sha256 signed in %s", ManifestSigName)
		} else if err != nil {
			add(ManifestSigName, "signature does not verify with key.pub: %v", err)
		}
	}
	return verifierKey, keyErr
}

// checkFiles checks every file of the bundle against its MANIFEST
// checksum, names files MANIFEST does not list and listed files that are
// missing, and returns the listed paths in order.
func checkFiles(dir string, manifest map[string]string, add func(path, format string, args ...any)) ([]string, error) {
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return nil
		}
		if rel == ManifestName || rel == ManifestSigName {
			return nil
		}
		want, listed := manifest[rel]
		if !d.Type().IsRegular() {
			add(rel, "not a regular file")
			return nil
		}
		if !listed {
			add(rel, "not listed in MANIFEST")
			return nil
		}
		seen[rel] = true
		got, err := fileSHA256(p)
		if err != nil {
			add(rel, "cannot read: %v", err)
		} else if got != want {
			add(rel, "sha256 mismatch")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read bundle %s: %w", dir, err)
	}
	var listed []string
	for rel := range manifest {
		listed = append(listed, rel)
	}
	slices.Sort(listed)
	for _, rel := range listed {
		if !seen[rel] {
			add(rel, "listed in MANIFEST but missing")
		}
	}
	return listed, nil
}

var errManifestChanged = errors.New("signed hash differs from MANIFEST's")

func checkManifestSig(sig []byte, verifierKey string, sum [32]byte) error {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return fmt.Errorf("public key: %w", err)
	}
	n, err := note.Open(sig, note.VerifierList(v))
	if err != nil {
		return err
	}
	if n.Text != manifestNoteText(sum) {
		return errManifestChanged
	}
	return nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// leafKey are the fields of a leaf the checks need.
type leafKey struct {
	IP               string               `json:"ip"`
	Port             int                  `json:"port"`
	InfoHash         fingerprint.InfoHash `json:"infohash"`
	Level            evidence.Level       `json:"level"`
	Network          string               `json:"network"`
	ED2K             fingerprint.ED2KHash `json:"ed2k"`
	BlockVerified    *evidence.ByteRange  `json:"block_verified"`
	ListenAddr       string               `json:"listen_addr"`
	YourIP           string               `json:"your_ip"`
	Document         string               `json:"document"`
	PiecesVerified   []int                `json:"pieces_verified"`
	DocBytesVerified int64                `json:"doc_bytes_verified"`
	Basis            string               `json:"basis"`
	TranscriptSHA256 string               `json:"transcript_sha256"`
	SensorAddr       string               `json:"sensor_addr"`
}

// bundleRecords is what the proofs establish about the bundle's records,
// for the checks of the files that refer to them.
type bundleRecords struct {
	levels      map[string]evidence.Level // "ih ip port" and "ip" → highest proven level
	ours        map[string]bool           // our own addresses, named in letters as ours
	transcripts map[int64]string          // record → the transcript SHA-256 its leaf names
	ed2k        map[int64]bool            // records of the eMule network (ed2k transcripts)
	bases       map[string]basisCheck
	read        func(rel string) ([]byte, error)
}

// checkConsistency checks the previous checkpoint's signature (with
// previous-key.pub when the bundle has one) and the proof that the signed
// tree extends it.
func checkConsistency(dir string, cp evidence.Checkpoint, verifierKey string, add func(string, string, ...any)) {
	prevb, err := os.ReadFile(filepath.Join(dir, PreviousCheckpointName))
	if err != nil {
		add(PreviousCheckpointName, "cannot read: %v", err)
		return
	}
	key := verifierKey
	if b, err := os.ReadFile(filepath.Join(dir, PreviousKeyName)); err == nil {
		key = strings.TrimSpace(string(b))
	}
	prev, err := evidence.OpenCheckpoint(prevb, key)
	if err != nil {
		add(PreviousCheckpointName, "%v", err)
		return
	}
	pb, err := os.ReadFile(filepath.Join(dir, ConsistencyProofName))
	if err != nil {
		add(ConsistencyProofName, "cannot read: %v", err)
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(pb), "\n"), "\n")
	if len(lines) < 3 || lines[0] != "leakhunt consistency proof" || lines[1] != "old "+strconv.FormatInt(prev.Size, 10) ||
		lines[2] != "new "+strconv.FormatInt(cp.Size, 10) || len(lines) > 3+64 {
		add(ConsistencyProofName, "not a proof from the previous checkpoint (size %d) to the checkpoint (size %d)", prev.Size, cp.Size)
		return
	}
	var proof tlog.TreeProof
	for _, l := range lines[3:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			add(ConsistencyProofName, "a proof hash is not a base64 SHA-256")
			return
		}
		proof = append(proof, tlog.Hash(h))
	}
	if err := tlog.CheckTree(proof, cp.Size, cp.Hash, prev.Size, prev.Hash); err != nil {
		add(ConsistencyProofName, "the signed tree does not extend the previous checkpoint's: records signed before were changed (%v)", err)
	}
}

func normIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

func checkProofs(dir, rel string, cp evidence.Checkpoint, recs *bundleRecords, add func(string, string, ...any)) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		add(rel, "cannot read: %v", err)
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxProofLine)
	line, bad := 0, 0
	for sc.Scan() {
		line++
		if err := checkProofLine(sc.Bytes(), cp, recs); err != nil {
			if bad++; bad <= 5 {
				add(rel, "line %d: %v", line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		add(rel, "line %d: %v", line+1, err)
	}
	if bad > 5 {
		add(rel, "%d more lines failed", bad-5)
	}
}

// checkProofLine checks one proofs line and records the leaf's level; a
// record that names a match basis is checked against it (and the info
// dictionary it names).
func checkProofLine(b []byte, cp evidence.Checkpoint, recs *bundleRecords) error {
	levels, ours := recs.levels, recs.ours
	var pl proofLine
	if err := json.Unmarshal(b, &pl); err != nil {
		return fmt.Errorf("not a proof record: %v", err)
	}
	leaf, err := base64.StdEncoding.DecodeString(pl.Leaf)
	if err != nil {
		return fmt.Errorf("record %d: leaf is not base64", pl.Index)
	}
	if len(pl.Proof) > 64 {
		return fmt.Errorf("record %d: proof too long", pl.Index)
	}
	proof := make(tlog.RecordProof, len(pl.Proof))
	for i, s := range pl.Proof {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != tlog.HashSize {
			return fmt.Errorf("record %d: proof hash %d is not a base64 SHA-256", pl.Index, i)
		}
		proof[i] = tlog.Hash(h)
	}
	if pl.Index < 0 || pl.Index >= cp.Size {
		return fmt.Errorf("record %d is outside the signed tree of %d records", pl.Index, cp.Size)
	}
	if err := evidence.CheckRecord(proof, cp, pl.Index, leaf); err != nil {
		return fmt.Errorf("record %d: inclusion proof does not match the signed checkpoint", pl.Index)
	}
	var k leafKey
	if err := json.Unmarshal(leaf, &k); err != nil {
		return fmt.Errorf("record %d: leaf is not an observation: %v", pl.Index, err)
	}
	ip := normIP(k.IP)
	o := evidence.Observation{InfoHash: k.InfoHash, Network: k.Network, ED2K: k.ED2K}
	pk := o.Subject() + " " + ip + " " + strconv.Itoa(k.Port)
	if old, ok := levels[pk]; !ok || k.Level > old {
		levels[pk] = k.Level
	}
	if old, ok := levels[ip]; !ok || k.Level > old {
		levels[ip] = k.Level
	}
	if k.YourIP != "" {
		ours[normIP(k.YourIP)] = true
	}
	if ap, err := netip.ParseAddrPort(k.ListenAddr); err == nil {
		ours[ap.Addr().Unmap().String()] = true
	}
	// The recording sensor's public address, as its operator gave it.
	if a, err := netip.ParseAddr(k.SensorAddr); err == nil {
		ours[a.Unmap().String()] = true
	} else if ap, err := netip.ParseAddrPort(k.SensorAddr); err == nil {
		ours[ap.Addr().Unmap().String()] = true
	}
	if k.TranscriptSHA256 != "" {
		recs.transcripts[pl.Index] = k.TranscriptSHA256
		if o.Net() == evidence.NetworkED2K {
			recs.ed2k[pl.Index] = true
		}
	}
	if o.Net() == evidence.NetworkED2K {
		return checkED2KRecord(pl.Index, &k)
	}
	if k.Basis != "" {
		bc, ok := recs.bases[k.Basis]
		if !ok {
			bc = checkBasis(recs.read, k.Basis)
			recs.bases[k.Basis] = bc
		}
		if bc.err != nil {
			return fmt.Errorf("record %d: %v", pl.Index, bc.err)
		}
		if bc.b.InfoHash != k.InfoHash || bc.b.Document != k.Document {
			return fmt.Errorf("record %d: its match basis is for torrent %s and document %s", pl.Index, bc.b.InfoHash, bc.b.Document)
		}
		if err := bc.checkServed(k.Level, k.PiecesVerified, k.DocBytesVerified); err != nil {
			return fmt.Errorf("record %d: %v", pl.Index, err)
		}
	}
	return nil
}

// checkTranscripts checks a transcripts file: each transcript is well
// formed and hashes to what its record names.
func checkTranscripts(dir, rel string, recs *bundleRecords, add func(string, string, ...any)) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		add(rel, "cannot read: %v", err)
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 2*evidence.MaxTranscript)
	line, bad := 0, 0
	fail := func(format string, a ...any) {
		if bad++; bad <= 5 {
			add(rel, "line %d: "+format, append([]any{line}, a...)...)
		}
	}
	for sc.Scan() {
		line++
		var tl transcriptLine
		if err := json.Unmarshal(sc.Bytes(), &tl); err != nil {
			fail("not a transcript line: %v", err)
			continue
		}
		tr, err := base64.StdEncoding.DecodeString(tl.Transcript)
		if err != nil {
			fail("transcript is not base64")
			continue
		}
		want, ok := recs.transcripts[tl.Index]
		sum := sha256.Sum256(tr)
		switch {
		case !ok:
			fail("record %d is not in the bundle, or names no transcript", tl.Index)
		case hex.EncodeToString(sum[:]) != want:
			fail("the transcript of record %d does not hash to the SHA-256 the record names", tl.Index)
		default:
			parse := func(b []byte) error { _, err := evidence.ParseTranscript(b); return err }
			if recs.ed2k[tl.Index] {
				parse = func(b []byte) error { _, err := ed2k.ParseTranscript(b); return err }
			}
			if err := parse(tr); err != nil {
				fail("record %d: %v", tl.Index, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		add(rel, "line %d: %v", line+1, err)
	}
	if bad > 5 {
		add(rel, "%d more lines failed", bad-5)
	}
}

// addrToken finds candidate IP addresses in text.
var addrToken = regexp.MustCompile(`[0-9A-Fa-f:.]*[0-9A-Fa-f][0-9A-Fa-f:.]*`)

func checkLetter(dir, rel string, levels map[string]evidence.Level, ours map[string]bool, add func(string, string, ...any)) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		add(rel, "cannot read: %v", err)
		return
	}
	reported := map[string]bool{}
	for _, tok := range addrToken.FindAllString(string(b), -1) {
		tok = strings.Trim(tok, ".:")
		if strings.Count(tok, ".") != 3 && strings.Count(tok, ":") < 2 {
			continue
		}
		a, err := netip.ParseAddr(tok)
		if err != nil {
			continue
		}
		ip := a.Unmap().String()
		if lvl, ok := levels[ip]; (!ok || lvl < 2) && !reported[ip] && !ours[ip] {
			reported[ip] = true
			add(rel, "names %s, which has no record at L2 or above in the bundle", ip)
		}
	}
}

func checkCSV(dir, rel string, levels map[string]evidence.Level, add func(string, string, ...any)) {
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		add(rel, "cannot read: %v", err)
		return
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		add(rel, "no header: %v", err)
		return
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"ip", "port", "infohash", "level"} {
		if _, ok := col[c]; !ok {
			add(rel, "no %q column", c)
			return
		}
	}
	unq := func(s string) string {
		if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
			return s[1:]
		}
		return s
	}
	line := 1
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return
		}
		line++
		if err != nil {
			add(rel, "line %d: %v", line, err)
			return
		}
		ip, port, ih := normIP(unq(row[col["ip"]])), unq(row[col["port"]]), unq(row[col["infohash"]])
		if c, ok := col["network"]; ok && c < len(row) && row[c] == evidence.NetworkED2K {
			if e, ok := col["ed2k"]; ok && e < len(row) {
				ih = "ed2k:" + unq(row[e])
			}
		}
		lvl, ok := levels[ih+" "+ip+" "+port]
		claimed, cerr := evidence.ParseLevel(row[col["level"]])
		switch {
		case !ok || lvl < evidence.L2Connected:
			add(rel, "line %d names %s port %s, which has no record at L2 or above in the bundle", line, ip, port)
		case cerr != nil:
			add(rel, "line %d: %v", line, cerr)
		case claimed > lvl:
			add(rel, "line %d claims %s for %s port %s; its records prove %s", line, claimed, ip, port, lvl)
		}
	}
}
