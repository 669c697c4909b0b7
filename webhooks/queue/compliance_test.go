package queue_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/testdb"
	"github.com/pointguard/pointguard/webhooks"
	"github.com/pointguard/pointguard/webhooks/queue"
)

// TestComplianceChangedEvents: a rule change that makes 3 of 5
// integrations NON_COMPLIANT on a point that suspends sends exactly those
// 3 integration.compliance_changed events (before, after, the cause) and
// 3 integration.status_changed ones, signed, after the point's
// version_created; a preview of the change sends nothing; fixing one
// integration sends its compliance_changed (caused by updateIntegration)
// and its resumption. Batches of 2 deliveries: the rule change's 7 go
// through 4 batch jobs (queue.Config.Batch), the fix's 2 straight.
func TestComplianceChangedEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, databaseURL string) {
		e, _ := setup(t, databaseURL, queue.Config{Batch: 2})
		secret := webhooks.NewSecret()
		r, srv := newReceiver(t, secret)
		point, err := e.svc.CreateIntegrationPoint(e.sys, service.CreateIntegrationPointInput{OrganizationID: e.org.ID, Slug: "alerts", Name: "Alerts",
			Category: domain.CategoryNotifications, AllowedProviders: domain.AllowedProviders{Test: []string{"mock_notifications"}},
			OnViolation: ptr(domain.OnViolationSuspend)})
		must(t, err)
		var off []string // the integrations the rule will refuse
		for n := range 5 {
			channel := fmt.Sprintf("#ops-%d", n)
			if n%2 == 0 {
				channel = fmt.Sprintf("#alerts-%d", n)
			}
			in, verdict, err := e.svc.CreateIntegration(e.sys, service.CreateIntegrationInput{AccountID: e.account.ID, IntegrationPointID: point.ID,
				Provider: "mock_notifications", Name: fmt.Sprintf("Alerts %d", n),
				Config: map[string]any{"channel": channel, "webhook_url": "https://hooks.slack.invalid/T0/SECRET"}})
			must(t, err)
			if in == nil {
				t.Fatalf("integration refused: %v", verdict.Violations)
			}
			if n%2 == 0 {
				off = append(off, in.ID)
			}
		}
		e.endpoint(t, srv.URL+"/hook", secret, domain.EventIntegrationComplianceChanged, domain.EventIntegrationStatusChanged,
			domain.EventPointVersionCreated)

		change := service.UpdateIntegrationPointInput{ID: point.ID, Rules: graphql.OmittableOf([]domain.Rule{{Name: "ops-channels",
			Expression: `integration.config.channel.startsWith('#ops')`, Message: "alerts go to #ops channels", Enforcement: domain.EnforcementDeny}})}
		preview, err := e.svc.PreviewIntegrationPointUpdate(e.sys, change)
		must(t, err)
		if preview.ToNonCompliant != 3 || preview.ToSuspended != 3 {
			t.Fatalf("preview: %d to NON_COMPLIANT, %d suspended", preview.ToNonCompliant, preview.ToSuspended)
		}
		_, err = e.svc.UpdateIntegrationPoint(e.sys, change)
		must(t, err)

		r.waitFor(t, 7)
		time.Sleep(200 * time.Millisecond) // anything more (the preview's) would have come by now
		got := r.ordered()
		if len(got) != 7 || got[0].Type != domain.EventPointVersionCreated {
			t.Fatalf("got %d events, first %v: %+v", len(got), got[0].Type, got)
		}
		var changed, suspended []string
		for _, b := range got[1:] {
			switch b.Type {
			case domain.EventIntegrationComplianceChanged:
				changed = append(changed, subjectOf(t, b))
				before, after, why := b.Data["before"].(map[string]any), b.Data["after"].(map[string]any), b.Data["cause"].(map[string]any)
				if before["status"] != "COMPLIANT" || after["status"] != "NON_COMPLIANT" || len(after["violations"].([]any)) != 1 ||
					before["pointVersion"] != 1.0 || after["pointVersion"] != 2.0 {
					t.Errorf("before %v, after %v", before, after)
				}
				if why["mutation"] != "updateIntegrationPoint" || why["integrationPointId"] != point.ID || why["integrationPointVersion"] != 2.0 {
					t.Errorf("cause %v", why)
				}
				if b.AccountID == nil || *b.AccountID != e.account.ID {
					t.Errorf("accountId %v", b.AccountID)
				}
			case domain.EventIntegrationStatusChanged:
				suspended = append(suspended, subjectOf(t, b))
				if i := b.Data["integration"].(map[string]any); i["status"] != "SUSPENDED" {
					t.Errorf("status_changed to %v", i["status"])
				}
			default:
				t.Errorf("unexpected %s", b.Type)
			}
		}
		slices.Sort(changed)
		slices.Sort(suspended)
		slices.Sort(off)
		if !slices.Equal(changed, off) || !slices.Equal(suspended, off) {
			t.Fatalf("compliance_changed for %v, status_changed for %v; want %v", changed, suspended, off)
		}

		channel := "#ops-fixed"
		_, _, err = e.svc.UpdateIntegration(e.sys, service.UpdateIntegrationInput{ID: off[0],
			Config: graphql.OmittableOf[any](map[string]any{"channel": channel, "webhook_url": "https://hooks.slack.invalid/T0/SECRET"})})
		must(t, err)
		got = r.waitFor(t, 9)
		if len(got) != 9 {
			t.Fatalf("got %d events after the fix", len(got))
		}
		fixed, resumed := got[7], got[8]
		if fixed.Type != domain.EventIntegrationComplianceChanged || subjectOf(t, fixed) != off[0] ||
			fixed.Data["after"].(map[string]any)["status"] != "COMPLIANT" || fixed.Data["cause"].(map[string]any)["mutation"] != "updateIntegration" {
			t.Errorf("after the fix: %+v", fixed)
		}
		if resumed.Type != domain.EventIntegrationStatusChanged || resumed.Data["integration"].(map[string]any)["status"] != "ACTIVE" {
			t.Errorf("resumption: %+v", resumed)
		}
		if r.forged != 0 {
			t.Errorf("%d deliveries failed verification", r.forged)
		}
	})
}

// subjectOf is the ID of the integration an event is about.
func subjectOf(t *testing.T, b queue.Body) string {
	t.Helper()
	i, _ := b.Data["integration"].(map[string]any)
	id, _ := i["id"].(string)
	if id == "" {
		t.Fatalf("%s without data.integration.id: %v", b.Type, b.Data)
	}
	return id
}
