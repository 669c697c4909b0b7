package store

import (
	"context"
	"strings"

	"github.com/pointguard/pointguard/domain"
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

var useQuery = "SELECT " + aliased("i", integrationColumns) + ", " + aliased("a", accountColumns) + ", " +
	aliased("p", integrationPointColumns) + ", " +
	"(SELECT count(*) FROM integrations e WHERE e.account_id = i.account_id AND e.integration_point_id = i.integration_point_id AND e.id < i.id) AS earlier " +
	"FROM integrations i JOIN accounts a ON a.id = i.account_id JOIN integration_points p ON p.id = i.integration_point_id " +
	"WHERE i.id IN (?)"

// FindUseContexts reads integrations with their account, point and
// position in one indexed statement. Unknown IDs are left out.
func (q *queries) FindUseContexts(ctx context.Context, ids []string) ([]*UseContext, error) {
	var rows []useRow
	if err := q.selectAll(ctx, &rows, useQuery, ids); err != nil {
		return nil, err
	}
	out := make([]*UseContext, len(rows))
	for n, r := range rows {
		uc := &UseContext{Earlier: r.Earlier}
		var err error
		if uc.Integration, err = r.Integration.domain(); err != nil {
			return nil, err
		}
		if uc.Account, err = r.Account.domain(); err != nil {
			return nil, err
		}
		if uc.Point, err = r.Point.domain(); err != nil {
			return nil, err
		}
		out[n] = uc
	}
	return out, nil
}

// GetID makes UseContext loadable by integration ID.
func (u *UseContext) GetID() string { return u.Integration.ID }
