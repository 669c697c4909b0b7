// Package testdb gives each test a fresh database of each engine: a
// uniquely named PostgreSQL database dropped when the test ends, and an
// SQLite file in the test's temporary folder.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// DefaultPostgresURL is used when TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://root@127.0.0.1:5432/test?sslmode=disable"

// Engines are the names Each runs a test under.
var Engines = []string{"sqlite", "postgres"}

// Each runs fn once per engine, as subtests named after the engine, each
// with the URL of a fresh database.
func Each(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// URL returns a fresh database of the named engine ("sqlite" or "postgres").
func URL(tb testing.TB, engine string) string {
	if engine == "postgres" {
		return Postgres(tb)
	}
	return SQLite(tb)
}

// SQLite returns the path of a new SQLite file, removed with the test.
func SQLite(t testing.TB) string {
	return filepath.Join(t.TempDir(), "pointguard.db")
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminURL  *url.URL
	adminErr  error
)

// Postgres creates a new empty database and returns its URL; it is dropped
// when the test ends. With no server answering, the test is skipped with
// the reason, except under CI=true, where it fails: CI must run them.
func Postgres(t testing.TB) string {
	t.Helper()
	adminOnce.Do(connectAdmin)
	if adminErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", adminErr)
		}
		t.Skipf("no PostgreSQL (set TEST_DATABASE_URL; default %s): %v", DefaultPostgresURL, adminErr)
	}
	name := "pointguard_test_" + randomHex(8)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u := *adminURL
	u.Path = "/" + name
	return u.String()
}

func connectAdmin() {
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		raw = DefaultPostgresURL
	}
	adminURL, adminErr = url.Parse(raw)
	if adminErr != nil {
		return
	}
	admin, adminErr = sql.Open("postgres", raw)
	if adminErr != nil {
		return
	}
	admin.SetMaxOpenConns(2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if adminErr = admin.Ping(); adminErr == nil || time.Now().After(deadline) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// CellsContaining reads every cell of every table as text and reports
// where needle appears, as table.column: proof that a secret is nowhere in
// clear. sqlite tells how to list the tables.
func CellsContaining(t testing.TB, db *sql.DB, sqlite bool, needle string) []string {
	t.Helper()
	query := "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
	if sqlite {
		query = "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	var found []string
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			cells := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range cells {
				ptrs[i] = &cells[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cells {
				if strings.Contains(fmt.Sprintf("%s", c), needle) {
					found = append(found, table+"."+cols[i])
				}
			}
		}
		rows.Close()
	}
	return found
}
