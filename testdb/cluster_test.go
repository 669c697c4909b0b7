package testdb_test

import (
	"database/sql"
	"testing"

	"github.com/pointguard/pointguard/testdb"
)

// TestCluster: a private cluster starts, serves, and is served again after
// an immediate restart.
func TestCluster(t *testing.T) {
	c := testdb.NewCluster(t)
	db, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.Restart()
	var n int
	if err := db.QueryRow("SELECT n FROM kept").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after a restart: %d, %v", n, err)
	}
}
