package evidence

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is the evidence log as this package reads, verifies and signs it:
// the leaves and stored hashes of the RFC 6962 tree, the signed
// checkpoints and the key history. *store.Store implements it.
type Log interface {
	// LogSize is the number of records.
	LogSize() (int64, error)
	// ReadHashes reads stored tree hashes (tlog.HashReader).
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	// ForEachRecord calls fn with every record from index from on, in
	// order, with its leaf and its stored hashes.
	ForEachRecord(from int64, fn func(n int64, leaf []byte, hashes []tlog.Hash) error) error
	// Checkpoints calls fn with every stored signed checkpoint, by size.
	Checkpoints(fn func(size int64, signed []byte) error) error
	// PutCheckpoint stores a signed checkpoint of the tree of size records.
	PutCheckpoint(size int64, signed []byte) error
	// SigningKeys is the key history, oldest first.
	SigningKeys() ([]SigningKey, error)
}

// KeyLog is a [Log] that registers signing keys: the file of the store
// whose key sits beside it at Path()+".key". *store.Store implements it.
type KeyLog interface {
	Log
	Path() string
	HasCheckpoints() (bool, error)
	// AddSigningKey appends note (a [SourceKey] record) to the log and k
	// to the key history in one transaction, and returns k with its
	// record's index.
	AddSigningKey(k SigningKey, note Observation) (SigningKey, error)
}

// LogOrigin is the first line of every checkpoint leakhunt signs.
const LogOrigin = "leakhunt evidence log"

// Keys are the evidence log's signing key and its public verifier key, in
// the text forms of golang.org/x/mod/sumdb/note.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the public key as text, to publish and to put in
	// bundles.
	VerifierKey string
	// Fingerprint identifies the key ([KeyFingerprint]): what the owner
	// publishes so that others can pin it.
	Fingerprint string
}

// KeyFingerprint returns the fingerprint of a public key in note form
// ("NAME+HASH+BASE64"): "SHA256:" and the unpadded base64 of the SHA-256
// of the key bytes (algorithm byte and Ed25519 public key), as ssh-keygen
// prints fingerprints. The name is not part of it: two keys with one name
// have different fingerprints.
func KeyFingerprint(verifierKey string) (string, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	_, rest, _ := strings.Cut(strings.TrimSpace(verifierKey), "+")
	_, b64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || v == nil {
		return "", fmt.Errorf("public key: bad key bytes")
	}
	sum := sha256.Sum256(key)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// KeyName is the signer name of a new key: "leakhunt" joined with the
// contractor's name, spaces and plus signs made "_" (a note name has
// neither), so that every checkpoint says who signed it.
func KeyName(contractor string) string {
	c := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '+' || !unicode.IsPrint(r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(contractor))
	if c == "" {
		return "leakhunt"
	}
	return "leakhunt-" + c
}

// LoadOrCreateKeys reads the signing key kept beside the database at
// dbPath+".key" (created with mode 0600 on first use) and its public key at
// dbPath+".pub". name identifies the signer in checkpoints. It knows
// nothing of the store's key history: commands use [OpenKeys].
func LoadOrCreateKeys(dbPath, name string) (*Keys, error) {
	k, err := loadKeys(dbPath)
	if errors.Is(err, os.ErrNotExist) {
		return createKeys(dbPath, name)
	}
	return k, err
}

// loadKeys reads an existing key pair; a missing signing key is an
// error wrapping os.ErrNotExist.
func loadKeys(dbPath string) (*Keys, error) {
	skPath, vkPath := dbPath+".key", dbPath+".pub"
	sk, err := os.ReadFile(skPath)
	if err != nil {
		return nil, fmt.Errorf("read evidence key %q: %w", skPath, err)
	}
	if st, err := os.Stat(skPath); err == nil && st.Mode().Perm()&0o077 != 0 {
		// Like ssh: a signing key others can read signs nothing.
		return nil, fmt.Errorf("evidence key %q is readable by other users (mode %04o): run 'chmod 600 %s'", skPath, st.Mode().Perm(), skPath)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(sk)))
	if err != nil {
		return nil, fmt.Errorf("evidence key %q: %w", skPath, err)
	}
	vk, err := os.ReadFile(vkPath)
	if err != nil {
		return nil, fmt.Errorf("read public key %q: %w (it is written with the signing key; restore it from a bundle)", vkPath, err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vk)))
	if err != nil {
		return nil, fmt.Errorf("public key %q: %w", vkPath, err)
	}
	if verifier.KeyHash() != signer.KeyHash() || verifier.Name() != signer.Name() {
		return nil, fmt.Errorf("public key %q does not belong to the signing key %q", vkPath, skPath)
	}
	k := &Keys{Signer: signer, Verifier: verifier, VerifierKey: strings.TrimSpace(string(vk))}
	if k.Fingerprint, err = KeyFingerprint(k.VerifierKey); err != nil {
		return nil, fmt.Errorf("public key %q: %w", vkPath, err)
	}
	return k, nil
}

// createKeys makes a new key pair beside the database. The signing key
// is created exclusively (an existing one is never overwritten); a public
// key file already there is kept as PATH.pub.replaced-FINGERPRINT.
func createKeys(dbPath, name string) (*Keys, error) {
	skPath, vkPath := dbPath+".key", dbPath+".pub"
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, fmt.Errorf("generate evidence key: %w", err)
	}
	f, err := os.OpenFile(skPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create evidence key %q: %w", skPath, err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write evidence key %q: %w", skPath, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if old, err := os.ReadFile(vkPath); err == nil {
		fp, _ := KeyFingerprint(string(old))
		aside := vkPath + ".replaced-" + strings.NewReplacer("SHA256:", "", "/", "_", "+", "-").Replace(fp)
		if err := os.Rename(vkPath, aside); err != nil {
			return nil, fmt.Errorf("keep the old public key: %w", err)
		}
	}
	if err := os.WriteFile(vkPath, []byte(vkey+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write public key %q: %w", vkPath, err)
	}
	return loadKeys(dbPath)
}

// ErrKeyMissing is wrapped by [OpenKeys] when the signing key file of a
// store that already has one registered is missing.
var ErrKeyMissing = errors.New("signing key missing")

// ErrKeyChanged is wrapped by [OpenKeys] when the key file beside the
// store is not the key registered in its log.
var ErrKeyChanged = errors.New("signing key is not the store's")

// KeyOptions configure [OpenKeys].
type KeyOptions struct {
	// Name is the signer name of a key made now (see [KeyName]).
	Name string
	// NewKey allows replacing the store's registered key by a new one
	// (when its file is lost) or by the key file now beside the store.
	// The change is recorded in the evidence log.
	NewKey bool
	// Version is recorded in the log record registering a key.
	Version string
	// Now is the time of that record; nil means time.Now.
	Now func() time.Time
}

// OpenKeys returns the signing key kept beside the store (PATH.key, PATH.pub)
// after checking it against the store's key history: a store's first key is
// made and registered on first use; a missing key file beside a store whose
// log is already signed is [ErrKeyMissing], and a key file that is not the
// registered key is [ErrKeyChanged], unless opt.NewKey. Every key
// registered (the first, and each change) is a record in the evidence log
// ([SourceKey]), so that the change is itself signed.
func OpenKeys(s KeyLog, opt KeyOptions) (*Keys, error) {
	hist, err := s.SigningKeys()
	if err != nil {
		return nil, err
	}
	signed, err := s.HasCheckpoints()
	if err != nil {
		return nil, err
	}
	var last *SigningKey
	if len(hist) > 0 {
		last = &hist[len(hist)-1]
	}
	k, err := loadKeys(s.Path())
	reason := "first key of this store"
	switch {
	case errors.Is(err, os.ErrNotExist) && (last != nil || signed) && !opt.NewKey:
		was := "checkpoints signed before keys were registered"
		if last != nil {
			was = last.Fingerprint
		}
		return nil, fmt.Errorf("%w: %s.key is not there, but this store's log is signed with %s: restore the key file from your backup; only if it is lost for good, run again with --new-key (the change is recorded in the log, and the old public key still checks what it signed)", ErrKeyMissing, s.Path(), was)
	case errors.Is(err, os.ErrNotExist):
		if last != nil || signed {
			reason = "--new-key: the key file was missing"
			if last != nil {
				reason += "; replaces " + last.Fingerprint
			}
		}
		if k, err = createKeys(s.Path(), opt.Name); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case last != nil && last.Fingerprint == k.Fingerprint:
		return k, nil
	case last != nil && !opt.NewKey:
		return nil, fmt.Errorf("%w: %s.key is %s (%s), but this store's log is signed with %s: put the store's own key back; to switch keys on purpose, run again with --new-key (recorded in the log)", ErrKeyChanged, s.Path(), k.Fingerprint, k.Verifier.Name(), last.Fingerprint)
	case last != nil:
		reason = "--new-key: replaces " + last.Fingerprint
	case signed:
		reason = "registered after its checkpoints (store made before keys were registered)"
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	t := now().UTC()
	rec := SigningKey{Fingerprint: k.Fingerprint, VerifierKey: k.VerifierKey, Time: t, Reason: reason}
	noteObs := Observation{Time: t, ClockOffset: Unsynchronized, Level: L0Listed, Source: SourceKey,
		Detail: keyRecordDetail(k), Version: opt.Version}
	if _, err := s.AddSigningKey(rec, noteObs); err != nil {
		return nil, err
	}
	return k, nil
}

// keyRecordDetail is the Detail of the log record registering k.
func keyRecordDetail(k *Keys) string {
	return "signing key " + k.Fingerprint + " " + k.VerifierKey
}

// Checkpoint is a signed statement of the log's size and root hash.
type Checkpoint struct {
	Size int64
	Hash tlog.Hash
}

// FormatCheckpoint is the checkpoint text (C2SP tlog-checkpoint style):
// origin, size, base64 root hash.
func FormatCheckpoint(c Checkpoint) string {
	return fmt.Sprintf("%s\n%d\n%s\n", LogOrigin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint reverses [FormatCheckpoint].
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[0] != LogOrigin || lines[3] != "" {
		return Checkpoint{}, fmt.Errorf("checkpoint: not a %q checkpoint", LogOrigin)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	return Checkpoint{Size: n, Hash: tlog.Hash(h)}, nil
}

// SignCheckpoint signs the store's log at its current size and stores the
// signed note. It returns the signed note.
func SignCheckpoint(s Log, k *Keys) ([]byte, Checkpoint, error) {
	n, err := s.LogSize()
	if err != nil {
		return nil, Checkpoint{}, err
	}
	return SignCheckpointAt(s, k, n)
}

// SignCheckpointAt is [SignCheckpoint] for the tree of the first n
// records, which may be smaller than the log: a report signs the tree it
// verified while a running hunt goes on appending.
func SignCheckpointAt(s Log, k *Keys, n int64) ([]byte, Checkpoint, error) {
	h, err := tlog.TreeHash(n, s)
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("log root at size %d: %w", n, err)
	}
	c := Checkpoint{Size: n, Hash: h}
	signed, err := note.Sign(&note.Note{Text: FormatCheckpoint(c)}, k.Signer)
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("sign checkpoint: %w", err)
	}
	if err := s.PutCheckpoint(n, signed); err != nil {
		return nil, Checkpoint{}, fmt.Errorf("store checkpoint: %w", err)
	}
	return signed, c, nil
}

// OpenCheckpoint checks a signed checkpoint against the verifier key text
// and returns what it commits to.
func OpenCheckpoint(signed []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("public key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	return ParseCheckpoint(n.Text)
}

// VerifyProblem is one thing that failed verification.
type VerifyProblem struct {
	// Where names the record, hash or checkpoint ("record 17", "checkpoint at size 20").
	Where string
	What  string
}

func (p VerifyProblem) String() string { return p.Where + ": " + p.What }

// VerifyStore checks the store's evidence log offline: every leaf against
// its stored hash, every stored interior hash against a recomputation, and
// every checkpoint's signature and root against the recomputed tree. It
// returns the problems found (none means intact) and the number of
// records checked. Records after the last checkpoint are checked for
// internal consistency only: no signature covers them yet.
//
// verifierKey is the store's current public key (the PATH.pub beside it).
// Each checkpoint is checked with the key registered in the log for the
// tree it signs; a store without registered keys (made before keys were
// registered) is checked with verifierKey alone. It reads the log once,
// in memory that does not grow with it.
func VerifyStore(s Log, verifierKey string) (problems []VerifyProblem, records int64, err error) {
	v, err := NewLogVerifier(s, verifierKey)
	if err != nil {
		return nil, 0, err
	}
	// Records appended after the verifier read the size (a running hunt)
	// end the walk; a record beyond the size the store records now is a
	// problem, as [LogVerifier.Add] says.
	err = s.ForEachRecord(0, func(n int64, leaf []byte, hashes []tlog.Hash) error {
		if n == v.size && n == v.next {
			if now, err := s.LogSize(); err == nil && n < now {
				return errStopVerify
			}
		}
		return v.Add(n, leaf, hashes)
	})
	if err != nil && !errors.Is(err, errStopVerify) {
		return nil, 0, err
	}
	if v.checkpoints == 0 && v.size > 0 && len(v.keys) == 0 {
		v.problem("log", "no signed checkpoint covers the records")
	}
	problems, _ = v.Finish()
	return problems, v.Size(), nil
}

// maxProblems bounds the problems a LogVerifier lists one by one.
const maxProblems = 100

// A LogVerifier checks the evidence log record by record, in log order
// ([Log.ForEachRecord] feeds it), keeping only the right edge of
// the tree: a leaf, the stored hashes, the key records and the checkpoints
// are all checked in one pass. Create it with [NewLogVerifier]; not safe
// for concurrent use.
type LogVerifier struct {
	size        int64 // the log size the store records
	next        int64
	front       frontier
	keys        []SigningKey
	current     string        // the store's current public key
	keyAt       map[int64]int // log index of a key record → keys index
	cps         []storedCheckpoint
	cpi         int
	problems    []VerifyProblem
	more        int
	checkpoints int
}

type storedCheckpoint struct {
	size   int64
	signed []byte
}

// NewLogVerifier reads the store's log size, key history and checkpoints
// (small) and returns a verifier for its records. verifierKey is as in
// [VerifyStore].
func NewLogVerifier(s Log, verifierKey string) (*LogVerifier, error) {
	v := &LogVerifier{current: strings.TrimSpace(verifierKey), keyAt: map[int64]int{}}
	// Checkpoints and keys are read before the size: a store a running
	// hunt appends to and signs meanwhile has grown, never shrunk, so the
	// size read last covers every checkpoint read before it.
	err := s.Checkpoints(func(size int64, signed []byte) error {
		v.cps = append(v.cps, storedCheckpoint{size, signed})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v.keys, err = s.SigningKeys(); err != nil {
		return nil, err
	}
	if v.size, err = s.LogSize(); err != nil {
		return nil, err
	}
	for i, k := range v.keys {
		v.keyAt[k.Record] = i
	}
	if len(v.keys) > 0 && v.current != "" && v.keys[len(v.keys)-1].VerifierKey != v.current {
		fp, _ := KeyFingerprint(v.current)
		v.problem("signing key", fmt.Sprintf("the public key beside the store (%s) is not the key its log registers last (%s)", fp, v.keys[len(v.keys)-1].Fingerprint))
	}
	for v.cpi < len(v.cps) && v.cps[v.cpi].size == 0 {
		v.checkCheckpoint(v.cps[v.cpi])
		v.cpi++
	}
	return v, nil
}

func (v *LogVerifier) problem(where, what string) {
	if len(v.problems) >= maxProblems {
		v.more++
		return
	}
	v.problems = append(v.problems, VerifyProblem{where, what})
}

// Size is the log size the store records.
func (v *LogVerifier) Size() int64 { return v.size }

// Add checks record n, which must come right after the previous one, with
// the stored hashes the store keeps for it. It returns an error only to
// stop a walk past the recorded log size.
func (v *LogVerifier) Add(n int64, leaf []byte, stored []tlog.Hash) error {
	where := fmt.Sprintf("record %d", n)
	if n != v.next {
		v.problem(where, fmt.Sprintf("out of order: record %d expected (a record was removed)", v.next))
		return errStopVerify
	}
	if n >= v.size {
		v.problem(where, "beyond the recorded log size")
		return errStopVerify
	}
	hs, err := tlog.StoredHashes(n, leaf, &v.front)
	if err != nil {
		v.problem(where, err.Error())
		return errStopVerify
	}
	for j, h := range hs {
		switch {
		case j >= len(stored):
			v.problem(storedHashName(n, j), "stored hash missing")
		case stored[j] != h && j == 0:
			v.problem(where, "stored hash does not match the record's content")
		case stored[j] != h:
			v.problem(storedHashName(n, j), "stored hash does not match the records")
		}
	}
	v.front.add(n, hs)
	v.next = n + 1
	if i, ok := v.keyAt[n]; ok {
		v.checkKeyRecord(n, leaf, v.keys[i])
	}
	for v.cpi < len(v.cps) && v.cps[v.cpi].size == v.next {
		v.checkCheckpoint(v.cps[v.cpi])
		v.cpi++
	}
	return nil
}

var errStopVerify = errors.New("stop")

func storedHashName(n int64, level int) string {
	return fmt.Sprintf("log hash level %d index %d", level, n>>level)
}

// checkKeyRecord checks that the record registering k says so.
func (v *LogVerifier) checkKeyRecord(n int64, leaf []byte, k SigningKey) {
	var o struct {
		Source string `json:"source"`
		Detail string `json:"detail"`
	}
	fp, err := KeyFingerprint(k.VerifierKey)
	if err != nil || fp != k.Fingerprint {
		v.problem("key history", fmt.Sprintf("key %s: its public key does not have that fingerprint", k.Fingerprint))
		return
	}
	if json.Unmarshal(leaf, &o) != nil || o.Source != SourceKey || o.Detail != "signing key "+k.Fingerprint+" "+k.VerifierKey {
		v.problem(fmt.Sprintf("record %d", n), fmt.Sprintf("the key history says it registers key %s, but it does not", k.Fingerprint))
	}
}

// keyFor is the public key that signs the tree of the given size: the
// last key registered inside that tree (the first registered key for
// trees signed before any was registered).
func (v *LogVerifier) keyFor(size int64) (string, string) {
	if len(v.keys) == 0 {
		fp, _ := KeyFingerprint(v.current)
		return v.current, fp
	}
	k := v.keys[0]
	for _, x := range v.keys {
		if x.Record < size {
			k = x
		}
	}
	return k.VerifierKey, k.Fingerprint
}

func (v *LogVerifier) checkCheckpoint(c storedCheckpoint) {
	v.checkpoints++
	where := fmt.Sprintf("checkpoint at size %d", c.size)
	key, fp := v.keyFor(c.size)
	cp, err := OpenCheckpoint(c.signed, key)
	if err != nil {
		v.problem(where, fmt.Sprintf("%v (expected signer %s)", err, fp))
		return
	}
	if cp.Size != c.size {
		v.problem(where, fmt.Sprintf("signed size %d is stored as size %d", cp.Size, c.size))
		return
	}
	root, err := tlog.TreeHash(c.size, &v.front)
	if err != nil {
		v.problem(where, err.Error())
		return
	}
	if root != cp.Hash {
		v.problem(where, "signed root hash does not match the records: a record was changed after it was signed")
	}
}

// Finish reports what failed (none: intact) and the root hash of the
// records checked. Records no checkpoint covers yet are not a failure: a
// report signs the first checkpoint of a log.
func (v *LogVerifier) Finish() ([]VerifyProblem, tlog.Hash) {
	if v.next < v.size {
		v.problem("log", fmt.Sprintf("%d records stored, log size says %d", v.next, v.size))
	}
	for ; v.cpi < len(v.cps); v.cpi++ {
		v.checkpoints++
		v.problem(fmt.Sprintf("checkpoint at size %d", v.cps[v.cpi].size), fmt.Sprintf("signs more records than the log holds (%d)", v.next))
	}
	for _, k := range v.keys {
		if k.Record >= v.next {
			v.problem("key history", fmt.Sprintf("key %s is registered by record %d, which the log does not hold", k.Fingerprint, k.Record))
		}
	}
	if v.more > 0 {
		v.problems = append(v.problems, VerifyProblem{"and", fmt.Sprintf("%d more problems", v.more)})
	}
	root, err := tlog.TreeHash(v.next, &v.front)
	if err != nil {
		v.problems = append(v.problems, VerifyProblem{"log", err.Error()})
	}
	return v.problems, root
}

// frontier is the right edge of the tree: the last complete subtree hash
// at each level, which is all tlog needs to add a record or to hash the
// whole tree. It is a tlog.HashReader over those hashes.
type frontier struct {
	k  [64]int64
	h  [64]tlog.Hash
	ok [64]bool
}

func (f *frontier) add(n int64, hs []tlog.Hash) {
	for level, h := range hs {
		f.k[level], f.h[level], f.ok[level] = n>>level, h, true
	}
}

func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		level, k := tlog.SplitStoredHashIndex(x)
		if level >= len(f.k) || !f.ok[level] || f.k[level] != k {
			return nil, fmt.Errorf("log hash level %d index %d is not on the edge of the tree", level, k)
		}
		out[i] = f.h[level]
	}
	return out, nil
}

// CheckRecord verifies that leaf is record n of the tree committed to by c.
func CheckRecord(p tlog.RecordProof, c Checkpoint, n int64, leaf []byte) error {
	return tlog.CheckRecord(p, c.Size, c.Hash, n, tlog.RecordHash(leaf))
}
