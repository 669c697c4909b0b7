package policy

import "testing"

// TestManageWebhooks: organization endpoints are for the organization's
// admins; an account's also for that account's admins; viewers manage
// none, and another tenant's are hidden.
func TestManageWebhooks(t *testing.T) {
	for _, c := range []struct {
		p       *Principal
		org, ac string
		want    Decision
	}{
		{platform, "org_a", "", Allowed},
		{orgAdmin, "org_a", "", Allowed},
		{orgAdmin, "org_a", "acc_1", Allowed},
		{orgAdmin, "org_b", "", Hidden},
		{orgView, "org_a", "", Forbidden},
		{accAdmin, "org_a", "acc_1", Allowed},
		{accAdmin, "org_a", "", Forbidden},
		{accAdmin, "org_a", "acc_2", Hidden},
		{accView, "org_a", "acc_1", Forbidden},
	} {
		if got := c.p.ManageWebhooks(c.org, c.ac); got != c.want {
			t.Errorf("%s on %s/%q: %v, want %v", c.p.Role, c.org, c.ac, got, c.want)
		}
	}
}
