package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// The catalogue in PostgreSQL keeps the documents' bytes too, in chunks,
// so that every sensor can byte-compare pieces against the catalogued
// copy; a sensor keeps a verified local copy of each in its cache
// directory.

// docChunk is the size of one stored piece of a document's bytes.
const docChunk = 1 << 20

func (s *pgStore) AddDocument(d Document, src string) (out Document, existed bool, err error) {
	if old, existed, err := checkNewDocument(s, &d); existed || err != nil {
		return old, existed, err
	}
	if d.Added.IsZero() {
		d.Added = time.Now().UTC()
	}
	d.Path = ""
	err = s.tx(func(ctx context.Context, tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT nextval('document_ids')`).Scan(&d.ID); err != nil {
			return err
		}
		if err := copyChunksIn(ctx, tx, d.SHA256, src); err != nil {
			return err
		}
		return insertDocument(ctx, tx, &d)
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // another sensor catalogued it first
		if old, err := s.documentBySHA(d.SHA256); err == nil {
			return old, true, nil
		}
	}
	if err != nil {
		return Document{}, false, fmt.Errorf("add document %q: %w", src, err)
	}
	return d, false, nil
}

// copyChunksIn stores the bytes of src as the chunks of document sha,
// checking that they hash to sha.
func copyChunksIn(ctx context.Context, tx pgx.Tx, sha, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, docChunk)
	n := 0
	var rerr error
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"document_chunks"}, []string{"sha256", "n", "data"},
		pgx.CopyFromFunc(func() ([]any, error) {
			k, err := io.ReadFull(f, buf)
			if k == 0 || (err != nil && err != io.ErrUnexpectedEOF) {
				if err != io.EOF {
					rerr = err
				}
				return nil, rerr
			}
			h.Write(buf[:k])
			n++
			return []any{sha, n - 1, bytes.Clone(buf[:k])}, nil
		}))
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("file changed since it was fingerprinted (sha256 %s, now %s): catalogue it again", sha, got)
	}
	return nil
}

// insertDocument writes a catalogue entry with its checksum and hash
// index rows.
func insertDocument(ctx context.Context, tx pgx.Tx, d *Document) error {
	v, err := encode(d)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(v)
	if _, err := tx.Exec(ctx, `INSERT INTO documents (id, sha256, size, value, sum) VALUES ($1, $2, $3, $4, $5)`,
		d.ID, d.SHA256, d.Size, v, sum[:]); err != nil {
		return err
	}
	for kind, val := range docHashes(d) {
		if val == "" {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO document_hashes (kind, val, id) VALUES ($1, $2, $3)`, kind, val, d.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *pgStore) documentBySHA(sha string) (Document, error) { return lookupBySHA256(s, sha) }

// cachePath is where this sensor keeps its copy of document sha.
func (s *pgStore) cachePath(sha string) string { return filepath.Join(s.cacheDir, sha[:2], sha) }

func (s *pgStore) OpenDocument(sha string) (*os.File, error) {
	if _, err := hex.DecodeString(sha); err != nil || len(sha) != 64 {
		return nil, fmt.Errorf("open document %q: %w", sha, ErrNotFound)
	}
	if _, err := s.documentBySHA(sha); err != nil {
		return nil, fmt.Errorf("open document %s: %w", sha, err)
	}
	dst := s.cachePath(sha)
	if f, err := os.Open(dst); err == nil {
		return f, nil
	}
	if err := s.fetchDocument(sha, dst); err != nil {
		return nil, fmt.Errorf("open document %s: %w", sha, err)
	}
	return os.Open(dst)
}

// fetchDocument writes the stored bytes of document sha to dst through a
// temporary file, checking their SHA-256 first.
func (s *pgStore) fetchDocument(sha, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), tempCopyPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	err = s.do(func(ctx context.Context) error {
		if err := tmp.Truncate(0); err != nil {
			return err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		h.Reset()
		rows, err := s.pool.Query(ctx, `SELECT data FROM document_chunks WHERE sha256 = $1 ORDER BY n`, sha)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				return err
			}
			if _, err := io.MultiWriter(tmp, h).Write(b); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("%w: the stored bytes of document %s hash to %s: catalogue the file again", ErrCorrupt, sha, got)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func (s *pgStore) Documents() ([]Document, error) {
	return pgList[Document](s, `SELECT value FROM documents ORDER BY id`)
}

func (s *pgStore) Document(id uint64) (Document, error) {
	docs, err := pgList[Document](s, `SELECT value FROM documents WHERE id = $1`, int64(id))
	return firstDocument(docs, err, fmt.Sprintf("document %d", id))
}

func (s *pgStore) DocumentsByHash(kind, val string) ([]Document, error) {
	return pgList[Document](s, `SELECT d.value FROM document_hashes h JOIN documents d ON d.id = h.id
		WHERE h.kind = $1 AND h.val = $2 ORDER BY d.id`, kind, val)
}

func (s *pgStore) DocumentsBySize(size int64) ([]Document, error) {
	return pgList[Document](s, `SELECT value FROM documents WHERE size = $1 ORDER BY id`, size)
}

func (s *pgStore) RemoveDocument(id uint64) (Document, error) {
	var d Document
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		var v []byte
		err := tx.QueryRow(ctx, `DELETE FROM documents WHERE id = $1 RETURNING value`, int64(id)).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("document %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := decode(v, &d); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM document_chunks WHERE sha256 = $1`, d.SHA256)
		return err
	})
	return removedCopy(d, err, s.cachePath)
}

// CheckCatalog checks every entry against its checksum and hash index
// rows, and its stored bytes (fetched again, not the local copy) against
// its fingerprint.
func (s *pgStore) CheckCatalog() ([]string, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	type entry struct {
		id       int64
		v, sum   []byte
		nIndexed int
	}
	var entries []entry
	err := s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT d.id, d.value, d.sum, (SELECT count(*) FROM document_hashes h WHERE h.id = d.id)
			FROM documents d ORDER BY d.id`)
		if err != nil {
			return err
		}
		entries = entries[:0]
		var e entry
		_, err = pgx.ForEachRow(rows, []any{&e.id, &e.v, &e.sum, &e.nIndexed}, func() error {
			entries = append(entries, e)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "leakhunt-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, e := range entries {
		if sum := sha256.Sum256(e.v); !bytes.Equal(sum[:], e.sum) {
			add("catalogue entry %d: its bytes do not match the checksum written with it (the entry was changed or damaged)", e.id)
		}
		var d Document
		if err := decode(e.v, &d); err != nil {
			add("catalogue entry %d: %v", e.id, err)
			continue
		}
		if int64(d.ID) != e.id {
			add("catalogue entry %d: records id %d", e.id, d.ID)
		}
		want := 0
		for _, val := range docHashes(&d) {
			if val != "" {
				want++
			}
		}
		if e.nIndexed != want {
			add("catalogue entry %d: %d of its %d hashes are in the hash index", e.id, e.nIndexed, want)
		}
		if len(d.SHA256) != 64 {
			continue
		}
		p := filepath.Join(tmp, d.SHA256)
		if err := s.fetchDocument(d.SHA256, p); err != nil {
			add("catalogue entry %d (%q): its stored copy: %v", d.ID, d.Name, err)
			continue
		}
		fp, err := fingerprint.File(p, nil)
		if err != nil {
			add("catalogue entry %d (%q): its stored copy: %v", d.ID, d.Name, err)
			continue
		}
		if diff := fingerprintDiff(d.Fingerprint, fp); diff != "" {
			add("catalogue entry %d (%q): its stored copy does not match the entry: %s differs", d.ID, d.Name, diff)
		}
		os.Remove(p)
	}
	return problems, nil
}
