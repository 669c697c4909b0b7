package executor

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/store"
)

// run is one operation's execution: the fetches of one level of the
// answer are made together, each for every parent at once, before the
// next level's.
type run struct {
	ctx  context.Context
	read *store.Reader
	// next is the fetches of the next level, each with its parents.
	next    []*field
	parents map[*field][]any
	// lookedUp is the objects read by ID so far, nil for an ID that names
	// nothing the caller may see.
	lookedUp map[string]any
}

// fetchAll resolves every fetch of the plan, level by level: a level's
// fields are known once the level above has been read.
func (r *run) fetchAll(root []*field) error {
	r.parents = map[*field][]any{}
	if err := r.visit("Query", root, theQuery); err != nil {
		return err
	}
	if err := r.lookUpTogether(r.next); err != nil {
		return err
	}
	for len(r.next) > 0 {
		level, parents := r.next, r.parents
		r.next, r.parents = nil, make(map[*field][]any, len(level))
		for _, batch := range batches(level) {
			if err := r.fetch(batch, parents); err != nil {
				return err
			}
		}
	}
	return nil
}

// batches groups a level's fetches that read alike (the same resolver with
// equal arguments, such as the account of integrations under two aliases),
// so that each group costs one statement.
func batches(level []*field) [][]*field {
	type key struct {
		fetch *resolver
		arg   any
	}
	var out [][]*field
	at := map[key]int{}
	for _, f := range level {
		if f.arg != nil && !reflect.TypeOf(f.arg).Comparable() {
			out = append(out, []*field{f})
			continue
		}
		k := key{f.resolve, f.arg}
		if i, ok := at[k]; ok {
			out[i] = append(out[i], f)
			continue
		}
		at[k] = len(out)
		out = append(out, []*field{f})
	}
	return out
}

// fetch reads a batch's values for all its parents at once, then walks
// into them to queue the next level.
func (r *run) fetch(batch []*field, parents map[*field][]any) error {
	lead := batch[0]
	all := parents[lead]
	if len(batch) > 1 {
		merged := *lead
		all = nil
		for _, f := range batch {
			merged.columns |= f.columns
			all = append(all, parents[f]...)
		}
		lead = &merged
	}
	values, err := lead.resolve.fetch(r, lead, all)
	if err != nil {
		return fmt.Errorf("%s: %w", lead.name, err)
	}
	for _, f := range batch {
		ps := parents[f]
		f.results = make(map[any]any, len(ps))
		for i, p := range ps {
			f.results[p] = values[i]
		}
		for _, v := range values[:len(ps)] {
			if err := r.walk(f, v); err != nil {
				return err
			}
		}
		values = values[len(ps):]
	}
	return nil
}

// visit queues the fetches among fields selected on obj, and walks into
// the values computed in memory to find the fetches below them.
func (r *run) visit(typeName string, fields []*field, obj any) error {
	for _, f := range fields {
		switch {
		case f.resolve.fetch != nil:
			if _, queued := r.parents[f]; !queued {
				r.next = append(r.next, f)
			}
			r.parents[f] = append(r.parents[f], obj)
		case f.resolve.value != nil && f.children != nil:
			v, err := f.resolve.value(f, obj)
			if err != nil {
				return err
			}
			if err := r.walk(f, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// walk visits the object or objects of f's value v.
func (r *run) walk(f *field, v any) error {
	if v == nil || f.children == nil {
		return nil
	}
	if f.typ.Elem != nil {
		// Lists of lists are not in the schema.
		return forEach(v, func(x any) error { return r.walkObject(f, x) })
	}
	return r.walkObject(f, v)
}

func (r *run) walkObject(f *field, v any) error {
	if v == nil {
		return nil
	}
	name, children, _ := f.selected(v)
	return r.visit(name, children, v)
}

// ids are the parents' IDs (as idOf reads them), each once.
func ids[T any](parents []any, idOf func(*T) string) []string {
	return distinct(parents, func(p any) string { return idOf(p.(*T)) })
}

// parentIDs are the IDs of parents of any Node type, each once.
func parentIDs(parents []any) []string {
	return distinct(parents, func(p any) string { return p.(domain.Node).GetID() })
}

func distinct(parents []any, idOf func(any) string) []string {
	seen := make(map[string]bool, len(parents))
	out := make([]string, 0, len(parents))
	for _, p := range parents {
		if id := idOf(p); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// byID indexes rows by their ID.
func byID[T domain.Node](rows []T) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[r.GetID()] = r
	}
	return m
}

// perParent is a root field's value for each of its parents: the root,
// once per alias that reads alike (see batches).
func perParent(parents []any, v any) []any {
	out := make([]any, len(parents))
	for i := range out {
		out[i] = v
	}
	return out
}

func fetchOrganization(r *run, f *field, parents []any) ([]any, error) {
	a := f.arg.(organizationArg)
	if a.id != nil {
		if kind, ok := domain.KindOf(*a.id); !ok || kind != domain.KindOrganization {
			return perParent(parents, nil), nil
		}
		rows, err := r.read.FindOrganizationsByIDs(r.ctx, []string{*a.id})
		if err != nil || len(rows) == 0 {
			return perParent(parents, nil), err
		}
		return perParent(parents, rows[0]), nil
	}
	o, err := r.read.FindOrganizationBySlug(r.ctx, *a.slug)
	if errors.Is(err, domain.ErrNotFound) {
		return perParent(parents, nil), nil
	}
	if err != nil {
		return nil, err
	}
	return perParent(parents, o), nil
}

func fetchOrganizations(r *run, f *field, parents []any) ([]any, error) {
	page := f.arg.(pagination.Page)
	rows, err := r.read.FindOrganizations(r.ctx, page)
	if err != nil {
		return nil, err
	}
	count := &counter{count: func(ctx context.Context, _ []string) (map[string]int, error) {
		n, err := r.read.CountOrganizations(ctx)
		return map[string]int{"": n}, err
	}}
	return perParent(parents, newConnection(rows, page, "", count)), nil
}

func fetchNode(r *run, f *field, parents []any) ([]any, error) {
	found, err := r.nodes([]string{f.arg.(string)}, f.columns)
	if err != nil {
		return nil, err
	}
	return perParent(parents, found[0]), nil
}

func fetchNodes(r *run, f *field, parents []any) ([]any, error) {
	found, err := r.nodes(f.arg.([]string), f.columns)
	if err != nil {
		return nil, err
	}
	return perParent(parents, found), nil
}

// lookUpTogether reads the IDs of all the root's node and nodes fields
// at once, one statement per kind, so that ten aliased nodes fields cost
// what one does; each then finds its objects in r.lookedUp.
func (r *run) lookUpTogether(root []*field) error {
	var (
		ids     []string
		cols    store.Columns
		lookups int
	)
	for _, f := range root {
		if f.resolve.ids != nil {
			ids = append(ids, f.resolve.ids(f)...)
			cols |= f.columns
			lookups++
		}
	}
	if lookups < 2 {
		return nil
	}
	_, err := r.nodes(ids, cols)
	return err
}

// nodes reads the objects IDs name, one statement per kind, in the order
// of ids: nil where an ID names nothing the caller may see. IDs read
// before are not read again.
func (r *run) nodes(list []string, cols store.Columns) ([]any, error) {
	if r.lookedUp == nil {
		r.lookedUp = make(map[string]any, len(list))
	}
	found := r.lookedUp
	byKind := map[domain.Kind][]string{}
	for _, id := range list {
		if _, done := found[id]; done {
			continue
		}
		if kind, ok := domain.KindOf(id); ok {
			byKind[kind] = append(byKind[kind], id)
		}
		found[id] = nil
	}
	for kind, ids := range byKind {
		var err error
		switch kind {
		case domain.KindOrganization:
			err = collect(r.ctx, found, ids, r.read.FindOrganizationsByIDs, nil)
		case domain.KindAccount:
			err = collect(r.ctx, found, ids, withColumns(r.read.FindAccountsByIDs, cols), nil)
		case domain.KindIntegrationPoint:
			err = collect(r.ctx, found, ids, withColumns(r.read.FindIntegrationPointsByIDs, cols), nil)
		case domain.KindIntegration:
			err = collect(r.ctx, found, ids, withColumns(r.read.FindIntegrationsByIDs, cols|store.IntegrationID), nil)
		case domain.KindProvider:
			for _, id := range ids {
				if p := catalog.ByID(id); p != nil {
					found[id] = p
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]any, len(list))
	for i, id := range list {
		out[i] = found[id]
	}
	return out, nil
}

// withColumns is a read of the columns cols.
func withColumns[T any](find func(context.Context, []string, store.Columns) ([]T, error), cols store.Columns) func(context.Context, []string) ([]T, error) {
	return func(ctx context.Context, ids []string) ([]T, error) { return find(ctx, ids, cols) }
}

func collect[T domain.Node](ctx context.Context, found map[string]any, ids []string, find func(context.Context, []string) ([]T, error), keep func(T) (bool, error)) error {
	rows, err := find(ctx, ids)
	if err != nil {
		return err
	}
	for _, row := range rows {
		ok := true
		if keep != nil {
			if ok, err = keep(row); err != nil {
				return err
			}
		}
		if ok {
			found[row.GetID()] = row
		}
	}
	return nil
}

// fetchEdge is a to-one edge: the parents' targets, read by their IDs
// with find in one statement. A missing target of a required edge breaks
// an invariant that foreign keys keep, so it is an error; of an optional
// one (a token's organization or account), it is null.
func fetchEdge[P any, T domain.Node](idOf func(*P) string, find func(r *run, f *field, ids []string) ([]T, error), optional bool) func(*run, *field, []any) ([]any, error) {
	return func(r *run, f *field, parents []any) ([]any, error) {
		rows, err := find(r, f, ids(parents, idOf))
		if err != nil {
			return nil, err
		}
		targets := byID(rows)
		out := make([]any, len(parents))
		for i, p := range parents {
			t, ok := targets[idOf(p.(*P))]
			switch {
			case ok:
				out[i] = t
			case !optional:
				return nil, fmt.Errorf("no target %s", idOf(p.(*P)))
			}
		}
		return out, nil
	}
}

// The reads of edges' targets, with the columns the fields below show.

func organizationsByID(r *run, _ *field, ids []string) ([]*domain.Organization, error) {
	return r.read.FindOrganizationsByIDs(r.ctx, ids)
}

func accountsByID(r *run, f *field, ids []string) ([]*domain.Account, error) {
	return r.read.FindAccountsByIDs(r.ctx, ids, f.columns)
}

// pointsByID serves Integration.integrationPoint: the one edge to a point
// that an account token follows whether or not the point selects it.
func pointsByID(r *run, f *field, ids []string) ([]*domain.IntegrationPoint, error) {
	return r.read.FindPointsOfIntegrations(r.ctx, ids, f.columns)
}

// fetchViewer is the calling token, as the middleware read it.
func fetchViewer(r *run, f *field, parents []any) ([]any, error) {
	t := auth.TokenFrom(r.ctx)
	if t == nil {
		return nil, errors.New("viewer: no token in context")
	}
	return perParent(parents, t), nil
}

// pages builds every parent's connection from one statement's rows. Each
// parent's rows come in their page's order: a parent's page is one
// sub-select (UNION ALL arm, or LATERAL run), which neither engine
// interleaves with another's.
func pages[T any](parents []any, rows []T, parentOf func(T) string, page pagination.Page, count *counter) []any {
	grouped := make(map[string][]T, len(parents))
	for _, row := range rows {
		grouped[parentOf(row)] = append(grouped[parentOf(row)], row)
	}
	out := make([]any, len(parents))
	for i, p := range parents {
		id := p.(domain.Node).GetID()
		out[i] = newConnection(grouped[id], page, id, count)
	}
	return out
}

func fetchAccountPages(r *run, f *field, parents []any) ([]any, error) {
	a := f.arg.(listArg[domain.AccountFilter])
	rows, err := r.read.FindAccountPages(r.ctx, parentIDs(parents), a.filter, a.page, f.columns)
	if err != nil {
		return nil, err
	}
	count := &counter{count: func(ctx context.Context, ids []string) (map[string]int, error) {
		return r.read.CountAccounts(ctx, ids, a.filter)
	}}
	return pages(parents, rows, func(a *domain.Account) string { return a.OrganizationID }, a.page, count), nil
}

func fetchIntegrationPages(parent store.IntegrationParent) func(*run, *field, []any) ([]any, error) {
	parentOf := map[store.IntegrationParent]func(*domain.Integration) string{
		store.ByOrganization:     func(i *domain.Integration) string { return i.OrganizationID },
		store.ByAccount:          func(i *domain.Integration) string { return i.AccountID },
		store.ByIntegrationPoint: func(i *domain.Integration) string { return i.IntegrationPointID },
	}[parent]
	return func(r *run, f *field, parents []any) ([]any, error) {
		a := f.arg.(listArg[domain.IntegrationFilter])
		rows, err := r.read.FindIntegrationPages(r.ctx, parent, parentIDs(parents), a.filter, a.page, f.columns)
		if err != nil {
			return nil, err
		}
		count := &counter{count: func(ctx context.Context, ids []string) (map[string]int, error) {
			return r.read.CountIntegrations(ctx, parent, ids, a.filter)
		}}
		return pages(parents, rows, parentOf, a.page, count), nil
	}
}

func fetchSummaries(parent store.IntegrationParent) func(*run, *field, []any) ([]any, error) {
	return func(r *run, f *field, parents []any) ([]any, error) {
		sums, err := r.read.SummarizeCompliance(r.ctx, parent, parentIDs(parents))
		if err != nil {
			return nil, err
		}
		out := make([]any, len(parents))
		for i, p := range parents {
			s := sums[p.(domain.Node).GetID()]
			out[i] = &s
		}
		return out, nil
	}
}

// fetchOrganizationPoints is Organization.integrationPoints (of those an
// account token sees, the store keeps the points that select its account).
func fetchOrganizationPoints(r *run, f *field, parents []any) ([]any, error) {
	page := f.arg.(pagination.Page)
	rows, err := r.read.FindIntegrationPointPages(r.ctx, parentIDs(parents), page, f.columns)
	if err != nil {
		return nil, err
	}
	count := &counter{count: r.read.CountIntegrationPoints}
	return pages(parents, rows, func(p *domain.IntegrationPoint) string { return p.OrganizationID }, page, count), nil
}

// fetchAccountPoints is Account.integrationPoints: the points of the
// account's organization whose selector selects it, counted in memory.
func fetchAccountPoints(r *run, f *field, parents []any) ([]any, error) {
	page := f.arg.(pagination.Page)
	accounts := make([]*domain.Account, len(parents))
	for i, p := range parents {
		accounts[i] = p.(*domain.Account)
	}
	selecting, err := r.read.FindPointsSelecting(r.ctx, accounts, f.columns)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(parents))
	for i, a := range accounts {
		all := selecting[a.ID]
		c := newConnection(pagination.Window(all, page), page, a.ID, nil)
		c.total = len(all)
		out[i] = c
	}
	return out, nil
}

// fetchTotalCounts counts the lists of the connections with one statement
// per counter: per connection field.
func fetchTotalCounts(r *run, f *field, parents []any) ([]any, error) {
	byCounter := map[*counter][]string{}
	for _, p := range parents {
		if c := p.(*connection); c.count != nil {
			byCounter[c.count] = append(byCounter[c.count], c.parentID)
		}
	}
	counts := make(map[*counter]map[string]int, len(byCounter))
	for count, ids := range byCounter {
		n, err := count.count(r.ctx, ids)
		if err != nil {
			return nil, err
		}
		counts[count] = n
	}
	out := make([]any, len(parents))
	for i, p := range parents {
		c := p.(*connection)
		n := c.total
		if c.count != nil {
			n = counts[c.count][c.parentID]
		}
		out[i] = n
	}
	return out, nil
}
