package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
)

// UseContext is everything the use-time gate needs about one integration.
type UseContext struct {
	Integration *domain.Integration
	Account     *domain.Account
	Point       *domain.IntegrationPoint
	// Earlier is how many of the account's integrations on the point are older.
	Earlier int
}

type useRow struct {
	Integration integrationRow      `db:"i"`
	Account     accountRow          `db:"a"`
	Point       integrationPointRow `db:"p"`
	Earlier     int                 `db:"earlier"`
}

// aliased prefixes each column with its table alias, as sqlx names the
// fields of nested structs ("i.id").
func aliased(alias, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, c := range parts {
		parts[i] = alias + "." + c + ` AS "` + alias + "." + c + `"`
	}
	return strings.Join(parts, ", ")
}

var useQuery = "SELECT " + aliased("i", integrationColumns) + `, p.version AS "i.current_point_version", ` + aliased("a", accountColumns) + ", " +
	aliased("p", integrationPointColumns) + ", " +
	"(SELECT count(*) FROM integrations e WHERE e.account_id = i.account_id AND e.integration_point_id = i.integration_point_id AND e.id < i.id) AS earlier " +
	"FROM integrations i JOIN accounts a ON a.id = i.account_id JOIN integration_points p ON p.id = i.integration_point_id " +
	"WHERE i.id = ? AND " + scopeParams

// scopeParams is queries.scoped for a statement prepared once: the scope
// comes as four parameters (see scopeArgs), and the zero scope matches nothing.
const scopeParams = "(? OR (i.organization_id = ? AND (? = '' OR i.account_id = ?)))"

func scopeArgs(s policy.Scope) []any {
	return []any{s.All, s.OrganizationID, s.AccountID, s.AccountID}
}

// FindUseContext reads an integration with its account, point and
// position in one indexed statement, prepared once: the use-time gate asks for one integration per request,
// and preparing the join costs more than running it on SQLite. It returns
// domain.ErrNotFound when there is none.
func (s *Store) FindUseContext(ctx context.Context, scope policy.Scope, id string) (*UseContext, error) {
	stmt, err := s.useStatement(ctx)
	if err != nil {
		return nil, err
	}
	if o, ok := s.base.ext.(observed); ok {
		o.hook(useQuery)
	}
	var r useRow
	if err := stmt.GetContext(ctx, &r, append([]any{id}, scopeArgs(scope)...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, domain.ErrNotFound
		}
		return nil, err
	}
	return r.useContext(s.base.secrets)
}

func (r *useRow) useContext(ring *secrets.Keyring) (*UseContext, error) {
	uc := &UseContext{Earlier: r.Earlier}
	var err error
	if uc.Integration, err = r.Integration.domain(ring); err != nil {
		return nil, err
	}
	if uc.Account, err = r.Account.domain(); err != nil {
		return nil, err
	}
	if uc.Point, err = r.Point.domain(ring); err != nil {
		return nil, err
	}
	return uc, nil
}

// useStatement prepares the gate's query on first use; a failed prepare
// (the database briefly away) is tried again on the next call.
func (s *Store) useStatement(ctx context.Context) (*sqlx.Stmt, error) {
	s.useMu.Lock()
	defer s.useMu.Unlock()
	if s.useStmt == nil {
		stmt, err := s.db.PreparexContext(ctx, s.db.Rebind(useQuery))
		if err != nil {
			return nil, err
		}
		s.useStmt = stmt
	}
	return s.useStmt, nil
}
