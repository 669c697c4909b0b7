package api

import (
	"testing"

	"github.com/pointguard/pointguard/testdb"
)

// TestDemoContents: the demo organization shows what the README says it
// holds: two accounts, TEST before PROD, four integrations, one of them
// drifted out of its point's rules.
func TestDemoContents(t *testing.T) {
	t.Parallel()
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
}
