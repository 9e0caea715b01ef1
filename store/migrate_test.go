package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leakhunt/leakhunt/internal/pgtest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	cases := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr string
	}{
		{"in order", fstest.MapFS{"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A")}, []int{1, 2}, ""},
		{"a gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, nil, "want 2"},
		{"no number", fstest.MapFS{"migrations/init.sql": file("A")}, nil, "NNNN_name.sql"},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("A")}, nil, "NNNN_name.sql"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := loadMigrations(c.fs)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("versions %v, want %v", got, c.want)
			}
		})
	}
	if _, err := loadMigrations(migrations); err != nil {
		t.Fatalf("the built-in migrations: %v", err)
	}
}

// TestMigrateOnceAndRefuseNewer opens a new database from several sensors
// at once (the schema is made once), then refuses a database whose
// schema is newer than this leakhunt.
func TestMigrateOnceAndRefuseNewer(t *testing.T) {
	u := newPGDatabase(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			dir := t.TempDir()
			s, err := Open(u, &Options{Sensor: fmt.Sprintf("m%d", i), KeyPath: dir + "/k", CacheDir: dir})
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	ms, _ := loadMigrations(migrations)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := pgtest.Conn(t, u)
	var n, top int
	if err := conn.QueryRow(ctx, `SELECT count(*), max(version) FROM schema_version`).Scan(&n, &top); err != nil || n != len(ms) || top != len(ms) {
		t.Fatalf("schema_version: %d rows up to %d (%v), want %d", n, top, err, len(ms))
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, 'future')`, len(ms)+1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if s, err := Open(u, &Options{Sensor: "m0", KeyPath: dir + "/k", CacheDir: dir}); err == nil || !strings.Contains(err.Error(), "newer than this leakhunt") {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open of a newer schema: %v", err)
	}
}
