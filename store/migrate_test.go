package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/secrets"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

// childURL, when set, makes TestMigrateChild open that database and stop:
// the process TestKilledMigrations kills.
const childURL = "POINTGUARD_TEST_MIGRATE_URL"

func TestMigrateChild(t *testing.T) {
	databaseURL := os.Getenv(childURL)
	if databaseURL == "" {
		t.Skip("run by TestKilledMigrations")
	}
	keys, _ := secrets.NewKeyring(secrets.NewKey())
	st, err := store.Open(context.Background(), databaseURL, store.Options{Secrets: keys})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// startChild starts a process that opens (and so migrates) databaseURL.
func startChild(t *testing.T, databaseURL string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMigrateChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childURL+"="+databaseURL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestKilledMigrations: a first start killed (SIGKILL) at a random moment,
// again and again, never leaves a database that the next start cannot
// bring up to date. golang-migrate alone left "Dirty database version N"
// when the kill fell between a migration and its version record.
func TestKilledMigrations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills 50 processes")
	}
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			// How long an uninterrupted start takes: kills fall anywhere in it.
			began := time.Now()
			if err := startChild(t, testdb.URL(t, engine)).Wait(); err != nil {
				t.Fatalf("an uninterrupted start failed: %v", err)
			}
			whole := time.Since(began)
			for db := 0; db < 8; db++ {
				databaseURL := testdb.URL(t, engine)
				for kill := 0; kill < 3; kill++ {
					cmd := startChild(t, databaseURL)
					time.Sleep(rand.N(whole))
					cmd.Process.Kill()
					cmd.Wait()
				}
				m, err := store.OpenMigrator(context.Background(), databaseURL)
				if err != nil {
					t.Fatal(err)
				}
				err = m.Up()
				status, serr := m.Status()
				m.Close()
				if err != nil || serr != nil {
					t.Fatalf("database %d: the start after three kills failed: %v %v", db, err, serr)
				}
				if status.Dirty || status.Version != status.Latest {
					t.Fatalf("database %d: after a start, %+v", db, status)
				}
			}
		})
	}
}

// TestMigratorStatusAndForce: `pointguard migrate status` and `force` on
// a database marked dirty by hand, as an older Pointguard could leave it.
func TestMigratorStatusAndForce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		ctx := context.Background()
		m, err := store.OpenMigrator(ctx, databaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		s, err := m.Status()
		if err != nil || s.Version != 0 || s.Dirty || s.Latest < 5 {
			t.Fatalf("a new database: %+v %v", s, err)
		}
		must(t, m.Up())
		if s, _ = m.Status(); s.Version != s.Latest || s.Dirty {
			t.Fatalf("after up: %+v", s)
		}
		latest := s.Latest
		must(t, m.Force(3))
		if s, _ = m.Status(); s.Version != 3 || s.Dirty {
			t.Fatalf("after force 3: %+v", s)
		}
		must(t, m.Force(latest))
		if err := m.Force(latest + 1); err == nil {
			t.Error("forced a version there is no migration for")
		}
		// Marked dirty by hand: Up refuses and says what to run.
		_, err = openDB(t, databaseURL).Exec(fmt.Sprintf("UPDATE schema_migrations SET dirty = true, version = %d", latest))
		must(t, err)
		err = m.Up()
		if err == nil {
			t.Fatal("Up ran on a dirty database")
		}
		if want := fmt.Sprintf("pointguard migrate force %d", latest); !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
		must(t, m.Force(latest))
		must(t, m.Up())
		if s, _ = m.Status(); s.Version != s.Latest || s.Dirty {
			t.Fatalf("after force and up: %+v", s)
		}
	})
}

// openDB opens databaseURL without the store, to change what it guards.
func openDB(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	driver := "postgres"
	if store.EngineOf(databaseURL) == store.SQLite {
		driver = "sqlite"
	}
	db, err := sql.Open(driver, databaseURL)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
