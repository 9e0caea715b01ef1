package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/leakhunt/leakhunt/evidence"
)

// Peer summaries in PostgreSQL are folded from each sensor's log behind
// its appends: an append writes only the log, and the summaries catch up
// in larger transactions (foldPage records each), which cost far fewer
// row writes than folding every batch. Any process may fold any sensor's
// records, one fold at a time in the database (the fold lock); readers of summaries fold
// first, so they see every committed observation of every sensor, and a
// crash between an append and its fold loses nothing. A process folds its
// own sensor's latest records from the leaves it appended (pgPending)
// rather than reading them back.

// foldEvery is how many records a sensor appends before it folds.
const foldEvery = 50_000

// foldPage is how many records one fold transaction covers.
const foldPage = 50_000

// pgFoldLock is the advisory lock key under which folds run one at a
// time.
const pgFoldLock = 0x6c65616b666f6c64 // "leakfold"

// foldBehind folds every sensor's records that the summaries do not cover
// yet.
func (s *pgStore) foldBehind() error {
	var behind []int32
	err := s.do(func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT id FROM sensors WHERE peers_through < log_size ORDER BY id`)
		if err != nil {
			return err
		}
		behind, err = pgx.CollectRows(rows, pgx.RowTo[int32])
		return err
	})
	if err != nil {
		return err
	}
	for _, id := range behind {
		for {
			done, err := s.foldPage(id)
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	return nil
}

// foldPage folds up to foldPage records of sensor id in one transaction
// and reports whether its summaries are then current.
func (s *pgStore) foldPage(id int32) (done bool, err error) {
	pending := s.pendingFor(id)
	var folded int64
	defer func() {
		if err == nil {
			pending.folded(folded)
		}
	}()
	err = s.tx(func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgFoldLock)); err != nil {
			return err
		}
		var through, size int64
		if err := tx.QueryRow(ctx, `SELECT peers_through, log_size FROM sensors WHERE id = $1`, id).Scan(&through, &size); err != nil {
			return err
		}
		end := min(size, through+foldPage)
		done = end == size
		folded = end
		if end <= through {
			return nil
		}
		obs := make([]evidence.Observation, 0, end-through)
		decode := func(n int64, leaf []byte) error {
			if n != through+int64(len(obs)) {
				return fmt.Errorf("%w: sensor %d: log record %d missing", ErrCorrupt, id, through+int64(len(obs)))
			}
			var o evidence.Observation
			if err := evidence.DecodeLeaf(leaf, &o); err != nil {
				return fmt.Errorf("%w: log record %d: %v", ErrCorrupt, n, err)
			}
			obs = append(obs, o)
			return nil
		}
		if leaves, ok := pending.span(through, end); ok {
			for i, leaf := range leaves {
				if err := decode(through+int64(i), leaf); err != nil {
					return err
				}
			}
		} else {
			rows, err := tx.Query(ctx, `SELECT n, leaf FROM log_records WHERE sensor = $1 AND n >= $2 AND n < $3 ORDER BY n`, id, through, end)
			if err != nil {
				return err
			}
			var n int64
			var leaf []byte
			if _, err := pgx.ForEachRow(rows, []any{&n, &leaf}, func() error { return decode(n, leaf) }); err != nil {
				return err
			}
		}
		if int64(len(obs)) != end-through {
			return fmt.Errorf("%w: sensor %d: records %d to %d missing", ErrCorrupt, id, through+int64(len(obs)), end)
		}
		if err := foldPG(ctx, tx, obs); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sensors SET peers_through = $2 WHERE id = $1`, id, end)
		return err
	})
	return done, err
}

// pendingFor is the leaves this process holds of sensor id's log not
// folded yet: those of its own sensor; nil for another's.
func (s *pgStore) pendingFor(id int32) *pgPending {
	own := s
	if s.own != nil {
		own = s.own
	}
	if own.sensorID != id {
		return nil
	}
	return own.pending
}
