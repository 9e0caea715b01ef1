package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// hashKinds are the fingerprint fields indexed for look-up by hash.

func docHashes(d *Document) map[string]string {
	m := map[string]string{"md5": d.MD5, "sha1": d.SHA1, "sha256": d.SHA256, "ed2k": d.ED2K, "tth": d.TTH, "btv2": d.BTv2Root}
	if d.ED2KAlt != "" {
		m["ed2k_alt"] = d.ED2KAlt
	}
	return m
}

// ErrEmptyDocument is returned for a document of 0 bytes: every empty file
// has the same hashes, so it could prove nothing and is not catalogued.
var ErrEmptyDocument = errors.New("the file is empty (0 bytes): an empty file proves nothing, so it is not catalogued")

// AddDocument catalogues d, whose bytes are read from src, and keeps a
// content-addressed copy of them beside the database (v1 piece matching
// needs the bytes later). The copy is verified against d.SHA256 before the
// record is committed. A document already catalogued (same SHA-256) is
// returned unchanged with existed set; an empty one is refused
// ([ErrEmptyDocument]).
func (s *boltStore) AddDocument(d Document, src string) (out Document, existed bool, err error) {
	if old, existed, err := checkNewDocument(s, &d); existed || err != nil {
		return old, existed, err
	}
	if err := s.copyDocument(d.SHA256, src); err != nil {
		return Document{}, false, fmt.Errorf("add document %q: %w", src, err)
	}
	if d.Added.IsZero() {
		d.Added = time.Now().UTC()
	}
	d.Path = ""
	err = s.update(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		id, err := docs.NextSequence()
		if err != nil {
			return err
		}
		d.ID = id
		return putDocument(tx, &d)
	})
	if err != nil {
		return Document{}, false, fmt.Errorf("add document %q: %w", src, err)
	}
	return d, false, nil
}

// putDocument writes a catalogue entry with its checksum and index
// entries.
func putDocument(tx *bolt.Tx, d *Document) error {
	v, err := encode(d)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketDocs).Put(u64(d.ID), v); err != nil {
		return err
	}
	sum := sha256.Sum256(v)
	if err := tx.Bucket(bucketDocSums).Put(u64(d.ID), sum[:]); err != nil {
		return err
	}
	if err := tx.Bucket(bucketDocBySize).Put(append(u64(uint64(d.Size)), u64(d.ID)...), nil); err != nil {
		return err
	}
	for kind, val := range docHashes(d) {
		if val == "" {
			continue
		}
		if err := tx.Bucket(bucketDocByHash).Put(hashKey(kind, val, d.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// checkNewDocument refuses a document without a SHA-256 or with no bytes,
// and returns the catalogued one with existed set when d is catalogued
// already.
func checkNewDocument(b interface {
	DocumentsByHash(kind, val string) ([]Document, error)
}, d *Document) (old Document, existed bool, err error) {
	if len(d.SHA256) != 64 {
		return Document{}, false, fmt.Errorf("add document %q: missing sha256", d.Name)
	}
	if d.Size <= 0 {
		// Every empty file has the same hashes: it could prove nothing.
		return Document{}, false, fmt.Errorf("add document %q: %w", d.Name, ErrEmptyDocument)
	}
	old, err = lookupBySHA256(b, d.SHA256)
	if err == nil {
		return old, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Document{}, false, err
	}
	return Document{}, false, nil
}

func hashKey(kind, val string, id uint64) []byte {
	k := append([]byte(kind+":"+val), 0)
	return append(k, u64(id)...)
}

// tempCopyPrefix starts the name of a copy being made; Open removes any
// left by a kill.
const tempCopyPrefix = ".tmp-"

// docPath is where the copy of the document with this SHA-256 lives.
func (s *boltStore) docPath(sha string) string {
	return filepath.Join(s.docsDir, sha[:2], sha)
}

// copyDocument copies src to its content address through a temporary file,
// checks the SHA-256 of what was copied, syncs, then renames into place.
func (s *boltStore) copyDocument(sha, src string) error {
	dst := s.docPath(sha)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), tempCopyPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), in); err != nil {
		tmp.Close()
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		tmp.Close()
		return fmt.Errorf("file changed since it was fingerprinted (sha256 %s, now %s): catalogue it again", sha, got)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// OpenDocument opens the catalogued copy of the document with this SHA-256.
func (s *boltStore) OpenDocument(sha string) (*os.File, error) {
	if len(sha) != 64 {
		return nil, fmt.Errorf("open document %q: %w", sha, ErrNotFound)
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return nil, fmt.Errorf("open document %q: %w", sha, ErrNotFound)
	}
	f, err := os.Open(s.docPath(sha))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open document %s: its copy is missing from %s: catalogue the file again: %w", sha, s.docsDir, ErrNotFound)
	}
	return f, err
}

// Documents lists every catalogued document in ID order.
func (s *boltStore) Documents() ([]Document, error) {
	var out []Document
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDocs).ForEach(func(k, v []byte) error {
			var d Document
			if err := decode(v, &d); err != nil {
				return fmt.Errorf("document %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// Document returns the document with this ID, or [ErrNotFound].
func (s *boltStore) Document(id uint64) (Document, error) {
	var d Document
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDocs).Get(u64(id))
		if v == nil {
			return fmt.Errorf("document %d: %w", id, ErrNotFound)
		}
		return decode(v, &d)
	})
	return d, err
}

// lookupBySHA256 returns the document with this SHA-256 through the hash
// index, or [ErrNotFound].
func lookupBySHA256(b interface {
	DocumentsByHash(kind, val string) ([]Document, error)
}, sha string) (Document, error) {
	docs, err := b.DocumentsByHash("sha256", sha)
	return firstDocument(docs, err, "document sha256 "+sha)
}

// firstDocument returns the first of docs, or [ErrNotFound] naming what.
func firstDocument(docs []Document, err error, what string) (Document, error) {
	if err != nil {
		return Document{}, err
	}
	if len(docs) == 0 {
		return Document{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return docs[0], nil
}

// DocumentsByHash returns the documents whose hash of this kind ("md5",
// "sha1", "sha256", "ed2k", "ed2k_alt", "tth", "btv2") equals val.
func (s *boltStore) DocumentsByHash(kind, val string) ([]Document, error) {
	var out []Document
	err := s.view(func(tx *bolt.Tx) error {
		prefix := append([]byte(kind+":"+val), 0)
		c := tx.Bucket(bucketDocByHash).Cursor()
		docs := tx.Bucket(bucketDocs)
		for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			var d Document
			if err := decode(docs.Get(k[len(prefix):]), &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// DocumentsBySize returns the documents of exactly this size.
func (s *boltStore) DocumentsBySize(size int64) ([]Document, error) {
	var out []Document
	err := s.view(func(tx *bolt.Tx) error {
		prefix := u64(uint64(size))
		c := tx.Bucket(bucketDocBySize).Cursor()
		docs := tx.Bucket(bucketDocs)
		for k, _ := c.Seek(prefix); k != nil && string(k[:8]) == string(prefix); k, _ = c.Next() {
			var d Document
			if err := decode(docs.Get(k[8:]), &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// RemoveDocument removes the document with this ID, its index entries and
// its copy. Matches and observations that name it stay: evidence is never
// deleted.
func (s *boltStore) RemoveDocument(id uint64) (Document, error) {
	var d Document
	err := s.update(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		v := docs.Get(u64(id))
		if v == nil {
			return fmt.Errorf("document %d: %w", id, ErrNotFound)
		}
		if err := decode(v, &d); err != nil {
			return err
		}
		if err := docs.Delete(u64(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDocSums).Delete(u64(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDocBySize).Delete(append(u64(uint64(d.Size)), u64(id)...)); err != nil {
			return err
		}
		for kind, val := range docHashes(&d) {
			if err := tx.Bucket(bucketDocByHash).Delete(hashKey(kind, val, id)); err != nil {
				return err
			}
		}
		return nil
	})
	return removedCopy(d, err, s.docPath)
}

// removedCopy removes the local copy (at pathOf its SHA-256) of document d, whose
// catalogue entry was removed unless err is set.
func removedCopy(d Document, err error, pathOf func(sha string) string) (Document, error) {
	if err != nil {
		return Document{}, err
	}
	if err := os.Remove(pathOf(d.SHA256)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return d, fmt.Errorf("remove copy of document %d: %w", d.ID, err)
	}
	return d, nil
}

// sumUnsummedDocuments gives a checksum to catalogue entries written
// before entries had one, so that later damage to them is detected.
func (s *boltStore) sumUnsummedDocuments() error {
	return s.update(func(tx *bolt.Tx) error {
		sums := tx.Bucket(bucketDocSums)
		var missing [][2][]byte
		err := tx.Bucket(bucketDocs).ForEach(func(k, v []byte) error {
			if sums.Get(k) == nil {
				sum := sha256.Sum256(v)
				missing = append(missing, [2][]byte{bytes.Clone(k), sum[:]})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, m := range missing {
			if err := sums.Put(m[0], m[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// CheckCatalog checks every catalogue entry: its bytes against the
// checksum written with it, its index entries, and its kept copy, whose
// fingerprint is computed again and compared field by field. It returns
// what is wrong; none means intact. It reads every copy in full.
func (s *boltStore) CheckCatalog() ([]string, error) {
	var problems []string
	var docs []Document
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	err := s.view(func(tx *bolt.Tx) error {
		sums, bySize, byHash := tx.Bucket(bucketDocSums), tx.Bucket(bucketDocBySize), tx.Bucket(bucketDocByHash)
		return tx.Bucket(bucketDocs).ForEach(func(k, v []byte) error {
			id := binary.BigEndian.Uint64(k)
			sum := sha256.Sum256(v)
			if want := sums.Get(k); want == nil {
				add("catalogue entry %d: no checksum", id)
			} else if !bytes.Equal(want, sum[:]) {
				add("catalogue entry %d: its bytes do not match the checksum written with it (the entry was changed or damaged)", id)
			}
			var d Document
			if err := decode(v, &d); err != nil {
				add("catalogue entry %d: %v", id, err)
				return nil
			}
			if d.ID != id {
				add("catalogue entry %d: records id %d", id, d.ID)
			}
			if bySize.Get(append(u64(uint64(d.Size)), u64(id)...)) == nil {
				add("catalogue entry %d: missing from the size index", id)
			}
			for kind, val := range docHashes(&d) {
				if val != "" && byHash.Get(hashKey(kind, val, id)) == nil {
					add("catalogue entry %d: its %s is missing from the hash index", id, kind)
				}
			}
			docs = append(docs, d)
			return nil
		})
	})
	if err != nil {
		return problems, err
	}
	for _, d := range docs {
		if len(d.SHA256) != 64 {
			continue
		}
		fp, err := fingerprint.File(s.docPath(d.SHA256), nil)
		if err != nil {
			add("catalogue entry %d (%q): its kept copy: %v", d.ID, d.Name, err)
			continue
		}
		if diff := fingerprintDiff(d.Fingerprint, fp); diff != "" {
			add("catalogue entry %d (%q): its kept copy does not match the entry: %s differs", d.ID, d.Name, diff)
		}
	}
	return problems, nil
}

// fingerprintDiff names the first hash field in which a and b differ.
func fingerprintDiff(a, b fingerprint.Fingerprint) string {
	switch {
	case a.Size != b.Size:
		return "size"
	case a.SHA256 != b.SHA256:
		return "sha256"
	case a.SHA1 != b.SHA1:
		return "sha1"
	case a.MD5 != b.MD5:
		return "md5"
	case a.ED2K != b.ED2K:
		return "ed2k"
	case a.ED2KAlt != b.ED2KAlt:
		return "ed2k_alt"
	case a.TTH != b.TTH:
		return "tth"
	case a.BTv2Root != b.BTv2Root:
		return "btv2_root"
	}
	return ""
}
