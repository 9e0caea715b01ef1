package evidence

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/store"
)

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
}

// LoadOrCreateKeys reads the signing key kept beside the database at
// dbPath+".key" (created with mode 0600 on first use) and its public key at
// dbPath+".pub". name identifies the signer in checkpoints.
func LoadOrCreateKeys(dbPath, name string) (*Keys, error) {
	skPath, vkPath := dbPath+".key", dbPath+".pub"
	sk, err := os.ReadFile(skPath)
	if errors.Is(err, os.ErrNotExist) {
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
		if err := os.WriteFile(vkPath, []byte(vkey+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("write public key %q: %w", vkPath, err)
		}
		sk = []byte(skey)
	} else if err != nil {
		return nil, fmt.Errorf("read evidence key %q: %w", skPath, err)
	} else if st, err := os.Stat(skPath); err == nil && st.Mode().Perm()&0o077 != 0 {
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
	return &Keys{Signer: signer, Verifier: verifier, VerifierKey: strings.TrimSpace(string(vk))}, nil
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
func SignCheckpoint(s *store.Store, k *Keys) ([]byte, Checkpoint, error) {
	n, err := s.LogSize()
	if err != nil {
		return nil, Checkpoint{}, err
	}
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
func VerifyStore(s *store.Store, verifierKey string) (problems []VerifyProblem, records int64, err error) {
	n, err := s.LogSize()
	if err != nil {
		return nil, 0, err
	}
	// Recompute the whole tree in memory from the leaves.
	mem := make(memHashes, 0, tlog.StoredHashCount(n))
	err = s.ForEachLeaf(0, func(i int64, leaf []byte) error {
		if i >= n {
			problems = append(problems, VerifyProblem{fmt.Sprintf("record %d", i), "beyond the recorded log size"})
			return nil
		}
		hs, err := tlog.StoredHashes(i, leaf, mem)
		if err != nil {
			return err
		}
		mem = append(mem, hs...)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if int64(len(mem)) != tlog.StoredHashCount(n) {
		problems = append(problems, VerifyProblem{"log", fmt.Sprintf("%d records stored, log size says %d", len(mem), n)})
		return problems, n, nil
	}
	// Compare with the stored hashes in pages.
	const page = 4096
	for start := int64(0); start < int64(len(mem)); start += page {
		end := min(start+page, int64(len(mem)))
		idx := make([]int64, 0, end-start)
		for i := start; i < end; i++ {
			idx = append(idx, i)
		}
		stored, err := s.ReadHashes(idx)
		if err != nil {
			problems = append(problems, VerifyProblem{"log hashes", err.Error()})
			break
		}
		for j, h := range stored {
			if h != mem[start+int64(j)] {
				level, k := tlog.SplitStoredHashIndex(start + int64(j))
				where := fmt.Sprintf("log hash level %d index %d", level, k)
				if level == 0 {
					where = fmt.Sprintf("record %d", k)
				}
				problems = append(problems, VerifyProblem{where, "stored hash does not match the record's content"})
			}
		}
	}
	checkpoints := 0
	err = s.Checkpoints(func(size int64, signed []byte) error {
		checkpoints++
		where := fmt.Sprintf("checkpoint at size %d", size)
		c, err := OpenCheckpoint(signed, verifierKey)
		if err != nil {
			problems = append(problems, VerifyProblem{where, err.Error()})
			return nil
		}
		if c.Size != size || size > n {
			problems = append(problems, VerifyProblem{where, fmt.Sprintf("signed size %d, log size %d", c.Size, n)})
			return nil
		}
		root, err := tlog.TreeHash(size, mem)
		if err != nil {
			problems = append(problems, VerifyProblem{where, err.Error()})
			return nil
		}
		if root != c.Hash {
			problems = append(problems, VerifyProblem{where, "signed root hash does not match the records: a record was changed after it was signed"})
		}
		return nil
	})
	if err != nil {
		return nil, n, err
	}
	if checkpoints == 0 && n > 0 {
		problems = append(problems, VerifyProblem{"log", "no signed checkpoint covers the records"})
	}
	return problems, n, nil
}

// memHashes is an in-memory tlog.HashReader over stored hashes in order.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("log hash %d not available", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// ProveRecord returns the inclusion proof of record n in the tree of the
// given size, and the record's leaf bytes.
func ProveRecord(s *store.Store, n, size int64) (tlog.RecordProof, []byte, error) {
	leaf, err := s.Leaf(n)
	if err != nil {
		return nil, nil, err
	}
	p, err := tlog.ProveRecord(size, n, s)
	if err != nil {
		return nil, nil, fmt.Errorf("prove record %d in tree %d: %w", n, size, err)
	}
	return p, leaf, nil
}

// CheckRecord verifies that leaf is record n of the tree committed to by c.
func CheckRecord(p tlog.RecordProof, c Checkpoint, n int64, leaf []byte) error {
	return tlog.CheckRecord(p, c.Size, c.Hash, n, tlog.RecordHash(leaf))
}
