package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratepg "github.com/golang-migrate/migrate/v4/database/postgres"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jmoiron/sqlx"

	"github.com/pointguard/pointguard/store/migrations"
)

// Migrator applies the schema's migrations and tells where a database
// stands: what `pointguard migrate` runs, and what Open runs first.
type Migrator struct {
	m      *migrate.Migrate
	source source.Driver
	close  func() error
}

// MigrationStatus is where a database's schema stands.
type MigrationStatus struct {
	// Version is the last migration applied; 0 for none.
	Version int
	// Dirty is set when a migration was interrupted and left its mark.
	// Pointguard's own migrations never leave it (atomicVersions); an
	// older Pointguard's, or one run by hand, may.
	Dirty bool
	// Latest is the last migration this binary knows.
	Latest int
}

// OpenMigrator connects to databaseURL (as Open does) to migrate it.
func OpenMigrator(ctx context.Context, databaseURL string) (*Migrator, error) {
	db, err := connect(ctx, databaseURL, nil)
	if err != nil {
		return nil, err
	}
	m, err := newMigrator(ctx, db, EngineOf(databaseURL))
	if err != nil {
		db.Close()
		return nil, err
	}
	inner := m.close
	m.close = func() error { return errors.Join(inner(), db.Close()) }
	return m, nil
}

func newMigrator(ctx context.Context, db *sqlx.DB, engine Engine) (*Migrator, error) {
	var (
		files   fs.FS
		driver  database.Driver
		closeFn = func() error { return nil }
		err     error
	)
	switch engine {
	case Postgres:
		files, _ = fs.Sub(migrations.Postgres, "postgres")
		conn, cerr := db.Conn(ctx)
		if cerr != nil {
			return nil, fmt.Errorf("migrate: %w", cerr)
		}
		// A migration may take longer than any request.
		if _, err := conn.ExecContext(ctx, "SET statement_timeout = 0"); err != nil {
			conn.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		// WithConnection, unlike WithInstance, leaves our pool open on Close.
		driver, err = migratepg.WithConnection(ctx, conn, &migratepg.Config{})
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		closeFn = func() error {
			// The connection goes back to the pool: with the URL's timeout.
			_, rerr := conn.ExecContext(context.Background(), "RESET statement_timeout")
			return errors.Join(rerr, driver.Close())
		}
	case SQLite:
		files, _ = fs.Sub(migrations.SQLite, "sqlite")
		// Not closed: the SQLite driver's Close would close our pool.
		driver, err = migratesqlite.WithInstance(db.DB, &migratesqlite.Config{})
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	src, err := iofs.New(files, ".")
	if err != nil {
		closeFn()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, string(engine), &atomicVersions{Driver: driver, engine: engine})
	if err != nil {
		closeFn()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return &Migrator{m: m, source: src, close: closeFn}, nil
}

// Up applies every migration not yet applied.
func (m *Migrator) Up() error {
	err := m.m.Up()
	var dirty migrate.ErrDirty
	switch {
	case err == nil, errors.Is(err, migrate.ErrNoChange):
		return nil
	case errors.As(err, &dirty):
		return fmt.Errorf("migrate: migration %d was interrupted by an earlier version of Pointguard or by hand, "+
			"and may be half applied; check the schema against store/migrations, then run "+
			"`pointguard migrate force %d` if it was applied, or `pointguard migrate force %d` if not",
			dirty.Version, dirty.Version, m.previous(dirty.Version))
	default:
		return fmt.Errorf("migrate: %w", err)
	}
}

// Status tells where the database stands.
func (m *Migrator) Status() (MigrationStatus, error) {
	var s MigrationStatus
	v, dirty, err := m.m.Version()
	switch {
	case errors.Is(err, migrate.ErrNilVersion):
	case err != nil:
		return s, fmt.Errorf("migrate: %w", err)
	default:
		s.Version, s.Dirty = int(v), dirty
	}
	for v, err := m.source.First(); err == nil; v, err = m.source.Next(v) {
		s.Latest = int(v)
	}
	return s, nil
}

// Force records version as the last migration applied, clean, without
// running anything: for an operator who checked a dirty database by hand.
// 0 records that none was.
func (m *Migrator) Force(version int) error {
	if version < 0 {
		return fmt.Errorf("migrate: no version %d", version)
	}
	if version == 0 {
		version = database.NilVersion
	} else if r, _, err := m.source.ReadUp(uint(version)); err != nil {
		return fmt.Errorf("migrate: there is no migration %d", version)
	} else {
		r.Close()
	}
	if err := m.m.Force(version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// previous is the migration before version, 0 for none.
func (m *Migrator) previous(version int) int {
	v, err := m.source.Prev(uint(version))
	if err != nil {
		return 0
	}
	return int(v)
}

// Close closes what OpenMigrator opened.
func (m *Migrator) Close() error { return m.close() }

func migrateUp(ctx context.Context, db *sqlx.DB, engine Engine) error {
	m, err := newMigrator(ctx, db, engine)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up()
}

// atomicVersions makes each migration and its version record one
// transaction. golang-migrate records "version N, dirty", runs migration N,
// then records "N, clean", each in a transaction of its own: a process
// killed between two of them left "N, dirty" behind, and every later start
// refused with "Dirty database version N", although N had been applied in
// full or not at all. Here the dirty record is never written; the clean
// one is appended to the migration's own SQL, which both engines run as
// one transaction (PostgreSQL, a simple query of several statements;
// SQLite, the driver's BEGIN and COMMIT around it), so a crash leaves the
// database at N-1 or at N, clean, and the next start carries on.
type atomicVersions struct {
	database.Driver
	engine Engine
	// pending is the version announced by SetVersion(v, true); recorded
	// is set when Run has recorded it, with the migration.
	pending  int
	recorded bool
}

func (d *atomicVersions) SetVersion(version int, dirty bool) error {
	if dirty {
		d.pending, d.recorded = version, false
		return nil
	}
	if d.recorded && d.pending == version {
		d.recorded = false
		return nil // recorded by Run, with the migration
	}
	return d.Driver.SetVersion(version, false)
}

func (d *atomicVersions) Run(migration io.Reader) error {
	body, err := io.ReadAll(migration)
	if err != nil {
		return err
	}
	clean := "false"
	if d.engine == SQLite {
		clean = "0"
	}
	record := "\n;\nDELETE FROM schema_migrations;\n"
	if d.pending != database.NilVersion { // down past the first: no row, as golang-migrate keeps it
		record += fmt.Sprintf("INSERT INTO schema_migrations (version, dirty) VALUES (%d, %s);\n", d.pending, clean)
	}
	if err := d.Driver.Run(bytes.NewReader(append(body, record...))); err != nil {
		return err
	}
	d.recorded = true
	return nil
}
