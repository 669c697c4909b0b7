// Package store keeps Pointguard's graph in PostgreSQL or SQLite.
//
// Both engines run the same queries through sqlx (written with ? and rebound
// per engine); where their SQL differs, the dialect decides. Reads are
// methods of queries, shared by Reader and Tx; writes exist only on Tx, so
// every change happens inside a transaction.
//
// Tenancy: a Reader or Tx is opened with a policy.Scope, and every
// statement on existing rows, reads and writes alike, is limited to it
// (queries.scoped), so that a missing check fails closed. Inserts name
// their parents, which the service reads through the scope first. Outside
// any scope: FindCredentials and TouchApiToken, which find out who is
// asking and record it, and the bulk writes by ID of rows read through the
// scope (UpdateCompliance) or by the system (RotateSecrets).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/XSAM/otelsql"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
)

// Engine names a database engine.
type Engine string

const (
	Postgres Engine = "postgres"
	SQLite   Engine = "sqlite"
)

func init() {
	// sqlx knows modernc's driver name only from v1.4.1 on.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	// base runs statements on the pool, with the zero scope: it sees
	// nothing until Read or InTx gives it one.
	base queries
	db   *sqlx.DB

	useMu   sync.Mutex
	useStmt *sqlx.Stmt

	// url is the database's, for connections of their own (ListenEvents).
	url string
	// onEvents is told of the events each commit wrote (OnEventsCommitted).
	onEventsMu sync.Mutex
	onEvents   []func(organizationIDs []string)
}

// Options tune Open.
type Options struct {
	// OnQuery, if set, is called before every statement the store runs.
	// Tests count statements with it; it could feed a tracer.
	OnQuery func(query string)
	// Secrets seals the config keys that hold secrets. Required.
	Secrets *secrets.Keyring
	// StatementTimeout, if set, is PostgreSQL's statement_timeout for
	// every session (unless the URL sets one): the server cancels what a
	// request that gave up left running. Migrations have none.
	StatementTimeout time.Duration
	// Tracer, if set, gives every statement a span (package tracing);
	// nil wraps nothing, so that a server without tracing pays nothing.
	Tracer trace.TracerProvider
}

// Open connects to databaseURL and brings its schema up to date.
// A postgres:// or postgresql:// URL is PostgreSQL; anything else is the path
// of an SQLite file (an optional sqlite:// prefix is removed), created with
// its folder when missing.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	if opts.Secrets == nil {
		return nil, errors.New("store: a secrets keyring is required")
	}
	engine := EngineOf(databaseURL)
	if engine == Postgres && opts.StatementTimeout > 0 {
		databaseURL = withStatementTimeout(databaseURL, opts.StatementTimeout)
	}
	db, err := connect(ctx, databaseURL, opts.Tracer)
	if err != nil {
		return nil, err
	}
	if err := migrateUp(ctx, db, engine); err != nil {
		db.Close()
		return nil, err
	}
	var ext sqlx.ExtContext = db
	if opts.OnQuery != nil {
		ext = observed{ext, opts.OnQuery}
	}
	prepared := &statements{db: db, hook: opts.OnQuery, m: map[string]*sqlx.Stmt{}}
	return &Store{base: queries{ext: ext, engine: engine, secrets: opts.Secrets, prepared: prepared, hooks: &hooks{}}, db: db, url: databaseURL}, nil
}

// connect opens the pool of databaseURL's engine and checks it answers;
// with a tracer, through otelsql.
func connect(ctx context.Context, databaseURL string, tracer trace.TracerProvider) (*sqlx.DB, error) {
	var (
		db  *sqlx.DB
		err error
	)
	engine := EngineOf(databaseURL)
	switch engine {
	case Postgres:
		db, err = openDB("postgres", databaseURL, tracer)
		if err == nil {
			db.SetMaxOpenConns(20)
			// As many idle as open: under load, a pool that closes what it
			// just opened churns backends (a new one per request, seen).
			db.SetMaxIdleConns(20)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	case SQLite:
		db, err = openSQLite(strings.TrimPrefix(databaseURL, "sqlite://"), tracer)
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", engine, err)
	}
	return db, nil
}

// withStatementTimeout adds statement_timeout to a PostgreSQL URL that
// sets none; lib/pq sends the parameters it does not know to the server.
func withStatementTimeout(databaseURL string, d time.Duration) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL // connect reports it
	}
	q := u.Query()
	if q.Get("statement_timeout") == "" {
		q.Set("statement_timeout", strconv.FormatInt(d.Milliseconds(), 10))
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// EngineOf tells which engine a database URL names.
func EngineOf(databaseURL string) Engine {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return Postgres
	}
	return SQLite
}

// openDB opens driver's pool; with a tracer, each statement, transaction
// and connection gets a span, with the statement's text (its values are
// parameters, never in the text). Rows, pings and session resets get none:
// an org graph reads hundreds of rows per statement.
func openDB(driver, dsn string, tracer trace.TracerProvider) (*sqlx.DB, error) {
	if tracer == nil {
		return sqlx.Open(driver, dsn)
	}
	system := semconv.DBSystemNamePostgreSQL
	if driver == "sqlite" {
		system = semconv.DBSystemNameSQLite
	}
	db, err := otelsql.Open(driver, dsn, otelsql.WithTracerProvider(tracer), otelsql.WithAttributes(system),
		otelsql.WithSpanOptions(otelsql.SpanOptions{OmitRows: true, OmitConnResetSession: true, DisableErrSkip: true}))
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(db, driver), nil
}

func openSQLite(path string, tracer trace.TracerProvider) (*sqlx.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// WAL lets readers run beside the one writer; _txlock=immediate takes the
	// write lock at BEGIN, so concurrent writers queue (busy_timeout) instead
	// of failing at their first write, which serialises count-then-insert.
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Reads come straight from the file mapped into memory, up to 2 GiB
	// (SQLite's own maximum; past it, pages are read into each
	// connection's 2 MB cache). The org graph answers 1.6× faster so: a
	// page is not copied into a per-connection cache under a lock, and
	// the pages are held once, by the kernel, for every connection.
	q.Add("_pragma", "mmap_size(2147418112)")
	q.Set("_txlock", "immediate")
	db, err := openDB("sqlite", "file:"+path+"?"+q.Encode(), tracer)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	// As many idle as open: a connection closed after each burst is a new
	// one, its statements prepared again, at the next.
	db.SetMaxIdleConns(8)
	return db, nil
}

// Engine is the engine the store runs on.
func (s *Store) Engine() Engine { return s.base.engine }

// Stats is the connection pool's: connections open, in use, idle, and
// how many were closed for want of an idle slot.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Close closes the database.
func (s *Store) Close() error {
	if s.useStmt != nil {
		s.useStmt.Close()
	}
	s.base.prepared.close()
	return s.db.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// DB is the raw database, for tests that look beneath the API.
func (s *Store) DB() *sql.DB { return s.db.DB }

// Reader reads the graph as one principal sees it: every statement is
// limited to its scope (see scoped).
type Reader struct{ queries }

// Read returns a reader limited to scope.
func (s *Store) Read(scope policy.Scope) *Reader {
	q := s.base
	q.scope = scope
	q.own = &ownAccount{}
	return &Reader{q}
}

// queries runs statements on a database or a transaction, within a scope.
type queries struct {
	ext     sqlx.ExtContext
	engine  Engine
	secrets *secrets.Keyring
	scope   policy.Scope
	// own is an account scope's account, read once (see visiblePoints).
	own *ownAccount
	// prepared, set outside transactions, prepares the reads of scanAll.
	prepared *statements
	// hooks are set after Open (store/webhooks.go).
	hooks *hooks
}

// scopedID is the WHERE clause, with its arguments, of a statement on one
// row by ID, within the scope: writes are scoped like reads.
func (q *queries) scopedID(id, organizationColumn, accountColumn string) (string, []any) {
	w := q.scoped(where{}, organizationColumn, accountColumn).with("id = ?", id)
	return w.sql(), w.args
}

// scoped adds to w the condition that keeps rows inside the scope.
// organizationColumn names a row's organization; accountColumn its
// account, or "" for rows that belong to the organization as a whole.
// The zero scope keeps nothing, so a read nobody scoped fails closed.
func (q *queries) scoped(w where, organizationColumn, accountColumn string) where {
	s := q.scope
	switch {
	case s.All:
		return w
	case s.OrganizationID == "":
		return w.with("1 = 0")
	case s.AccountID != "" && accountColumn != "":
		return w.with(organizationColumn+" = ? AND "+accountColumn+" = ?", s.OrganizationID, s.AccountID)
	default:
		return w.with(organizationColumn+" = ?", s.OrganizationID)
	}
}

// observed calls a hook before each statement.
type observed struct {
	sqlx.ExtContext
	hook func(string)
}

func (o observed) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	o.hook(query)
	return o.ExtContext.QueryContext(ctx, query, args...)
}

func (o observed) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	o.hook(query)
	return o.ExtContext.QueryxContext(ctx, query, args...)
}

func (o observed) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	o.hook(query)
	return o.ExtContext.QueryRowxContext(ctx, query, args...)
}

func (o observed) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	o.hook(query)
	return o.ExtContext.ExecContext(ctx, query, args...)
}
