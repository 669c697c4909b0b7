// Package migrations holds the SQL schema of each engine, embedded in the
// binary and applied by golang-migrate at start.
package migrations

import "embed"

// Postgres and SQLite hold one folder of numbered migrations each. The two
// describe the same schema; each engine owns its own SQL where they differ.
var (
	//go:embed postgres/*.sql
	Postgres embed.FS
	//go:embed sqlite/*.sql
	SQLite embed.FS
)
