package store

import (
	"context"
	"testing"

	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/testdb"
)

// TestSQLiteConnections: every connection of the SQLite pool reads through
// the memory-mapped file and keeps the settings that make it safe (WAL,
// foreign keys), and the pool keeps idle as many connections as it opens.
func TestSQLiteConnections(t *testing.T) {
	keys, err := secrets.NewKeyring(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, testdb.SQLite(t), Options{Secrets: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Hold several connections at once, so that each is a distinct one.
	const held = 4
	var conns []interface{ Close() error }
	for i := 0; i < held; i++ {
		c, err := s.db.Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var (
			mmap, fk int64
			journal  string
		)
		if err := c.QueryRowxContext(ctx, "PRAGMA mmap_size").Scan(&mmap); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowxContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowxContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
			t.Fatal(err)
		}
		if mmap < 1<<30 || fk != 1 || journal != "wal" {
			t.Errorf("connection %d: mmap_size %d, foreign_keys %d, journal_mode %s; want at least 1 GiB, 1, wal", i, mmap, fk, journal)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if st := s.db.Stats(); st.Idle != held {
		t.Errorf("%d connections kept idle after %d were released, want all", st.Idle, held)
	}
}
