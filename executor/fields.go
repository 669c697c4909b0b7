package executor

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/store"
)

// resolver is how the executor gets one field's value. Exactly one of
// leaf, value and fetch is set.
type resolver struct {
	// prepare reads the field's arguments once, when the operation is
	// planned; an error sends the operation to gqlgen, which words it.
	prepare func(args map[string]any) (any, error)
	// leaf writes a scalar or enum value, or a list of them.
	leaf func(b []byte, obj any) ([]byte, error)
	// value computes an object, or a list of objects, in memory.
	value func(f *field, obj any) (any, error)
	// fetch reads the value for every parent at once, in line with parents.
	fetch func(r *run, f *field, parents []any) ([]any, error)
	// needs is the columns of its parent the field shows (or follows).
	needs store.Columns
	// ids, on a root field that looks objects up by ID, is the IDs it
	// reads: the root's lookups are read together (run.lookUpTogether).
	ids func(f *field) []string
}

// reads sets what a field needs of its parent's row.
func (r *resolver) reads(c store.Columns) *resolver {
	r.needs = c
	return r
}

// typename marks __typename, which any type has.
var typename = &resolver{}

// resolvers are the fields this executor runs, by type and name. An
// operation selecting any other field is run by gqlgen. Each resolves as
// the resolver of the same field in package resolvers does, which the
// differential tests check.
var resolvers = map[string]map[string]*resolver{
	"Query": {
		"organization":  {prepare: organizationArgs, fetch: fetchOrganization},
		"organizations": {prepare: pageArgs(domain.KindOrganization), fetch: fetchOrganizations},
		"node":          {prepare: nodeArgs, fetch: fetchNode, ids: func(f *field) []string { return []string{f.arg.(string)} }},
		"nodes":         {prepare: nodesArgs, fetch: fetchNodes, ids: func(f *field) []string { return f.arg.([]string) }},
		"provider": {prepare: stringArg("key"), value: func(f *field, _ any) (any, error) {
			return nilIfNone(catalog.Lookup(f.arg.(string))), nil
		}},
		"viewer": {fetch: fetchViewer},
		"providers": {prepare: categoryArg, value: func(f *field, _ any) (any, error) {
			if c, ok := f.arg.(domain.Category); ok {
				return catalog.ByCategory(c), nil
			}
			return catalog.All(), nil
		}},
	},
	"Organization": {
		"id":                str(func(o *domain.Organization) string { return o.ID }),
		"slug":              str(func(o *domain.Organization) string { return o.Slug }),
		"name":              str(func(o *domain.Organization) string { return o.Name }),
		"createdAt":         timestamp(func(o *domain.Organization) time.Time { return o.CreatedAt }),
		"updatedAt":         timestamp(func(o *domain.Organization) time.Time { return o.UpdatedAt }),
		"accounts":          {prepare: accountListArgs, fetch: fetchAccountPages},
		"integrationPoints": {prepare: pageArgs(domain.KindIntegrationPoint), fetch: fetchOrganizationPoints},
		"integrations":      {prepare: integrationListArgs, fetch: fetchIntegrationPages(store.ByOrganization)},
		"complianceSummary": {fetch: fetchSummaries(store.ByOrganization)},
	},
	"Account": {
		"id":           str(func(a *domain.Account) string { return a.ID }),
		"organization": {fetch: fetchEdge(func(a *domain.Account) string { return a.OrganizationID }, organizationsByID, false), needs: store.AccountOrganization},
		"slug":         str(func(a *domain.Account) string { return a.Slug }).reads(store.AccountSlug),
		"name":         str(func(a *domain.Account) string { return a.Name }).reads(store.AccountName),
		"environment":  str(func(a *domain.Account) domain.Environment { return a.Environment }).reads(store.AccountEnvironment),
		"labels":       object(func(_ *field, a *domain.Account) (any, error) { return a.Labels, nil }).reads(store.AccountLabels),
		"createdAt":    timestamp(func(a *domain.Account) time.Time { return a.CreatedAt }).reads(store.AccountCreatedAt),
		"updatedAt":    timestamp(func(a *domain.Account) time.Time { return a.UpdatedAt }).reads(store.AccountUpdatedAt),
		"integrations": {prepare: integrationListArgs, fetch: fetchIntegrationPages(store.ByAccount)},
		"integrationPoints": {prepare: pageArgs(domain.KindIntegrationPoint), fetch: fetchAccountPoints,
			needs: store.AccountOrganization | store.AccountEnvironment | store.AccountLabels},
	},
	"IntegrationPoint": {
		"id":           str(func(p *domain.IntegrationPoint) string { return p.ID }),
		"organization": {fetch: fetchEdge(func(p *domain.IntegrationPoint) string { return p.OrganizationID }, organizationsByID, false)},
		"slug":         str(func(p *domain.IntegrationPoint) string { return p.Slug }).reads(store.PointSlug),
		"name":         str(func(p *domain.IntegrationPoint) string { return p.Name }).reads(store.PointName),
		"description":  str(func(p *domain.IntegrationPoint) string { return p.Description }).reads(store.PointDescription),
		"category":     str(func(p *domain.IntegrationPoint) domain.Category { return p.Category }).reads(store.PointCategory),
		"version":      integer(func(p *domain.IntegrationPoint) int { return p.Version }).reads(store.PointVersion),
		"allowedProviders": object(func(_ *field, p *domain.IntegrationPoint) (any, error) {
			return &p.AllowedProviders, nil
		}).reads(store.PointAllowedProviders),
		"requiredConfig":            strs(func(p *domain.IntegrationPoint) []string { return p.RequiredConfig }).reads(store.PointRequiredConfig),
		"maxIntegrationsPerAccount": optionalInt(func(p *domain.IntegrationPoint) *int { return p.MaxIntegrationsPerAccount }).reads(store.PointMaxIntegrations),
		"rules":                     object(func(_ *field, p *domain.IntegrationPoint) (any, error) { return p.Rules, nil }).reads(store.PointRules),
		"accountSelector": object(func(_ *field, p *domain.IntegrationPoint) (any, error) {
			return &p.AccountSelector, nil
		}).reads(store.PointAccountSelector),
		"onViolation":       str(func(p *domain.IntegrationPoint) domain.OnViolation { return p.OnViolation }).reads(store.PointOnViolation),
		"complianceSummary": {fetch: fetchSummaries(store.ByIntegrationPoint)},
		"integrations":      {prepare: integrationListArgs, fetch: fetchIntegrationPages(store.ByIntegrationPoint)},
		"createdAt":         timestamp(func(p *domain.IntegrationPoint) time.Time { return p.CreatedAt }).reads(store.PointCreatedAt),
		"updatedAt":         timestamp(func(p *domain.IntegrationPoint) time.Time { return p.UpdatedAt }).reads(store.PointUpdatedAt),
	},
	"Integration": {
		"id":               str(func(i *domain.Integration) string { return i.ID }).reads(store.IntegrationID),
		"account":          {fetch: fetchEdge(func(i *domain.Integration) string { return i.AccountID }, accountsByID, false), needs: store.IntegrationAccount},
		"integrationPoint": {fetch: fetchEdge(func(i *domain.Integration) string { return i.IntegrationPointID }, pointsByID, false), needs: store.IntegrationPoint},
		"provider": object(func(_ *field, i *domain.Integration) (any, error) {
			if p := catalog.Lookup(i.ProviderKey); p != nil {
				return p, nil
			}
			return nil, fmt.Errorf("integration %s names provider %q, which is not in the catalog", i.ID, i.ProviderKey)
		}).reads(store.IntegrationProvider),
		"name":            str(func(i *domain.Integration) string { return i.Name }).reads(store.IntegrationName),
		"config":          jsonValue(func(i *domain.Integration) any { return configsecrets.Without(i.Config) }).reads(store.IntegrationConfig),
		"secretFields":    strs(func(i *domain.Integration) []string { return configsecrets.Paths(i.Config) }).reads(store.IntegrationConfig | store.IntegrationSecrets),
		"compliance":      object(func(_ *field, i *domain.Integration) (any, error) { return &i.Compliance, nil }),
		"status":          str(func(i *domain.Integration) domain.IntegrationStatus { return i.Status }).reads(store.IntegrationLifecycle),
		"statusReason":    optionalString(func(i *domain.Integration) *string { return i.StatusReason }).reads(store.IntegrationLifecycle),
		"statusChangedAt": timestamp(func(i *domain.Integration) time.Time { return i.StatusChangedAt }).reads(store.IntegrationLifecycle),
		"createdAt":       timestamp(func(i *domain.Integration) time.Time { return i.CreatedAt }).reads(store.IntegrationCreatedAt),
		"updatedAt":       timestamp(func(i *domain.Integration) time.Time { return i.UpdatedAt }).reads(store.IntegrationUpdatedAt),
	},
	// Nodes this executor does not look up (gqlgenKind); their id lets it
	// plan a selection on Node that gqlgen's types would also satisfy.
	"WebhookEndpoint": {"id": str(func(w *domain.WebhookEndpoint) string { return w.ID })},
	"WebhookDelivery": {"id": str(func(d *domain.WebhookDelivery) string { return d.ID })},
	"Event":           {"id": str(func(e *domain.Event) string { return e.ID })},
	"Provider": {
		"id":           str(func(p *domain.Provider) string { return p.ID }),
		"key":          str(func(p *domain.Provider) string { return p.Key }),
		"name":         str(func(p *domain.Provider) string { return p.Name }),
		"category":     str(func(p *domain.Provider) domain.Category { return p.Category }),
		"mock":         boolean(func(p *domain.Provider) bool { return p.Mock }),
		"configSchema": jsonValue(func(p *domain.Provider) any { return p.ConfigSchema }),
		"authMethods":  strs(func(p *domain.Provider) []string { return p.AuthMethods }),
		"secretFields": strs(func(p *domain.Provider) []string { return p.SecretFields }),
	},
	"ApiToken": {
		"id":           str(func(t *domain.ApiToken) string { return t.ID }),
		"name":         str(func(t *domain.ApiToken) string { return t.Name }),
		"role":         str(func(t *domain.ApiToken) domain.Role { return t.Role }),
		"prefix":       str(func(t *domain.ApiToken) string { return t.Prefix }),
		"organization": {fetch: fetchEdge(func(t *domain.ApiToken) string { return t.OrganizationID }, organizationsByID, true)},
		"account":      {fetch: fetchEdge(func(t *domain.ApiToken) string { return t.AccountID }, accountsByID, true)},
		"createdAt":    timestamp(func(t *domain.ApiToken) time.Time { return t.CreatedAt }),
		"expiresAt":    optionalTime(func(t *domain.ApiToken) *time.Time { return t.ExpiresAt }),
		"lastUsedAt":   optionalTime(func(t *domain.ApiToken) *time.Time { return t.LastUsedAt }),
		"revokedAt":    optionalTime(func(t *domain.ApiToken) *time.Time { return t.RevokedAt }),
	},
	"Compliance": {
		"status":       str(func(c *domain.Compliance) domain.ComplianceStatus { return c.Status }).reads(store.IntegrationStatus),
		"pointVersion": integer(func(c *domain.Compliance) int { return c.PointVersion }).reads(store.IntegrationPointVersion),
		"checkedAt":    timestamp(func(c *domain.Compliance) time.Time { return c.CheckedAt }).reads(store.IntegrationCheckedAt),
		"violations":   object(func(_ *field, c *domain.Compliance) (any, error) { return c.Violations, nil }).reads(store.IntegrationViolations),
	},
	"Violation": {
		"code":        str(func(v *domain.Violation) string { return v.Code }),
		"rule":        str(func(v *domain.Violation) string { return v.Rule }),
		"message":     str(func(v *domain.Violation) string { return v.Message }),
		"field":       optionalString(func(v *domain.Violation) *string { return v.Field }),
		"enforcement": str(func(v *domain.Violation) domain.Enforcement { return v.Enforcement }),
	},
	"Label": {
		"key":   str(func(l *domain.Label) string { return l.Key }),
		"value": str(func(l *domain.Label) string { return l.Value }),
	},
	"Rule": {
		"name":              str(func(r *domain.Rule) string { return r.Name }),
		"expression":        str(func(r *domain.Rule) string { return r.Expression }),
		"message":           str(func(r *domain.Rule) string { return r.Message }),
		"messageExpression": boolean(func(r *domain.Rule) bool { return r.MessageExpression }),
		"enforcement":       str(func(r *domain.Rule) domain.Enforcement { return r.Enforcement }),
	},
	"AccountSelector": {
		"environments": strs(func(s *domain.AccountSelector) []domain.Environment { return s.Environments }),
		"matchLabels":  object(func(_ *field, s *domain.AccountSelector) (any, error) { return s.MatchLabels, nil }),
	},
	"AllowedProviders": {
		"test": object(func(_ *field, a *domain.AllowedProviders) (any, error) { return catalog.LookupAll(a.Test), nil }),
		"prod": object(func(_ *field, a *domain.AllowedProviders) (any, error) { return catalog.LookupAll(a.Prod), nil }),
	},
	"ComplianceSummary": {
		"total":        integer(func(s *domain.ComplianceSummary) int { return s.Total }),
		"compliant":    integer(func(s *domain.ComplianceSummary) int { return s.Compliant }),
		"warning":      integer(func(s *domain.ComplianceSummary) int { return s.Warning }),
		"nonCompliant": integer(func(s *domain.ComplianceSummary) int { return s.NonCompliant }),
		"active":       integer(func(s *domain.ComplianceSummary) int { return s.Active }),
		"disabled":     integer(func(s *domain.ComplianceSummary) int { return s.Disabled }),
		"suspended":    integer(func(s *domain.ComplianceSummary) int { return s.Suspended }),
	},
	"PageInfo": {
		"hasNextPage":     boolean(func(c *connection) bool { return c.hasNext }),
		"hasPreviousPage": boolean(func(c *connection) bool { return c.page.After != "" }),
		"startCursor":     cursorAt(func(c *connection) int { return 0 }).reads(store.IntegrationID),
		"endCursor":       cursorAt(func(c *connection) int { return len(c.rows) - 1 }).reads(store.IntegrationID),
	},
	"OrganizationConnection":     connectionFields,
	"OrganizationEdge":           edgeFields,
	"AccountConnection":          connectionFields,
	"AccountEdge":                edgeFields,
	"IntegrationPointConnection": connectionFields,
	"IntegrationPointEdge":       edgeFields,
	"IntegrationConnection":      connectionFields,
	"IntegrationEdge":            edgeFields,
}

// connectionFields are every XConnection's: edges and nodes are the page's
// rows (an edge is represented by its node), pageInfo the connection.
var connectionFields = map[string]*resolver{
	"edges":      object(func(_ *field, c *connection) (any, error) { return c.rows, nil }),
	"nodes":      object(func(_ *field, c *connection) (any, error) { return c.rows, nil }),
	"pageInfo":   object(func(_ *field, c *connection) (any, error) { return c, nil }),
	"totalCount": {fetch: fetchTotalCounts},
}

// Cursors need the rows' IDs, which reads of integrations fill in only when
// asked (those of the other types always).
var edgeFields = map[string]*resolver{
	"cursor": {leaf: func(b []byte, obj any) ([]byte, error) {
		return appendString(b, pagination.Cursor(obj.(domain.Node).GetID())), nil
	}, needs: store.IntegrationID},
	"node": {value: func(_ *field, obj any) (any, error) { return obj, nil }},
}

// nilIfNone keeps a nil pointer from becoming a non-nil interface.
func nilIfNone[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// The leaf resolvers, by GraphQL scalar; T is the parent's domain type.

func str[T any, S ~string](get func(*T) S) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		return appendString(b, string(get(obj.(*T)))), nil
	}}
}

func strs[T any, S ~string](get func(*T) []S) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		b = append(b, '[')
		for i, s := range get(obj.(*T)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, string(s))
		}
		return append(b, ']'), nil
	}}
}

func optionalString[T any](get func(*T) *string) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		if s := get(obj.(*T)); s != nil {
			return appendString(b, *s), nil
		}
		return append(b, "null"...), nil
	}}
}

func integer[T any](get func(*T) int) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		return appendInt(b, get(obj.(*T))), nil
	}}
}

func optionalInt[T any](get func(*T) *int) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		if n := get(obj.(*T)); n != nil {
			return appendInt(b, *n), nil
		}
		return append(b, "null"...), nil
	}}
}

func boolean[T any](get func(*T) bool) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		if get(obj.(*T)) {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	}}
}

// timestamp is a non-null Time; gqlgen answers a zero one with an error.
func timestamp[T any](get func(*T) time.Time) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		t := get(obj.(*T))
		if t.IsZero() {
			return nil, fmt.Errorf("executor: zero time in %T", obj)
		}
		return appendTime(b, t), nil
	}}
}

// optionalTime is a nullable Time: null for nil, and for zero as
// graphql.MarshalTime writes it.
func optionalTime[T any](get func(*T) *time.Time) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		if t := get(obj.(*T)); t != nil && !t.IsZero() {
			return appendTime(b, *t), nil
		}
		return append(b, "null"...), nil
	}}
}

// jsonValue is the JSON scalar, encoded as graphql.MarshalAny encodes it.
func jsonValue[T any](get func(*T) any) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		j, err := json.Marshal(get(obj.(*T)))
		if err != nil {
			return nil, err
		}
		return append(b, j...), nil
	}}
}

// cursorAt is the cursor of the row at an index of the page, or null.
func cursorAt(index func(*connection) int) *resolver {
	return &resolver{leaf: func(b []byte, obj any) ([]byte, error) {
		c := obj.(*connection)
		if len(c.rows) == 0 {
			return append(b, "null"...), nil
		}
		return appendString(b, pagination.Cursor(c.rows[index(c)].(domain.Node).GetID())), nil
	}}
}

// object computes an object or list value from its parent.
func object[T any](get func(f *field, obj *T) (any, error)) *resolver {
	return &resolver{value: func(f *field, obj any) (any, error) { return get(f, obj.(*T)) }}
}

// The arguments, read as gqlgen's generated code reads them.

func intArg(args map[string]any, name string) (*int, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return nil, nil
	}
	n, err := graphql.UnmarshalInt(v)
	return &n, err
}

func optionalStringArg(args map[string]any, name string) (*string, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return nil, nil
	}
	s, err := graphql.UnmarshalString(v)
	return &s, err
}

func optionalIDArg(args map[string]any, name string) (*string, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return nil, nil
	}
	s, err := graphql.UnmarshalID(v)
	return &s, err
}

func stringArg(name string) func(map[string]any) (any, error) {
	return func(args map[string]any) (any, error) { return graphql.UnmarshalString(args[name]) }
}

func pageArgs(kind domain.Kind) func(map[string]any) (any, error) {
	return func(args map[string]any) (any, error) { return page(args, kind) }
}

func page(args map[string]any, kind domain.Kind) (pagination.Page, error) {
	first, err := intArg(args, "first")
	if err != nil {
		return pagination.Page{}, err
	}
	after, err := optionalStringArg(args, "after")
	if err != nil {
		return pagination.Page{}, err
	}
	return pagination.NewPage(first, after, kind)
}

// organizationArg is Query.organization's: an ID or a slug.
type organizationArg struct{ id, slug *string }

func organizationArgs(args map[string]any) (any, error) {
	id, err := optionalIDArg(args, "id")
	if err != nil {
		return nil, err
	}
	slug, err := optionalStringArg(args, "slug")
	if err != nil {
		return nil, err
	}
	if (id == nil) == (slug == nil) {
		return nil, fmt.Errorf("organization needs exactly one of id and slug")
	}
	return organizationArg{id: id, slug: slug}, nil
}

func nodeArgs(args map[string]any) (any, error) {
	id, err := graphql.UnmarshalID(args["id"])
	if err != nil {
		return nil, err
	}
	return id, gqlgenKind(id)
}

// gqlgenKind hands the webhook objects to gqlgen: looked up by ID seldom,
// they need no second implementation here.
func gqlgenKind(id string) error {
	switch k, _ := domain.KindOf(id); k {
	case domain.KindWebhookEndpoint, domain.KindWebhookDelivery, domain.KindEvent:
		return fmt.Errorf("%s: looked up by gqlgen", k.Name())
	}
	return nil
}

// maxNodes is resolvers' bound on nodes(ids:); past it gqlgen refuses.
const maxNodes = 100

func nodesArgs(args map[string]any) (any, error) {
	list, ok := args["ids"].([]any)
	if !ok || len(list) > maxNodes {
		return nil, fmt.Errorf("nodes takes at most %d IDs", maxNodes)
	}
	ids := make([]string, len(list))
	for i, v := range list {
		id, err := graphql.UnmarshalID(v)
		if err != nil {
			return nil, err
		}
		if err := gqlgenKind(id); err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func categoryArg(args map[string]any) (any, error) {
	v, ok := args["category"]
	if !ok || v == nil {
		return nil, nil
	}
	var c domain.Category
	err := c.UnmarshalGQL(v)
	return c, err
}

// listArg is the arguments of a filtered connection.
type listArg[F any] struct {
	page   pagination.Page
	filter F
}

func accountListArgs(args map[string]any) (any, error) {
	p, err := page(args, domain.KindAccount)
	if err != nil {
		return nil, err
	}
	var f domain.AccountFilter
	filter, err := inputObject(args, "filter")
	if err != nil {
		return nil, err
	}
	if v, ok := filter["environment"]; ok {
		if err := f.Environment.UnmarshalGQL(v); err != nil {
			return nil, err
		}
	}
	return listArg[domain.AccountFilter]{p, f}, nil
}

func integrationListArgs(args map[string]any) (any, error) {
	p, err := page(args, domain.KindIntegration)
	if err != nil {
		return nil, err
	}
	var f domain.IntegrationFilter
	filter, err := inputObject(args, "filter")
	if err != nil {
		return nil, err
	}
	for k, v := range filter {
		switch k {
		case "accountId":
			f.AccountID, err = graphql.UnmarshalID(v)
		case "integrationPointId":
			f.IntegrationPointID, err = graphql.UnmarshalID(v)
		case "providerKey":
			f.ProviderKey, err = graphql.UnmarshalString(v)
		case "complianceStatus":
			err = f.ComplianceStatus.UnmarshalGQL(v)
		case "status":
			err = f.Status.UnmarshalGQL(v)
		default:
			// A filter this executor does not know would be ignored: gqlgen runs it.
			err = fmt.Errorf("integrations: unknown filter %q", k)
		}
		if err != nil {
			return nil, err
		}
	}
	return listArg[domain.IntegrationFilter]{p, f}, nil
}

// inputObject is an input object argument; absent or null is empty.
func inputObject(args map[string]any, name string) (map[string]any, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is %T, not an input object", name, v)
	}
	return m, nil
}
