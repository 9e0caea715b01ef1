package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/crawler"
	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Sensors, and moving a case in and out of PostgreSQL ([CopyStore]).

func (s *pgStore) sensor() Sensor {
	n, _ := s.LogSize()
	return Sensor{Name: s.sensorName, Addr: s.sensorAddr, LogSize: n}
}

func (s *pgStore) identity() (name, addr string) { return s.sensorName, s.sensorAddr }

func (s *pgStore) sensors() ([]Sensor, error) {
	var out []Sensor
	err := s.do(func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `SELECT name, addr, log_size FROM sensors ORDER BY name`)
		if err != nil {
			return err
		}
		var x Sensor
		_, err = pgx.ForEachRow(rows, []any{&x.Name, &x.Addr, &x.LogSize}, func() error {
			out = append(out, x)
			return nil
		})
		return err
	})
	return out, err
}

func (s *pgStore) forSensor(name string) (backend, error) {
	v := *s
	v.readOnly, v.sensorName, v.logs = true, name, &pgLogCache{size: -1}
	if s.own != nil {
		v.own = s.own
	} else {
		v.own = s
	}
	err := s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT id, addr FROM sensors WHERE name = $1`, name).Scan(&v.sensorID, &v.sensorAddr)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("sensor %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *pgStore) shared() bool { return true }

// pgTables maps the tables CopyStore moves to their key and value columns.
var pgTables = map[string][2]string{
	tableTorrents: {"infohash", "value"}, tableMatches: {"k", "value"}, tableWatch: {"infohash", "value"},
	tableSeen: {"infohash", "at"}, tableSightings: {"seq", "value"}, tableState: {"k", "value"}, tableBlobs: {"sha256", "data"},
	tableBySize: {"size", "infohash"},
}

func (s *pgStore) exportRows(table string, fn func(key, val []byte) error) error {
	cols, ok := pgTables[table]
	if !ok {
		return fmt.Errorf("export: no table %q", table)
	}
	return pageRows(func(after []byte) (rows [][2][]byte, err error) {
		err = s.do(func(ctx context.Context) error {
			rows = rows[:0]
			// Keys as the bbolt store keys them, paged in the order of the
			// table's primary key, so that each page is an index scan
			// (ordering by the bbolt key sorted the whole table for every
			// page: quadratic in its size).
			later, order := pageKey(table, cols[0])
			q := fmt.Sprintf(`SELECT %s, %s FROM %s WHERE $1::bytea IS NULL OR %s ORDER BY %s LIMIT %d`,
				keyExpr(table, cols[0]), valExpr(table, cols[1]), table, later, order, copyPage)
			r, err := s.pool.Query(ctx, q, after)
			if err != nil {
				return err
			}
			var k, v []byte
			_, err = pgx.ForEachRow(r, []any{&k, &v}, func() error {
				rows = append(rows, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
				return nil
			})
			return err
		})
		return rows, err
	}, fn)
}

// pageKey is, for paging a table by its primary key, the condition that
// a row comes after the one whose bbolt key is $1, and the order.
func pageKey(table, col string) (after, order string) {
	// A bigint from the 8 big-endian bytes int8send wrote.
	int8 := func(b string) string { return "('x' || encode(" + b + ", 'hex'))::bit(64)::bigint" }
	switch table {
	case tableTorrents, tableWatch:
		return col + " > convert_from($1, 'UTF8')", col
	case tableSightings:
		return col + " > " + int8("$1"), col
	case tableBySize:
		return "(size, infohash) > (" + int8("substring($1 from 1 for 8)") + ", substring($1 from 9))", "size, infohash"
	}
	return col + " > $1", col
}

// keyExpr is a table's key as bytes in the bbolt layout.
func keyExpr(table, col string) string {
	switch table {
	case tableTorrents, tableWatch:
		return "convert_to(" + col + ", 'UTF8')"
	case tableSightings:
		return "int8send(" + col + ")"
	case tableBySize:
		return "int8send(size) || infohash"
	}
	return col
}

// valExpr is a table's value as bytes in the bbolt layout.
func valExpr(table, col string) string {
	switch table {
	case tableSeen:
		return "int8send(" + col + ")"
	case tableBySize:
		return "''::bytea"
	}
	return col
}

func (s *pgStore) importRows(table string, rows [][2][]byte) error {
	if _, ok := pgTables[table]; !ok {
		return fmt.Errorf("import: no table %q", table)
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		for _, r := range rows {
			if err := importRow(ctx, tx, table, r[0], r[1]); err != nil {
				return fmt.Errorf("row %x: %w", r[0], err)
			}
		}
		return nil
	})
}

func importRow(ctx context.Context, tx pgx.Tx, table string, k, v []byte) error {
	var err error
	switch table {
	case tableTorrents:
		_, err = tx.Exec(ctx, `INSERT INTO torrents (infohash, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, string(k), v)
	case tableMatches:
		ih, _, _ := bytes.Cut(k, []byte{0})
		_, err = tx.Exec(ctx, `INSERT INTO matches (k, infohash, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, k, string(ih), v)
	case tableWatch:
		_, err = tx.Exec(ctx, `INSERT INTO watchlist (infohash, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, string(k), v)
	case tableSeen:
		if len(v) != 8 {
			return fmt.Errorf("%w: seen time of %d bytes", ErrCorrupt, len(v))
		}
		_, err = tx.Exec(ctx, `INSERT INTO seen (infohash, at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, k, int64(binary.BigEndian.Uint64(v)))
	case tableSightings:
		var sg crawler.Sighting
		if err := decode(v, &sg); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO sightings (infohash, value) VALUES ($1, $2)`, sg.InfoHash[:], v)
	case tableState:
		_, err = tx.Exec(ctx, `INSERT INTO state (k, value) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET value = EXCLUDED.value`, k, v)
	case tableBlobs:
		_, err = tx.Exec(ctx, `INSERT INTO blobs (sha256, data) VALUES ($1, $2) ON CONFLICT DO NOTHING`, k, v)
	case tableBySize:
		if len(k) != 8+len(fingerprint.InfoHash{}) {
			return fmt.Errorf("%w: file-size index key of %d bytes", ErrCorrupt, len(k))
		}
		_, err = tx.Exec(ctx, `INSERT INTO torrent_by_size (size, infohash) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			int64(binary.BigEndian.Uint64(k)), k[8:])
	}
	return err
}

func (s *pgStore) importDocument(d Document, src string) error {
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		if err := copyChunksIn(ctx, tx, d.SHA256, src); err != nil {
			return err
		}
		// A case copied into a database that holds another (sensors that
		// hunted apart, merged into one case) may find its catalogue
		// number taken by another document: it gets the next free one.
		// Everything else names documents by SHA-256.
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE id = $1)`, int64(d.ID)).Scan(&taken); err != nil {
			return err
		}
		if taken {
			var id int64
			if err := tx.QueryRow(ctx, `SELECT nextval('document_ids')`).Scan(&id); err != nil {
				return err
			}
			d.ID = uint64(id)
		}
		if err := insertDocument(ctx, tx, &d); err != nil {
			return fmt.Errorf("import document %d: %w", d.ID, err)
		}
		_, err := tx.Exec(ctx, `SELECT setval('document_ids', greatest($1, (SELECT last_value FROM document_ids)))`, int64(d.ID))
		return err
	})
}

// importLog appends records exactly as they are (leaf and stored hashes)
// to the sensor's log, which must be at records[0].N, and folds them into
// the peer summaries.
func (s *pgStore) importLog(records []Record) error {
	if len(records) == 0 {
		return nil
	}
	if s.readOnly {
		return ErrOtherSensor
	}
	obs := make([]evidence.Observation, len(records))
	rows := make([][]any, len(records))
	for i, r := range records {
		if err := evidence.DecodeLeaf(r.Leaf, &obs[i]); err != nil {
			return fmt.Errorf("%w: log record %d: %v", ErrCorrupt, r.N, err)
		}
		packed := make([]byte, 0, len(r.Hashes)*tlog.HashSize)
		for _, h := range r.Hashes {
			packed = append(packed, h[:]...)
		}
		var peer []byte
		if obs[i].NamesPeer() {
			peer = peerKey(obs[i].Subject(), obs[i].IP, obs[i].Port)
		}
		rows[i] = []any{s.sensorID, r.N, r.Leaf, packed, peer}
	}
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	s.logs.size = -1
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		var size int64
		if err := tx.QueryRow(ctx, `SELECT log_size FROM sensors WHERE id = $1 FOR UPDATE`, s.sensorID).Scan(&size); err != nil {
			return err
		}
		for i, r := range records {
			if r.N != size+int64(i) {
				return fmt.Errorf("import record %d: the log is at %d", r.N, size+int64(i))
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"log_records"}, []string{"sensor", "n", "leaf", "hashes", "peer"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE sensors SET log_size = $2 WHERE id = $1`, s.sensorID, size+int64(len(records)))
		return err
	})
}

func (s *pgStore) exportKeys() ([]keyRow, error) {
	var out []keyRow
	err := s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT value FROM signing_keys WHERE sensor = $1 ORDER BY seq`, s.sensorID)
		if err != nil {
			return err
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		out = out[:0]
		for _, v := range vals {
			out = append(out, keyRow{raw: v})
		}
		return err
	})
	return out, err
}

func (s *pgStore) importKeysAndCheckpoints(keys []keyRow, cps []checkpointRow) error {
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		var have bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys WHERE sensor = $1)`, s.sensorID).Scan(&have); err != nil {
			return err
		}
		if have && len(keys) > 0 {
			return fmt.Errorf("import keys: the destination has a key history already")
		}
		for i, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (sensor, seq, value) VALUES ($1, $2, $3)`, s.sensorID, i+1, k.raw); err != nil {
				return err
			}
		}
		for _, c := range cps {
			if _, err := tx.Exec(ctx, `INSERT INTO checkpoints (sensor, size, signed) VALUES ($1, $2, $3)
				ON CONFLICT (sensor, size) DO UPDATE SET signed = EXCLUDED.signed`, s.sensorID, c.size, c.signed); err != nil {
				return err
			}
		}
		return nil
	})
}
