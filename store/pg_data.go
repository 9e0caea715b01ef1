package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// The shared tables: torrents, matches, the watchlist, the seen set,
// sightings, scrapes and blobs, stored as the bbolt store stores them.

func (s *pgStore) PutTorrent(t Torrent) (isNew bool, err error) {
	err = s.tx(func(ctx context.Context, tx pgx.Tx) error {
		t := t
		key := t.InfoHash.String()
		// Lock the row, or the key for a row not there yet, so that two
		// sensors recording one torrent merge instead of overwriting.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "torrent:"+key); err != nil {
			return err
		}
		var v []byte
		err := tx.QueryRow(ctx, `SELECT value FROM torrents WHERE infohash = $1`, key).Scan(&v)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			isNew = true
		case err != nil:
			return err
		default:
			var old torrentValue
			if err := decode(v, &old); err != nil {
				return err
			}
			mergeTorrent(&t, &old)
			isNew = false
		}
		nv, err := encodeTorrent(&t)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO torrents (infohash, value) VALUES ($1, $2)
			ON CONFLICT (infohash) DO UPDATE SET value = EXCLUDED.value`, key, nv); err != nil {
			return err
		}
		var sizes []int64
		for _, n := range t.FileSizes {
			if n > 0 {
				sizes = append(sizes, n)
			}
		}
		if len(sizes) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO torrent_by_size (size, infohash) SELECT n, $2 FROM unnest($1::int8[]) AS n
			ON CONFLICT DO NOTHING`, sizes, t.InfoHash[:])
		return err
	})
	return isNew, err
}

func (s *pgStore) Torrent(infohash fingerprint.InfoHash) (Torrent, error) {
	var v []byte
	err := s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT value FROM torrents WHERE infohash = $1`, infohash.String()).Scan(&v)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Torrent{}, fmt.Errorf("torrent %s: %w", infohash, ErrNotFound)
	}
	if err != nil {
		return Torrent{}, err
	}
	var tv torrentValue
	if err := decode(v, &tv); err != nil {
		return Torrent{}, err
	}
	tv.Torrent.InfoBytes = tv.InfoBytes
	return tv.Torrent, nil
}

func (s *pgStore) PutMatch(m Match) (isNew bool, err error) {
	if m.Time.IsZero() {
		m.Time = time.Now().UTC()
	}
	v, err := encode(m)
	if err != nil {
		return false, err
	}
	err = s.do(func(ctx context.Context) error {
		// xmax = 0 only for a row this statement inserted.
		return s.pool.QueryRow(ctx, `INSERT INTO matches (k, infohash, value) VALUES ($1, $2, $3)
			ON CONFLICT (k) DO UPDATE SET value = EXCLUDED.value RETURNING xmax = 0`,
			matchKey(&m), m.InfoHash.String(), v).Scan(&isNew)
	})
	return isNew, err
}

func (s *pgStore) Matches() ([]Match, error) {
	return pgList[Match](s, `SELECT value FROM matches ORDER BY k`)
}

func (s *pgStore) MatchesFor(infohash fingerprint.InfoHash) ([]Match, error) {
	return pgList[Match](s, `SELECT value FROM matches WHERE infohash = $1 ORDER BY k`, infohash.String())
}

// pgList runs a query of encoded values and decodes them.
func pgList[T any](s *pgStore, query string, args ...any) ([]T, error) {
	var out []T
	err := s.do(func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		for _, v := range vals {
			var x T
			if err := decode(v, &x); err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	return out, err
}

func (s *pgStore) Watch(e WatchEntry) error {
	if e.Added.IsZero() {
		e.Added = time.Now().UTC()
	}
	v, err := encode(e)
	if err != nil {
		return err
	}
	return s.do(func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO watchlist (infohash, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			e.InfoHash.String(), v)
		return err
	})
}

func (s *pgStore) Watchlist() ([]WatchEntry, error) {
	return pgList[WatchEntry](s, `SELECT value FROM watchlist ORDER BY infohash`)
}

func (s *pgStore) MarkSeen(ihs []fingerprint.InfoHash) (fresh []fingerprint.InfoHash, err error) {
	keys := make([][]byte, len(ihs))
	for i := range ihs {
		keys[i] = ihs[i][:]
	}
	now := time.Now().Unix()
	added := map[fingerprint.InfoHash]bool{}
	err = s.do(func(ctx context.Context) error {
		clear(added)
		rows, err := s.pool.Query(ctx, `INSERT INTO seen (infohash, at) SELECT k, $2 FROM unnest($1::bytea[]) AS k
			ON CONFLICT DO NOTHING RETURNING infohash`, keys, now)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		for _, k := range got {
			if len(k) == 20 {
				added[fingerprint.InfoHash(k)] = true
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, ih := range ihs {
		if added[ih] {
			fresh = append(fresh, ih)
			delete(added, ih)
		}
	}
	return fresh, nil
}

func (s *pgStore) ForEachSeen(fn func(ih fingerprint.InfoHash)) error {
	var all [][]byte
	err := s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT infohash FROM seen`)
		if err != nil {
			return err
		}
		all, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range all {
		if len(k) == 20 {
			fn(fingerprint.InfoHash(k))
		}
	}
	return nil
}

func (s *pgStore) AddSightings(ss []crawler.Sighting) error {
	if len(ss) == 0 {
		return nil
	}
	ihs := make([][]byte, len(ss))
	vals := make([][]byte, len(ss))
	for i := range ss {
		v, err := encode(ss[i])
		if err != nil {
			return err
		}
		ihs[i], vals[i] = ss[i].InfoHash[:], v
	}
	return s.do(func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO sightings (infohash, value)
			SELECT ih, v FROM unnest($1::bytea[], $2::bytea[]) WITH ORDINALITY AS t(ih, v, o) ORDER BY o`, ihs, vals)
		return err
	})
}

func (s *pgStore) Sightings(infohash fingerprint.InfoHash) ([]crawler.Sighting, error) {
	if infohash.IsZero() {
		return pgList[crawler.Sighting](s, `SELECT value FROM sightings ORDER BY seq`)
	}
	return pgList[crawler.Sighting](s, `SELECT value FROM sightings WHERE infohash = $1 ORDER BY seq`, infohash[:])
}

func (s *pgStore) PutScrapes(ih fingerprint.InfoHash, ss []Scrape) error {
	b, err := encodeScrapes(ss)
	if err != nil {
		return err
	}
	return s.statePut(string(scrapeKey(ih)), b)
}

func (s *pgStore) Scrapes(ih fingerprint.InfoHash) ([]Scrape, error) {
	var v []byte
	err := s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT value FROM state WHERE k = $1`, scrapeKey(ih)).Scan(&v)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return scrapeList(nil), nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]Scrape
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	return scrapeList(m), nil
}

func (s *pgStore) Blobs(sums []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(sums))
	var keys [][]byte
	for _, sum := range sums {
		k, err := hex.DecodeString(sum)
		if err == nil && len(k) == sha256.Size {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT sha256, data FROM blobs WHERE sha256 = ANY($1)`, keys)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v []byte
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			out[hex.EncodeToString(k)] = v
		}
		return rows.Err()
	})
	return out, err
}

// putBlobsPG stores blobs not stored yet inside tx.
func putBlobsPG(ctx context.Context, tx pgx.Tx, blobs [][]byte) error {
	if len(blobs) == 0 {
		return nil
	}
	keys := make([][]byte, len(blobs))
	for i, b := range blobs {
		sum := sha256.Sum256(b)
		keys[i] = sum[:]
	}
	_, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, data) SELECT * FROM unnest($1::bytea[], $2::bytea[])
		ON CONFLICT DO NOTHING`, keys, blobs)
	return err
}

// Claims and leases.

func (s *pgStore) claimFetch(ih fingerprint.InfoHash, ttl time.Duration) (granted bool, err error) {
	err = s.do(func(ctx context.Context) error {
		granted = false
		var seen bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM seen WHERE infohash = $1)`, ih[:]).Scan(&seen); err != nil || seen {
			return err
		}
		var holder int32
		err := s.pool.QueryRow(ctx, `INSERT INTO fetch_claims (infohash, sensor, until)
			VALUES ($1, $2, now() + $3 * interval '1 millisecond')
			ON CONFLICT (infohash) DO UPDATE SET sensor = EXCLUDED.sensor, until = EXCLUDED.until
			WHERE fetch_claims.until < now() OR fetch_claims.sensor = EXCLUDED.sensor
			RETURNING sensor`, ih[:], s.sensorID, ttl.Milliseconds()).Scan(&holder)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		granted = err == nil && holder == s.sensorID
		return err
	})
	return granted, err
}

func (s *pgStore) releaseFetch(ih fingerprint.InfoHash) error {
	return s.do(func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `DELETE FROM fetch_claims WHERE infohash = $1 AND sensor = $2`, ih[:], s.sensorID)
		return err
	})
}

func (s *pgStore) leaseWatch(ih fingerprint.InfoHash, ttl time.Duration) (granted bool, err error) {
	err = s.tx(func(ctx context.Context, tx pgx.Tx) error {
		granted = false
		var until *time.Time
		err := tx.QueryRow(ctx, `SELECT lease_until FROM watchlist WHERE infohash = $1 FOR UPDATE SKIP LOCKED`,
			ih.String()).Scan(&until)
		if errors.Is(err, pgx.ErrNoRows) {
			// Not watched (a one-off watch), or another sensor is taking
			// the lease right now.
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM watchlist WHERE infohash = $1)`, ih.String()).Scan(&exists); err != nil {
				return err
			}
			granted = !exists
			return nil
		}
		if err != nil {
			return err
		}
		var live bool
		if until != nil {
			if err := tx.QueryRow(ctx, `SELECT $1::timestamptz > now()`, *until).Scan(&live); err != nil {
				return err
			}
		}
		if live {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE watchlist SET lease_sensor = $2, lease_until = now() + $3 * interval '1 millisecond'
			WHERE infohash = $1`, ih.String(), s.sensorID, ttl.Milliseconds())
		granted = err == nil
		return err
	})
	return granted, err
}

func (s *pgStore) TorrentsWithFileSize(size int64) ([]fingerprint.InfoHash, error) {
	var out []fingerprint.InfoHash
	err := s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT infohash FROM torrent_by_size WHERE size = $1 ORDER BY infohash`, size)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		out = out[:0]
		for _, k := range keys {
			if len(k) == len(fingerprint.InfoHash{}) {
				out = append(out, fingerprint.InfoHash(k))
			}
		}
		return err
	})
	return out, err
}
