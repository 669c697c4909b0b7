package service

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/requestid"
	"github.com/pointguard/pointguard/store"
)

// errNoPrincipal is a wiring bug: every request is authenticated before it
// reaches the service, and internal callers use policy.System.
var errNoPrincipal = errors.New("service: no principal in context")

// principal is the caller; every mutation starts here.
func principal(ctx context.Context) (*policy.Principal, error) {
	p := policy.From(ctx)
	if p == nil {
		return nil, errNoPrincipal
	}
	return p, nil
}

// inTx runs fn in a transaction limited to what pr may read, after
// checking, under a lock that revocation waits for, that pr's token is
// still live: a token revoked while its request runs writes nothing.
func (s *Service) inTx(ctx context.Context, pr *policy.Principal, fn func(tx *store.Tx) error) error {
	return s.store.InTx(ctx, pr.Scope(), func(tx *store.Tx) error {
		if pr.TokenID != "" {
			if err := tx.LockLiveApiToken(ctx, pr.TokenID, s.now()); err != nil {
				if errors.Is(err, domain.ErrNotFound) {
					return &domain.UnauthenticatedError{Message: "the token was revoked or expired"}
				}
				return err
			}
		}
		return fn(tx)
	})
}

// allow turns a policy decision into what the API answers: nothing when
// allowed, NOT_FOUND when the caller may not know the target exists (so an
// object of another tenant looks like no object), FORBIDDEN when it sees
// the target but its role may not do what it asked.
func allow(p *policy.Principal, d policy.Decision, what string, kind domain.Kind, id string, field ...string) error {
	switch d {
	case policy.Allowed:
		return nil
	case policy.Hidden:
		return notFound(domain.ErrNotFound, kind, id, field...)
	default:
		return domain.NewUserError(domain.CodeForbidden, fmt.Sprintf("A %s token may not %s", p.Role, what), field...)
	}
}

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
	if before != nil && after != nil && unchanged(before, after) {
		return nil
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
	e := &domain.AuditEvent{
		ID: domain.NewID(domain.KindAuditEvent), OrganizationID: organizationID, At: s.now(),
		Actor:  domain.AuditActor{Name: p.Name, Role: p.Role},
		Action: action, Target: domain.AuditTarget{ID: id, Type: typeNames[kind]},
		Changes: changes, RequestID: requestid.From(ctx),
	}
	if p.TokenID != "" {
		e.Actor.TokenID = &p.TokenID
	}
	return tx.AppendAuditEvent(ctx, e)
}

// unchanged is true when an update would change nothing but updatedAt:
// then it writes nothing, and records nothing. Secrets count, though the
// snapshots redact them.
func unchanged(before, after any) bool {
	if !reflect.DeepEqual(withoutUpdatedAt(snapshot(before)), withoutUpdatedAt(snapshot(after))) {
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
			"accountSelector": v.AccountSelector, "updatedAt": v.UpdatedAt}
	case *domain.Integration:
		if v == nil {
			return nil
		}
		config := configsecrets.Redact(v.Config, redacted)
		return map[string]any{"accountId": v.AccountID, "integrationPointId": v.IntegrationPointID,
			"provider": v.ProviderKey, "name": v.Name, "config": config,
			"complianceStatus": v.Compliance.Status, "updatedAt": v.UpdatedAt}
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
