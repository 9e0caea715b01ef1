package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrUnreachable is wrapped when the PostgreSQL server cannot be reached
// or refuses the connection (wrong password, no such database).
var ErrUnreachable = errors.New("database server unreachable or refused the connection")

// pgStore is the shared backend: a PostgreSQL database holding one
// catalogue, watchlist and seen set for every sensor, and one evidence log
// per sensor. It is one sensor's view (sensorID): the log methods read and
// append to that sensor's log. Safe for concurrent use.
type pgStore struct {
	pool     *pgxpool.Pool
	url      string // with any password removed, for messages
	keyPath  string
	cacheDir string
	retryFor time.Duration

	sensorID   int32
	sensorName string
	sensorAddr string
	readOnly   bool // a view of another sensor (ForSensor)

	own      *pgStore // the store this view was made from; nil for the store itself
	logs     *pgLogCache
	unfolded *atomic.Int64 // records appended since the last fold
	pending  *pgPending    // the own sensor's leaves not folded yet
}

// pgLogCache remembers the stored hashes the next appends to the
// sensor's log need (the right edge of its tree), so that appending does
// not read them back from the database.
type pgLogCache struct {
	mu     sync.Mutex // one append to this sensor's log at a time
	size   int64      // the log size edge is for; -1 unknown
	edge   map[int64]tlog.Hash
	closed bool
}

// pgOpTimeout bounds one database operation (one attempt).
const pgOpTimeout = 2 * time.Minute

// openPG connects to the database at rawURL, creates or upgrades its
// schema, and registers the sensor.
func openPG(rawURL string, opt *Options) (*pgStore, error) {
	safe := redactURL(rawURL)
	if opt.Sensor == "" && opt.ReadOnly {
		// A reader of the whole store (verify): no log of its own; it
		// reads each sensor's through ForSensor.
	} else if err := CheckSensorName(opt.Sensor); err != nil {
		return nil, fmt.Errorf("open store %s: %w: name this hunter with --sensor (or LEAKHUNT_SENSOR)", safe, err)
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", safe, err)
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	cfg.ConnConfig.ConnectTimeout = timeout
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", safe, err)
	}
	s := &pgStore{pool: pool, url: safe, keyPath: opt.KeyPath, cacheDir: opt.CacheDir, retryFor: opt.RetryFor,
		sensorName: opt.Sensor, sensorAddr: opt.SensorAddr, logs: &pgLogCache{size: -1}, unfolded: new(atomic.Int64),
		pending: &pgPending{}}
	if s.retryFor <= 0 {
		s.retryFor = 2 * time.Minute
	}
	if s.keyPath == "" {
		s.keyPath = "leakhunt-" + opt.Sensor
	}
	if s.cacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		s.cacheDir = filepath.Join(dir, "leakhunt", "docs")
	}
	if err := s.start(opt, timeout); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// start checks the connection, migrates and registers the sensor.
func (s *pgStore) start(opt *Options, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// A server restarting refuses connections for a moment: try again
	// until timeout before calling it unreachable.
	wait := 50 * time.Millisecond
	for {
		err := s.pool.Ping(ctx)
		if err == nil {
			break
		}
		if !retryable(err) || ctx.Err() != nil || time.Until(deadlineOf(ctx)) < wait {
			return fmt.Errorf("open store %s: %w: %v: check the URL, the password and that the server runs", s.url, ErrUnreachable, connectCause(err))
		}
		time.Sleep(wait)
		wait = min(2*wait, time.Second)
	}
	if err := migrate(ctx, s.pool); err != nil {
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	if opt.Sensor == "" {
		s.readOnly = true
		return nil
	}
	if opt.ReadOnly || opt.MustExist {
		err := s.pool.QueryRow(ctx, `SELECT id, addr FROM sensors WHERE name = $1`, s.sensorName).Scan(&s.sensorID, &s.sensorAddr)
		if errors.Is(err, pgx.ErrNoRows) && !opt.ReadOnly {
			return s.register(ctx)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("open store %s: sensor %q: %w there: check --sensor", s.url, s.sensorName, ErrNoStore)
		}
		if err != nil {
			return fmt.Errorf("open store %s: %w", s.url, err)
		}
		s.readOnly = opt.ReadOnly
		return nil
	}
	return s.register(ctx)
}

func (s *pgStore) register(ctx context.Context) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO sensors (name, addr) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET addr = CASE WHEN EXCLUDED.addr = '' THEN sensors.addr ELSE EXCLUDED.addr END
		RETURNING id, addr`, s.sensorName, s.sensorAddr).Scan(&s.sensorID, &s.sensorAddr)
	if err != nil {
		return fmt.Errorf("open store %s: register sensor %q: %w", s.url, s.sensorName, err)
	}
	return nil
}

// deadlineOf is ctx's deadline (every context here has one).
func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// connectCause strips a connection error to what the user can act on.
func connectCause(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// redactURL removes the password from a database URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// retryable reports whether err is the server going away or not being
// reachable (a restart, a network cut), after which the operation may be
// tried again: its transaction was rolled back.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004", "40001", "40P01":
			return true
		}
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, os.ErrDeadlineExceeded) || isClosedConn(err)
}

func isClosedConn(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"conn closed", "unexpected eof", "connection reset", "broken pipe", "server closed the connection", "connection refused"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// do runs fn, and runs it again with backoff while the server is away,
// for up to retryFor. Each attempt has its own deadline.
func (s *pgStore) do(fn func(ctx context.Context) error) error {
	deadline := time.Now().Add(s.retryFor)
	wait := 50 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), pgOpTimeout)
		err := fn(ctx)
		cancel()
		if err == nil || !retryable(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		// Backoff while the server restarts: there is no condition to wait
		// on but the server answering again.
		time.Sleep(wait)
		wait = min(2*wait, 2*time.Second)
	}
}

// tx runs fn in a transaction, retried as in do.
func (s *pgStore) tx(fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.do(func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
	})
}

// Path is the local path the sensor's signing key is kept beside.
func (s *pgStore) Path() string { return s.keyPath }

// Close closes the connections (a view closes nothing).
func (s *pgStore) Close() error {
	if s.own != nil {
		return nil
	}
	var err error
	if !s.readOnly {
		err = s.foldBehind()
	}
	s.pool.Close()
	return err
}

// Check compares each sensor's log size with its records.
func (s *pgStore) Check() ([]string, error) {
	var problems []string
	err := s.do(func(ctx context.Context) error {
		problems = problems[:0]
		rows, err := s.pool.Query(ctx, `SELECT s.name, s.log_size, count(r.n), coalesce(max(r.n), -1)
			FROM sensors s LEFT JOIN log_records r ON r.sensor = s.id GROUP BY s.id ORDER BY s.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var size, count, last int64
			if err := rows.Scan(&name, &size, &count, &last); err != nil {
				return err
			}
			if count != size || last != size-1 {
				problems = append(problems, fmt.Sprintf("sensor %q: log size %d, but %d records up to index %d", name, size, count, last))
			}
		}
		return rows.Err()
	})
	return problems, err
}

func (s *pgStore) stateGet(key string) ([]byte, bool) {
	var out []byte
	err := s.do(func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT value FROM state WHERE k = $1`, []byte(key)).Scan(&out)
	})
	return out, err == nil && out != nil
}

func (s *pgStore) statePut(key string, val []byte) error {
	if val == nil {
		val = []byte{}
	}
	return s.do(func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO state (k, value) VALUES ($1, $2)
			ON CONFLICT (k) DO UPDATE SET value = EXCLUDED.value`, []byte(key), val)
		return err
	})
}
