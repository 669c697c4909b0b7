package policy

import (
	"context"
	"testing"

	"github.com/pointguard/pointguard/domain"
)

var (
	platform = &Principal{TokenID: "tok_1", Role: domain.RolePlatformAdmin}
	orgAdmin = &Principal{TokenID: "tok_2", Role: domain.RoleOrgAdmin, OrganizationID: "org_a"}
	orgView  = &Principal{TokenID: "tok_3", Role: domain.RoleOrgViewer, OrganizationID: "org_a"}
	accAdmin = &Principal{TokenID: "tok_4", Role: domain.RoleAccountAdmin, OrganizationID: "org_a", AccountID: "acc_1"}
	accView  = &Principal{TokenID: "tok_5", Role: domain.RoleAccountViewer, OrganizationID: "org_a", AccountID: "acc_1"}
)

func TestScopeFailsClosed(t *testing.T) {
	var none *Principal
	for _, p := range []*Principal{none, {Role: "NOT_A_ROLE", OrganizationID: "org_a"}, {}} {
		if s := p.Scope(); s != (Scope{}) {
			t.Errorf("%+v has scope %+v, want the zero scope", p, s)
		}
		if p.Sees("org_a", "") || p.Sees("", "") {
			t.Errorf("%+v sees something", p)
		}
		if d := p.ManageOrganization("org_a"); d != Hidden {
			t.Errorf("%+v may manage: %v", p, d)
		}
		if p.CreateOrganization() == Allowed || p.ListAllOrganizations() {
			t.Errorf("%+v may create or list organizations", p)
		}
	}
	if From(context.Background()) != nil {
		t.Error("a context without a principal has one")
	}
	if From(With(context.Background(), orgView)) != orgView {
		t.Error("With/From lose the principal")
	}
}

func TestScope(t *testing.T) {
	for p, want := range map[*Principal]Scope{
		platform: {All: true},
		orgAdmin: {OrganizationID: "org_a"},
		orgView:  {OrganizationID: "org_a"},
		accAdmin: {OrganizationID: "org_a", AccountID: "acc_1"},
		accView:  {OrganizationID: "org_a", AccountID: "acc_1"},
	} {
		if got := p.Scope(); got != want {
			t.Errorf("%s: scope %+v, want %+v", p.Role, got, want)
		}
	}
}

func TestSees(t *testing.T) {
	for _, c := range []struct {
		p            *Principal
		org, account string
		want         bool
	}{
		{platform, "org_b", "acc_9", true},
		{orgView, "org_a", "", true},
		{orgView, "org_a", "acc_2", true},
		{orgView, "org_b", "", false},
		{accView, "org_a", "", true}, // its organization's own objects (the organization, its points)
		{accView, "org_a", "acc_1", true},
		{accView, "org_a", "acc_2", false},
		{accView, "org_b", "acc_1", false},
	} {
		if got := c.p.Sees(c.org, c.account); got != c.want {
			t.Errorf("%s sees (%s, %s) = %v, want %v", c.p.Role, c.org, c.account, got, c.want)
		}
	}
}

func TestSeesPoint(t *testing.T) {
	prodOnly := &domain.IntegrationPoint{OrganizationID: "org_a",
		AccountSelector: domain.AccountSelector{Environments: []domain.Environment{domain.EnvironmentProd}}}
	prod := &domain.Account{ID: "acc_1", OrganizationID: "org_a", Environment: domain.EnvironmentProd}
	test := &domain.Account{ID: "acc_1", OrganizationID: "org_a", Environment: domain.EnvironmentTest}
	if !accView.SeesPoint(prodOnly, prod) || accView.SeesPoint(prodOnly, test) {
		t.Error("an account token sees the points that select its account, and only those")
	}
	if accView.SeesPoint(prodOnly, &domain.Account{ID: "acc_2", OrganizationID: "org_a", Environment: domain.EnvironmentProd}) {
		t.Error("an account token judged by another account")
	}
	if !orgView.SeesPoint(prodOnly, nil) || orgAdmin.SeesPoint(&domain.IntegrationPoint{OrganizationID: "org_b"}, nil) {
		t.Error("organization tokens see their organization's points, and only those")
	}
}

// TestDecisions is the role matrix of the writes, decided without a database.
func TestDecisions(t *testing.T) {
	const A, F, H = Allowed, Forbidden, Hidden
	principals := []*Principal{platform, orgAdmin, orgView, accAdmin, accView}
	for _, c := range []struct {
		name string
		want [5]Decision
		ask  func(*Principal) Decision
	}{
		{"create organization", [5]Decision{A, F, F, F, F}, (*Principal).CreateOrganization},
		{"manage own organization", [5]Decision{A, A, F, F, F}, func(p *Principal) Decision { return p.ManageOrganization("org_a") }},
		{"manage another organization", [5]Decision{A, H, H, H, H}, func(p *Principal) Decision { return p.ManageOrganization("org_b") }},
		{"manage own account's integrations", [5]Decision{A, A, F, A, F}, func(p *Principal) Decision { return p.ManageIntegrations("org_a", "acc_1") }},
		{"manage another account's integrations", [5]Decision{A, A, F, H, H}, func(p *Principal) Decision { return p.ManageIntegrations("org_a", "acc_2") }},
		{"read the audit log", [5]Decision{A, A, A, F, F}, func(p *Principal) Decision { return p.ReadAuditLog("org_a") }},
		{"read organization tokens", [5]Decision{A, A, F, F, F}, func(p *Principal) Decision { return p.ReadApiTokens("org_a", "") }},
		{"read account tokens", [5]Decision{A, A, F, A, F}, func(p *Principal) Decision { return p.ReadApiTokens("org_a", "acc_1") }},
		{"mint PLATFORM_ADMIN", [5]Decision{A, F, F, F, F}, func(p *Principal) Decision { return p.ManageApiToken(domain.RolePlatformAdmin, "", "") }},
		{"mint ORG_ADMIN", [5]Decision{A, A, F, F, F}, func(p *Principal) Decision { return p.ManageApiToken(domain.RoleOrgAdmin, "org_a", "") }},
		{"mint ORG_VIEWER elsewhere", [5]Decision{A, H, H, H, H}, func(p *Principal) Decision { return p.ManageApiToken(domain.RoleOrgViewer, "org_b", "") }},
		{"mint ACCOUNT_ADMIN", [5]Decision{A, A, F, A, F}, func(p *Principal) Decision { return p.ManageApiToken(domain.RoleAccountAdmin, "org_a", "acc_1") }},
		{"mint ACCOUNT_VIEWER of another account", [5]Decision{A, A, F, H, H}, func(p *Principal) Decision {
			return p.ManageApiToken(domain.RoleAccountViewer, "org_a", "acc_2")
		}},
		{"mint an unknown role", [5]Decision{F, F, F, F, F}, func(p *Principal) Decision { return p.ManageApiToken("ROOT", "org_a", "") }},
	} {
		for i, p := range principals {
			if got := c.ask(p); got != c.want[i] {
				t.Errorf("%s by %s: %v, want %v", c.name, p.Role, got, c.want[i])
			}
		}
	}
}

// TestNoRoleAboveOwn: whatever a principal may mint, it is not above its own role.
func TestNoRoleAboveOwn(t *testing.T) {
	rank := map[domain.Role]int{}
	for i, r := range domain.Roles {
		rank[r] = len(domain.Roles) - i
	}
	for _, p := range []*Principal{platform, orgAdmin, orgView, accAdmin, accView} {
		for _, r := range domain.Roles {
			for _, owner := range [][2]string{{"", ""}, {"org_a", ""}, {"org_a", "acc_1"}, {"org_b", "acc_9"}} {
				if p.ManageApiToken(r, owner[0], owner[1]) == Allowed && rank[r] > rank[p.Role] {
					t.Errorf("%s may mint %s for %v", p.Role, r, owner)
				}
			}
		}
	}
}

func TestOwner(t *testing.T) {
	for _, c := range []struct {
		role         domain.Role
		org, account string
		ok           bool
	}{
		{domain.RolePlatformAdmin, "", "", true},
		{domain.RolePlatformAdmin, "org_a", "", false},
		{domain.RoleOrgViewer, "org_a", "", true},
		{domain.RoleOrgViewer, "", "", false},
		{domain.RoleOrgAdmin, "org_a", "acc_1", false},
		{domain.RoleAccountAdmin, "", "acc_1", true},
		{domain.RoleAccountAdmin, "org_a", "", false},
		{domain.RoleAccountViewer, "org_a", "acc_1", false},
	} {
		if msg := Owner(c.role, c.org, c.account); (msg == "") != c.ok {
			t.Errorf("Owner(%s, %q, %q) = %q", c.role, c.org, c.account, msg)
		}
	}
}

func TestMayRunAnyDocument(t *testing.T) {
	want := map[domain.Role]bool{domain.RolePlatformAdmin: true, domain.RoleOrgAdmin: true}
	for _, role := range append(domain.Roles, "", "NOT_A_ROLE") {
		if got := MayRunAnyDocument(role); got != want[role] {
			t.Errorf("MayRunAnyDocument(%q) = %v, want %v", role, got, want[role])
		}
	}
}
