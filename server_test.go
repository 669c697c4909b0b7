package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/pointguard/pointguard/demo"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/testdb"
)

func hasDemo(t *testing.T, st *store.Store) bool {
	t.Helper()
	_, err := st.Read(policy.System.Scope()).FindOrganizationBySlug(context.Background(), demo.OrganizationSlug)
	return err == nil
}

// TestDemoData: a new embedded database gets the demo organization, once;
// PostgreSQL gets it only with -demo.
func TestDemoData(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()

	t.Run("NewEmbeddedDatabase", func(t *testing.T) {
		t.Chdir(t.TempDir())
		for i := 0; i < 2; i++ { // the second start finds the demo and adds nothing
			st, _, err := open(ctx, config{}, log)
			if err != nil {
				t.Fatal(err)
			}
			if !hasDemo(t, st) {
				t.Fatal("no demo organization in a new embedded database")
			}
			n, err := st.Read(policy.System.Scope()).CountOrganizations(ctx)
			st.Close()
			if err != nil || n != 1 {
				t.Fatalf("start %d: %d organizations (%v), want 1", i+1, n, err)
			}
		}
	})

	t.Run("PostgresOnlyWithFlag", func(t *testing.T) {
		databaseURL := testdb.Postgres(t)
		cfg, err := parseConfig(nil, func(k string) string {
			return map[string]string{"DATABASE_URL": databaseURL}[k]
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		st, _, err := open(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		if hasDemo(t, st) {
			t.Error("demo data loaded into PostgreSQL unasked")
		}
		st.Close()
		cfg, _ = parseConfig([]string{"-demo"}, func(k string) string {
			return map[string]string{"DATABASE_URL": databaseURL}[k]
		}, io.Discard)
		st, _, err = open(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if !hasDemo(t, st) {
			t.Error("-demo did not load the demo organization")
		}
	})

	t.Run("Contents", func(t *testing.T) {
		a := newApp(t, testdb.SQLite(t)).withDemo()
		r := a.do(`{ organization(slug: "acme") {
			accounts { nodes { slug environment } }
			integrationPoints { nodes { slug version } }
			integrations { totalCount }
			nonCompliant: integrations(filter: { complianceStatus: NON_COMPLIANT }) { nodes { provider { key } compliance { violations { code } } } } } }`, nil)
		if r.num(t, "organization.integrations.totalCount") != 4 ||
			len(r.list(t, "organization.nonCompliant.nodes")) != 1 ||
			r.str(t, "organization.nonCompliant.nodes.0.provider.key") != "zendesk" ||
			r.str(t, "organization.nonCompliant.nodes.0.compliance.violations.0.code") != "PROVIDER_NOT_ALLOWED" ||
			r.str(t, "organization.accounts.nodes.0.environment") != "TEST" || r.str(t, "organization.accounts.nodes.1.environment") != "PROD" {
			t.Errorf("demo organization: %s", r.Raw)
		}
	})
}
