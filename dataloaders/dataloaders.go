// Package dataloaders batches the lookups of one GraphQL request: every
// to-one edge and every per-parent list, so that a query costs one SQL
// statement per level of nesting, whatever the size of the data.
//
// Loaders live for one request (Middleware) and cache what they loaded, so
// an object asked for twice is read once. Results line up with keys; a key
// with no row is a per-key domain.ErrNotFound, never an error for the batch.
package dataloaders

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// Wait is how long a loader collects keys before it runs its batch.
// Resolvers of one level start within microseconds of each other; 2 ms
// catches them all while adding little latency per level.
const Wait = 2 * time.Millisecond

// maxBatch bounds the keys of one batch. The store takes any number of
// IDs in one statement (array parameters), so a level of 100 pages of 100
// rows is still one statement.
const maxBatch = pagination.MaxFirst * pagination.MaxFirst

// ListKey asks for one parent's page of a list, filtered. The lists of one
// loader with equal Filter and Page are one statement for all their
// parents, and their counts, the page left out, one more.
type ListKey[F comparable] struct {
	ParentID string
	Filter   F
	Page     pagination.Page
}

// group is the key without its parent: what a page batch shares.
func (k ListKey[F]) group() (ListKey[F], string) {
	id := k.ParentID
	k.ParentID = ""
	return k, id
}

// countGroup is the key without its parent and page: what a count batch shares.
func (k ListKey[F]) countGroup() (ListKey[F], string) {
	g, id := k.group()
	g.Page = pagination.Page{}
	return g, id
}

// IntegrationList is which integrations of a parent a list shows.
type IntegrationList struct {
	Parent store.IntegrationParent
	Filter domain.IntegrationFilter
}

// The keys of each list (no filter: struct{}).
type (
	AccountPageKey          = ListKey[domain.AccountFilter]    // an organization's accounts
	IntegrationPointPageKey = ListKey[struct{}]                // an organization's points
	IntegrationPageKey      = ListKey[IntegrationList]         // a parent's integrations
	VersionPageKey          = ListKey[struct{}]                // a point's versions
	ApiTokenPageKey         = ListKey[store.TokenOwner]        // an owner's tokens
	AuditEventPageKey       = ListKey[domain.AuditEventFilter] // an organization's audit events
)

// SummaryKey asks for the compliance summary of one parent.
type SummaryKey struct {
	Parent   store.IntegrationParent
	ParentID string
}

// Loaders holds one request's loaders.
type Loaders struct {
	Organization     *dataloadgen.Loader[string, *domain.Organization]
	Account          *dataloadgen.Loader[string, *domain.Account]
	IntegrationPoint *dataloadgen.Loader[string, *domain.IntegrationPoint]
	Integration      *dataloadgen.Loader[string, *domain.Integration]
	// PointOfIntegration is the point an integration is on, which an
	// account token sees whether or not the point selects its account.
	PointOfIntegration *dataloadgen.Loader[string, *domain.IntegrationPoint]
	// PointsSelecting is, for each account, the points that select it.
	PointsSelecting *dataloadgen.Loader[*domain.Account, []*domain.IntegrationPoint]

	AccountPage           *dataloadgen.Loader[AccountPageKey, []*domain.Account]
	AccountCount          *dataloadgen.Loader[AccountPageKey, int]
	IntegrationPointPage  *dataloadgen.Loader[IntegrationPointPageKey, []*domain.IntegrationPoint]
	IntegrationPointCount *dataloadgen.Loader[IntegrationPointPageKey, int]
	IntegrationPage       *dataloadgen.Loader[IntegrationPageKey, []*domain.Integration]
	IntegrationCount      *dataloadgen.Loader[IntegrationPageKey, int]
	VersionPage           *dataloadgen.Loader[VersionPageKey, []*domain.IntegrationPointVersion]
	ComplianceSummary     *dataloadgen.Loader[SummaryKey, domain.ComplianceSummary]
	ApiTokenPage          *dataloadgen.Loader[ApiTokenPageKey, []*domain.ApiToken]
	ApiTokenCount         *dataloadgen.Loader[ApiTokenPageKey, int]
	AuditEventPage        *dataloadgen.Loader[AuditEventPageKey, []*domain.AuditEvent]
	AuditEventCount       *dataloadgen.Loader[AuditEventPageKey, int]
}

// New returns fresh loaders reading through s, which limits every read to
// one principal's scope.
func New(s *store.Reader) *Loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(Wait), dataloadgen.WithBatchCapacity(maxBatch)}
	return &Loaders{
		Organization:       dataloadgen.NewMappedLoader(byID(s.FindOrganizationsByIDs), opts...),
		Account:            dataloadgen.NewMappedLoader(byID(allColumns(s.FindAccountsByIDs)), opts...),
		IntegrationPoint:   dataloadgen.NewMappedLoader(byID(allColumns(s.FindIntegrationPointsByIDs)), opts...),
		Integration:        dataloadgen.NewMappedLoader(byID(allColumns(s.FindIntegrationsByIDs)), opts...),
		PointOfIntegration: dataloadgen.NewMappedLoader(byID(allColumns(s.FindPointsOfIntegrations)), opts...),
		PointsSelecting: dataloadgen.NewMappedLoader(func(ctx context.Context, accounts []*domain.Account) (map[*domain.Account][]*domain.IntegrationPoint, error) {
			byAccount, err := s.FindPointsSelecting(ctx, accounts, store.AllColumns)
			if err != nil {
				return nil, err
			}
			out := make(map[*domain.Account][]*domain.IntegrationPoint, len(accounts))
			for _, a := range accounts {
				out[a] = byAccount[a.ID]
			}
			return out, nil
		}, opts...),

		AccountPage: dataloadgen.NewLoader(pages(
			func(ctx context.Context, g AccountPageKey, ids []string) ([]*domain.Account, error) {
				return s.FindAccountPages(ctx, ids, g.Filter, g.Page, store.AllColumns)
			},
			func(_ AccountPageKey, a *domain.Account) string { return a.OrganizationID },
		), opts...),
		AccountCount: dataloadgen.NewLoader(counts(func(ctx context.Context, g AccountPageKey, ids []string) (map[string]int, error) {
			return s.CountAccounts(ctx, ids, g.Filter)
		}), opts...),

		IntegrationPointPage: dataloadgen.NewLoader(pages(
			func(ctx context.Context, g IntegrationPointPageKey, ids []string) ([]*domain.IntegrationPoint, error) {
				return s.FindIntegrationPointPages(ctx, ids, g.Page, store.AllColumns)
			},
			func(_ IntegrationPointPageKey, p *domain.IntegrationPoint) string { return p.OrganizationID },
		), opts...),
		IntegrationPointCount: dataloadgen.NewLoader(counts(func(ctx context.Context, _ IntegrationPointPageKey, ids []string) (map[string]int, error) {
			return s.CountIntegrationPoints(ctx, ids)
		}), opts...),

		IntegrationPage: dataloadgen.NewLoader(pages(
			func(ctx context.Context, g IntegrationPageKey, ids []string) ([]*domain.Integration, error) {
				return s.FindIntegrationPages(ctx, g.Filter.Parent, ids, g.Filter.Filter, g.Page, store.AllColumns)
			},
			integrationParent,
		), opts...),
		IntegrationCount: dataloadgen.NewLoader(counts(func(ctx context.Context, g IntegrationPageKey, ids []string) (map[string]int, error) {
			return s.CountIntegrations(ctx, g.Filter.Parent, ids, g.Filter.Filter)
		}), opts...),
		VersionPage: dataloadgen.NewLoader(pages(
			func(ctx context.Context, g VersionPageKey, ids []string) ([]*domain.IntegrationPointVersion, error) {
				return s.FindIntegrationPointVersionPages(ctx, ids, g.Page)
			},
			func(_ VersionPageKey, v *domain.IntegrationPointVersion) string { return v.IntegrationPointID },
		), opts...),
		ComplianceSummary: dataloadgen.NewLoader(batchByGroup(
			func(k SummaryKey) (store.IntegrationParent, string) { return k.Parent, k.ParentID },
			s.SummarizeCompliance,
		), opts...),

		ApiTokenPage: dataloadgen.NewLoader(pages(
			func(ctx context.Context, g ApiTokenPageKey, ids []string) ([]*domain.ApiToken, error) {
				return s.FindApiTokenPages(ctx, g.Filter, ids, g.Page)
			},
			func(g ApiTokenPageKey, t *domain.ApiToken) string {
				if g.Filter == store.OfAccount {
					return t.AccountID
				}
				return t.OrganizationID
			},
		), opts...),
		ApiTokenCount: dataloadgen.NewLoader(counts(func(ctx context.Context, g ApiTokenPageKey, ids []string) (map[string]int, error) {
			return s.CountApiTokens(ctx, g.Filter, ids)
		}), opts...),
		AuditEventPage: dataloadgen.NewLoader(newestFirst(pages(
			func(ctx context.Context, g AuditEventPageKey, ids []string) ([]*domain.AuditEvent, error) {
				return s.FindAuditEventPages(ctx, ids, g.Filter, g.Page)
			},
			func(_ AuditEventPageKey, e *domain.AuditEvent) string { return e.OrganizationID },
		)), opts...),
		AuditEventCount: dataloadgen.NewLoader(counts(func(ctx context.Context, g AuditEventPageKey, ids []string) (map[string]int, error) {
			return s.CountAuditEvents(ctx, ids, g.Filter)
		}), opts...),
	}
}

// integrationParent is the ID of the parent an integration was listed under.
func integrationParent(g IntegrationPageKey, i *domain.Integration) string {
	switch g.Filter.Parent {
	case store.ByAccount:
		return i.AccountID
	case store.ByIntegrationPoint:
		return i.IntegrationPointID
	default:
		return i.OrganizationID
	}
}

type ctxKey struct{}

// Middleware gives each request its own loaders, which read what the
// request's principal may see (none: nothing).
func Middleware(s *store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		next.ServeHTTP(w, r.WithContext(With(ctx, New(s.Read(policy.From(ctx).Scope())))))
	})
}

// newestFirst reverses each page that pages sorted by ascending ID.
func newestFirst[K comparable, T any](batch func(context.Context, []K) ([][]T, []error)) func(context.Context, []K) ([][]T, []error) {
	return func(ctx context.Context, keys []K) ([][]T, []error) {
		values, errs := batch(ctx, keys)
		for _, v := range values {
			slices.Reverse(v)
		}
		return values, errs
	}
}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders. It panics when Middleware did not run:
// that is a wiring bug, not a runtime condition.
func For(ctx context.Context) *Loaders {
	return ctx.Value(ctxKey{}).(*Loaders)
}

// IsNotFound tells a loader's "no such key" apart from a failure.
func IsNotFound(err error) bool {
	return errors.Is(err, dataloadgen.ErrNotFound) || errors.Is(err, domain.ErrNotFound)
}

// byID adapts a store's FindXsByIDs to a mapped loader.
func byID[T domain.Node](find func(context.Context, []string) ([]T, error)) func(context.Context, []string) (map[string]T, error) {
	return func(ctx context.Context, ids []string) (map[string]T, error) {
		rows, err := find(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]T, len(rows))
		for _, r := range rows {
			out[r.GetID()] = r
		}
		return out, nil
	}
}

// pages builds the batch function of a per-parent page loader: keys with
// equal filter and page (ListKey.group) are fetched with one statement. A
// parent with no rows gets an empty page.
func pages[F comparable, T domain.Node](
	fetch func(context.Context, ListKey[F], []string) ([]T, error),
	parentOf func(ListKey[F], T) string,
) func(context.Context, []ListKey[F]) ([][]T, []error) {
	return batchByGroup(ListKey[F].group, func(ctx context.Context, g ListKey[F], ids []string) (map[string][]T, error) {
		rows, err := fetch(ctx, g, ids)
		if err != nil {
			return nil, err
		}
		byParent := make(map[string][]T, len(ids))
		for _, r := range rows {
			p := parentOf(g, r)
			byParent[p] = append(byParent[p], r)
		}
		// UNION ALL keeps no order: restore ID order within each page.
		for _, rs := range byParent {
			slices.SortFunc(rs, func(a, b T) int { return strings.Compare(a.GetID(), b.GetID()) })
		}
		return byParent, nil
	})
}

// counts builds the batch function of a per-parent count loader; a parent
// with no rows counts 0. A count is asked with its list's page key, as is:
// countGroup leaves the page out, so counts of every page of a parent are
// one statement.
func counts[F comparable](
	fetch func(context.Context, ListKey[F], []string) (map[string]int, error),
) func(context.Context, []ListKey[F]) ([]int, []error) {
	return batchByGroup(ListKey[F].countGroup, fetch)
}

func batchByGroup[K, G comparable, V any](
	split func(K) (G, string),
	fetch func(context.Context, G, []string) (map[string]V, error),
) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		type group struct {
			ids     []string
			indexes []int
		}
		groups := map[G]*group{}
		var order []G
		for i, k := range keys {
			g, id := split(k)
			gr, ok := groups[g]
			if !ok {
				gr = &group{}
				groups[g] = gr
				order = append(order, g)
			}
			gr.ids = append(gr.ids, id)
			gr.indexes = append(gr.indexes, i)
		}
		values := make([]V, len(keys))
		errs := make([]error, len(keys))
		for _, g := range order {
			gr := groups[g]
			byParent, err := fetch(ctx, g, gr.ids)
			for j, i := range gr.indexes {
				if err != nil {
					errs[i] = err
					continue
				}
				values[i] = byParent[gr.ids[j]]
			}
		}
		return values, errs
	}
}

// allColumns reads every column: what gqlgen's resolvers may show.
func allColumns[T any](find func(context.Context, []string, store.Columns) ([]T, error)) func(context.Context, []string) ([]T, error) {
	return func(ctx context.Context, ids []string) ([]T, error) { return find(ctx, ids, store.AllColumns) }
}
