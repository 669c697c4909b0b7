package service

import (
	"context"
	"reflect"

	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/requestid"
	"github.com/pointguard/pointguard/store"
)

// typeNames are the GraphQL type names audit events give their targets.
var typeNames = map[domain.Kind]string{
	domain.KindOrganization:     "Organization",
	domain.KindAccount:          "Account",
	domain.KindIntegrationPoint: "IntegrationPoint",
	domain.KindIntegration:      "Integration",
	domain.KindApiToken:         "ApiToken",
}

// audit appends the event of a change to the log, in the change's
// transaction, so that the two commit or roll back together. before and
// after are the target as it was and is (nil when it did not or no longer
// exists); a change that changes nothing is not recorded.
func (s *Service) audit(ctx context.Context, tx *store.Tx, p *policy.Principal, action, organizationID string,
	kind domain.Kind, id string, before, after any) error {
	var l changeLog
	s.note(ctx, &l, p, action, organizationID, kind, id, before, after)
	return l.write(ctx, tx)
}

// changeLog gathers the audit events and webhook events of many changes,
// to write them in bulk: a re-check may suspend 50,000 integrations.
type changeLog struct {
	audit  []*domain.AuditEvent
	events []domain.Event
}

// write appends what l gathered, in the order it was noted.
func (l *changeLog) write(ctx context.Context, tx *store.Tx) error {
	if err := tx.AppendAuditEvents(ctx, l.audit); err != nil {
		return err
	}
	return tx.AppendEvents(ctx, l.events)
}

// note adds the audit event of a change to l, and its webhook event if
// there is one (see audit).
func (s *Service) note(ctx context.Context, l *changeLog, p *policy.Principal, action, organizationID string,
	kind domain.Kind, id string, before, after any) {
	if before != nil && after != nil && unchanged(before, after) {
		return
	}
	b, a := snapshot(before), snapshot(after)
	changes := map[string]any{"before": b, "after": a}
	// Redacted, a new secret looks like the old one: say which changed.
	if bi, ok := before.(*domain.Integration); ok && bi != nil {
		if ai, ok := after.(*domain.Integration); ok && ai != nil {
			if changed := configsecrets.Changed(bi.Config, ai.Config); len(changed) > 0 {
				changes["secretsChanged"] = changed
			}
		}
	}
	if changed := changedSecretDefaults(before, after); len(changed) > 0 {
		changes["secretsChanged"] = changed
	}
	e := &domain.AuditEvent{
		ID: domain.NewID(domain.KindAuditEvent), OrganizationID: organizationID, At: s.Now(),
		Actor:  domain.AuditActor{Name: p.Name, Role: p.Role},
		Action: action, Target: domain.AuditTarget{ID: id, Type: typeNames[kind]},
		Changes: changes, RequestID: requestid.From(ctx),
	}
	if p.TokenID != "" {
		e.Actor.TokenID = &p.TokenID
	}
	l.audit = append(l.audit, e)
	// The webhook event of the change, if there is one (service/events.go).
	if ev := eventFor(action, kind, organizationID, id, before, after, e.At); ev != nil {
		l.events = append(l.events, *ev)
	}
}

// unchanged is true when an update would change nothing but updatedAt:
// then it writes nothing, and records nothing. Secrets count, though the
// snapshots redact them.
func unchanged(before, after any) bool {
	if !reflect.DeepEqual(withoutUpdatedAt(snapshot(before)), withoutUpdatedAt(snapshot(after))) {
		return false
	}
	if len(changedSecretDefaults(before, after)) > 0 {
		return false
	}
	bi, isIntegration := before.(*domain.Integration)
	ai, _ := after.(*domain.Integration)
	return !isIntegration || bi == nil || ai == nil || len(configsecrets.Changed(bi.Config, ai.Config)) == 0
}

func withoutUpdatedAt(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "updatedAt" {
			out[k] = v
		}
	}
	return out
}

// redacted stands in for a secret's value in the audit log.
const redacted = "[REDACTED]"

// snapshot is an object as the audit log keeps it: the fields the API
// shows, by their GraphQL names, with secrets redacted. nil stays nil.
func snapshot(x any) map[string]any {
	switch v := x.(type) {
	case *domain.Organization:
		if v == nil {
			return nil
		}
		return map[string]any{"slug": v.Slug, "name": v.Name, "updatedAt": v.UpdatedAt}
	case *domain.Account:
		if v == nil {
			return nil
		}
		return map[string]any{"organizationId": v.OrganizationID, "slug": v.Slug, "name": v.Name,
			"environment": v.Environment, "labels": v.Labels, "updatedAt": v.UpdatedAt}
	case *domain.IntegrationPoint:
		if v == nil {
			return nil
		}
		return map[string]any{"organizationId": v.OrganizationID, "slug": v.Slug, "name": v.Name,
			"description": v.Description, "category": v.Category, "version": v.Version,
			"allowedProviders": v.AllowedProviders, "requiredConfig": v.RequiredConfig,
			"maxIntegrationsPerAccount": v.MaxIntegrationsPerAccount, "rules": v.Rules,
			"configDefaults": domain.OrEmpty(v.ConfigDefaults), "secretDefaults": redactDefaults(v.SecretDefaults),
			"accountSelector": v.AccountSelector, "onViolation": orKeep(v.OnViolation), "updatedAt": v.UpdatedAt}
	case *domain.Integration:
		if v == nil {
			return nil
		}
		config := configsecrets.Redact(v.Config, redacted)
		return map[string]any{"accountId": v.AccountID, "integrationPointId": v.IntegrationPointID,
			"provider": v.ProviderKey, "name": v.Name, "config": config,
			"complianceStatus": v.Compliance.Status, "status": orActive(v.Status), "statusReason": v.StatusReason,
			"updatedAt": v.UpdatedAt}
	case *domain.ApiToken:
		if v == nil {
			return nil
		}
		return map[string]any{"name": v.Name, "role": v.Role, "organizationId": orNil(v.OrganizationID),
			"accountId": orNil(v.AccountID), "prefix": v.Prefix, "expiresAt": v.ExpiresAt, "revokedAt": v.RevokedAt}
	}
	return nil
}

// orNil is s, or nil (JSON null) for "".
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
