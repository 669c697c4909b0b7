package pagination_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }

func TestNewPage(t *testing.T) {
	orgID := domain.NewID(domain.KindOrganization)

	t.Run("Valid", func(t *testing.T) {
		tests := []struct {
			name      string
			first     *int
			after     *string
			want      pagination.Page
			wantLimit int
		}{
			{"Defaults", nil, nil, pagination.Page{First: 50}, 51},
			{"DefaultIs50", nil, nil, pagination.Page{First: pagination.DefaultFirst}, pagination.DefaultFirst + 1},
			{"Zero", intp(0), nil, pagination.Page{First: 0}, 1},
			{"One", intp(1), nil, pagination.Page{First: 1}, 2},
			{"Max", intp(100), nil, pagination.Page{First: 100}, 101},
			{"MaxIs100", intp(pagination.MaxFirst), nil, pagination.Page{First: 100}, 101},
			{"EmptyAfterIsFromTheStart", intp(10), strp(""), pagination.Page{First: 10}, 11},
			{"After", intp(10), strp(pagination.Cursor(orgID)), pagination.Page{First: 10, After: orgID}, 11},
			{"AfterWithDefaultFirst", nil, strp(pagination.Cursor(orgID)), pagination.Page{First: 50, After: orgID}, 51},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := pagination.NewPage(tt.first, tt.after, domain.KindOrganization)
				if err != nil {
					t.Fatalf("NewPage: %v", err)
				}
				if got != tt.want {
					t.Errorf("NewPage = %+v, want %+v", got, tt.want)
				}
				if got.Limit() != tt.wantLimit {
					t.Errorf("Limit = %d, want %d", got.Limit(), tt.wantLimit)
				}
			})
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		valid := pagination.Cursor(orgID)
		tests := []struct {
			name    string
			first   *int
			after   *string
			message string
		}{
			{"OverMax", intp(101), nil, "first must be between 0 and 100, got 101"},
			{"FarOverMax", intp(1 << 20), nil, "first must be between 0 and 100, got 1048576"},
			{"Negative", intp(-1), nil, "first must be between 0 and 100, got -1"},
			{"BadFirstWithGoodAfter", intp(500), strp(valid), "first must be between 0 and 100, got 500"},
			{"GarbageCursor", nil, strp("garbage!!"), `after: "garbage!!" is not a cursor returned by this API`},
			{"Base64OfSomethingElse", nil, strp(enc("hello world")), `after: "` + enc("hello world") + `" is not a cursor returned by this API`},
			{"Base64OfBareID", nil, strp(enc(orgID)), `after: "` + enc(orgID) + `" is not a cursor returned by this API`},
			{"CursorOfNonID", nil, strp(pagination.Cursor("hello")), `after: "` + pagination.Cursor("hello") + `" is not a cursor returned by this API`},
			{"CursorOfUnknownKind", nil, strp(pagination.Cursor("xyz_" + strings.Repeat("0", 32))), ""},
			{"CursorOfUpperCaseID", nil, strp(pagination.Cursor(strings.ToUpper(orgID))), ""},
			{"CursorOfEmptyID", nil, strp(pagination.Cursor("")), ""},
			{"StdEncodingWithPadding", nil, strp(base64.StdEncoding.EncodeToString([]byte("cursor:" + orgID))), ""},
			{"TruncatedCursor", nil, strp(valid[:len(valid)-4]), ""},
			{"CursorOfAnotherList", nil, strp(pagination.Cursor(domain.NewID(domain.KindAccount))), ""},
			{"CursorWithWhitespace", nil, strp(" " + valid), ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := pagination.NewPage(tt.first, tt.after, domain.KindOrganization)
				var ie *domain.InputError
				if !errors.As(err, &ie) {
					t.Fatalf("NewPage error = %v (%T), want *domain.InputError", err, err)
				}
				want := tt.message
				if want == "" {
					want = `after: "` + *tt.after + `" is not a cursor returned by this API`
				}
				if ie.Message != want || err.Error() != want {
					t.Errorf("message = %q, want %q", ie.Message, want)
				}
				if got != (pagination.Page{}) {
					t.Errorf("page = %+v, want the zero page with an error", got)
				}
			})
		}
	})
}

func TestCursor(t *testing.T) {
	kinds := []domain.Kind{domain.KindOrganization, domain.KindAccount, domain.KindIntegrationPoint, domain.KindIntegration}
	for _, k := range kinds {
		t.Run("RoundTrip/"+k.Name(), func(t *testing.T) {
			id := domain.NewID(k)
			c := pagination.Cursor(id)
			if strings.Contains(c, id) {
				t.Errorf("cursor %q shows the ID in clear", c)
			}
			if strings.ContainsAny(c, "+/=") {
				t.Errorf("cursor %q is not URL-safe", c)
			}
			if pagination.Cursor(id) != c {
				t.Errorf("cursor is not deterministic")
			}
			page, err := pagination.NewPage(intp(5), &c, k)
			if err != nil {
				t.Fatalf("NewPage(after %q): %v", c, err)
			}
			if page.After != id {
				t.Errorf("After = %q, want %q", page.After, id)
			}
		})
	}
	t.Run("DistinctIDsDistinctCursors", func(t *testing.T) {
		a, b := domain.NewID(domain.KindAccount), domain.NewID(domain.KindAccount)
		if pagination.Cursor(a) == pagination.Cursor(b) {
			t.Errorf("two IDs share a cursor")
		}
	})
}

func orgs(n int) []*domain.Organization {
	out := make([]*domain.Organization, n)
	for i := range out {
		out[i] = &domain.Organization{ID: domain.NewID(domain.KindOrganization), Slug: "org"}
	}
	return out
}

func noCount(t *testing.T) pagination.CountFunc {
	return func(context.Context) (int, error) {
		t.Error("count called")
		return 0, nil
	}
}

func TestNewOrganizationConnection(t *testing.T) {
	after := domain.NewID(domain.KindOrganization)
	tests := []struct {
		name         string
		rows         int
		page         pagination.Page
		wantNodes    int
		wantNext     bool
		wantPrevious bool
	}{
		{name: "LimitRowsHasNextPage", rows: 4, page: pagination.Page{First: 3}, wantNodes: 3, wantNext: true},
		{name: "ExactlyFirstRowsIsLastPage", rows: 3, page: pagination.Page{First: 3}, wantNodes: 3},
		{name: "FewerRowsIsLastPage", rows: 2, page: pagination.Page{First: 3}, wantNodes: 2},
		{name: "NoRows", rows: 0, page: pagination.Page{First: 3}, wantNodes: 0},
		{name: "FirstZeroWithARowHasNextPage", rows: 1, page: pagination.Page{First: 0}, wantNodes: 0, wantNext: true},
		{name: "FirstZeroNoRows", rows: 0, page: pagination.Page{First: 0}, wantNodes: 0},
		{name: "AfterSetHasPreviousPage", rows: 2, page: pagination.Page{First: 3, After: after}, wantNodes: 2, wantPrevious: true},
		{name: "AfterSetEmptyPageHasPreviousPage", rows: 0, page: pagination.Page{First: 3, After: after}, wantNodes: 0, wantPrevious: true},
		{name: "AfterSetAndMore", rows: 51, page: pagination.Page{First: 50, After: after}, wantNodes: 50, wantNext: true, wantPrevious: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := orgs(tt.rows)
			c := pagination.NewConnection(rows, tt.page, noCount(t))

			if len(c.Nodes) != tt.wantNodes || len(c.Edges) != tt.wantNodes {
				t.Fatalf("%d nodes and %d edges, want %d", len(c.Nodes), len(c.Edges), tt.wantNodes)
			}
			for i := range tt.wantNodes {
				if c.Nodes[i] != rows[i] || c.Edges[i].Node != rows[i] {
					t.Errorf("node %d is not row %d", i, i)
				}
				if want := pagination.Cursor(rows[i].ID); c.Edges[i].Cursor != want {
					t.Errorf("edge %d cursor = %q, want %q", i, c.Edges[i].Cursor, want)
				}
			}
			info := c.PageInfo
			if info == nil {
				t.Fatal("PageInfo is nil")
			}
			if info.HasNextPage != tt.wantNext {
				t.Errorf("HasNextPage = %v, want %v", info.HasNextPage, tt.wantNext)
			}
			if info.HasPreviousPage != tt.wantPrevious {
				t.Errorf("HasPreviousPage = %v, want %v", info.HasPreviousPage, tt.wantPrevious)
			}
			if tt.wantNodes == 0 {
				if info.StartCursor != nil || info.EndCursor != nil {
					t.Errorf("empty page has start/end cursors %v/%v, want nil", info.StartCursor, info.EndCursor)
				}
				return
			}
			if info.StartCursor == nil || *info.StartCursor != pagination.Cursor(rows[0].ID) {
				t.Errorf("StartCursor = %v, want the first row's cursor", info.StartCursor)
			}
			last := rows[tt.wantNodes-1]
			if info.EndCursor == nil || *info.EndCursor != pagination.Cursor(last.ID) {
				t.Errorf("EndCursor = %v, want the cursor of row %d (not of the extra row)", info.EndCursor, tt.wantNodes-1)
			}
			// The end cursor asks for the next page.
			next, err := pagination.NewPage(&tt.page.First, info.EndCursor, domain.KindOrganization)
			if err != nil || next.After != last.ID {
				t.Errorf("NewPage(after EndCursor) = %+v, %v; want After %s", next, err, last.ID)
			}
		})
	}
}

// Every connection type is built the same way.
func TestNewConnections(t *testing.T) {
	page := pagination.Page{First: 1, After: domain.NewID(domain.KindOrganization)}
	type result struct {
		nodes, edges int
		info         *pagination.PageInfo
		firstID      string
		firstCursor  string
	}
	tests := []struct {
		name  string
		build func() result
		id    string
	}{
		{"Organization", func() result {
			rows := []*domain.Organization{{ID: "org_00000000000000000000000000000001"}, {ID: "org_00000000000000000000000000000002"}}
			c := pagination.NewConnection(rows, page, noCount(t))
			return result{len(c.Nodes), len(c.Edges), c.PageInfo, c.Nodes[0].ID, c.Edges[0].Cursor}
		}, "org_00000000000000000000000000000001"},
		{"Account", func() result {
			rows := []*domain.Account{{ID: "acc_00000000000000000000000000000001"}, {ID: "acc_00000000000000000000000000000002"}}
			c := pagination.NewConnection(rows, page, noCount(t))
			return result{len(c.Nodes), len(c.Edges), c.PageInfo, c.Nodes[0].ID, c.Edges[0].Cursor}
		}, "acc_00000000000000000000000000000001"},
		{"IntegrationPoint", func() result {
			rows := []*domain.IntegrationPoint{{ID: "ipt_00000000000000000000000000000001"}, {ID: "ipt_00000000000000000000000000000002"}}
			c := pagination.NewConnection(rows, page, noCount(t))
			return result{len(c.Nodes), len(c.Edges), c.PageInfo, c.Nodes[0].ID, c.Edges[0].Cursor}
		}, "ipt_00000000000000000000000000000001"},
		{"Integration", func() result {
			rows := []*domain.Integration{{ID: "int_00000000000000000000000000000001"}, {ID: "int_00000000000000000000000000000002"}}
			c := pagination.NewConnection(rows, page, noCount(t))
			return result{len(c.Nodes), len(c.Edges), c.PageInfo, c.Nodes[0].ID, c.Edges[0].Cursor}
		}, "int_00000000000000000000000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.build()
			if r.nodes != 1 || r.edges != 1 {
				t.Fatalf("%d nodes, %d edges; want 1 of each", r.nodes, r.edges)
			}
			if r.firstID != tt.id || r.firstCursor != pagination.Cursor(tt.id) {
				t.Errorf("first node %s with cursor %s, want %s", r.firstID, r.firstCursor, tt.id)
			}
			if !r.info.HasNextPage || !r.info.HasPreviousPage {
				t.Errorf("PageInfo = %+v, want next and previous pages", r.info)
			}
			if *r.info.StartCursor != pagination.Cursor(tt.id) || *r.info.EndCursor != pagination.Cursor(tt.id) {
				t.Errorf("start/end cursors %s/%s, want both %s", *r.info.StartCursor, *r.info.EndCursor, pagination.Cursor(tt.id))
			}
		})
	}
}

func TestTotalCount(t *testing.T) {
	t.Run("Lazy", func(t *testing.T) {
		calls := 0
		count := func(ctx context.Context) (int, error) {
			calls++
			return 1234, nil
		}
		c := pagination.NewConnection([]*domain.Account{{ID: domain.NewID(domain.KindAccount)}}, pagination.Page{First: 10}, count)
		if calls != 0 {
			t.Fatalf("count called %d times while building the connection, want 0", calls)
		}
		_ = c.PageInfo
		_ = c.Edges
		if calls != 0 {
			t.Fatalf("count called %d times before TotalCount, want 0", calls)
		}
		n, err := c.TotalCount(context.Background())
		if err != nil || n != 1234 {
			t.Fatalf("TotalCount = %d, %v; want 1234, nil", n, err)
		}
		if calls != 1 {
			t.Fatalf("count called %d times by one TotalCount, want 1", calls)
		}
	})

	t.Run("PassesContext", func(t *testing.T) {
		type key struct{}
		ctx := context.WithValue(context.Background(), key{}, "marker")
		var seen any
		count := func(ctx context.Context) (int, error) { seen = ctx.Value(key{}); return 0, nil }
		c := pagination.NewConnection[*domain.Account](nil, pagination.Page{First: 10}, count)
		if _, err := c.TotalCount(ctx); err != nil {
			t.Fatal(err)
		}
		if seen != "marker" {
			t.Errorf("count got a context without the caller's value")
		}
	})

	t.Run("Error", func(t *testing.T) {
		boom := errors.New("boom")
		count := func(context.Context) (int, error) { return 0, boom }
		c := pagination.NewConnection[*domain.Account](nil, pagination.Page{First: 10}, count)
		if _, err := c.TotalCount(context.Background()); !errors.Is(err, boom) {
			t.Errorf("TotalCount error = %v, want %v", err, boom)
		}
	})
}
