package service

import (
	"time"

	"github.com/pointguard/pointguard/domain"
)

// eventFor is the webhook event of a change the audit log records, or nil
// for a change no event describes. Its data is the audit snapshot (secrets
// redacted) of the object after the change, under its kind's name, with
// "previous", the object before, for an update. It is written with the
// audit event, in the change's transaction (audit).
func eventFor(action string, kind domain.Kind, organizationID, id string, before, after any, at time.Time) *domain.Event {
	var typ, name, account string
	switch kind {
	case domain.KindIntegration:
		name = "integration"
		switch {
		case before == nil:
			typ = domain.EventIntegrationCreated
		case after == nil:
			typ = domain.EventIntegrationDeleted
		default:
			typ = domain.EventIntegrationUpdated
		}
		for _, x := range []any{after, before} {
			if i, ok := x.(*domain.Integration); ok && i != nil {
				account = i.AccountID
				break
			}
		}
	case domain.KindAccount:
		if action != "updateAccount" || before == nil || after == nil {
			return nil
		}
		typ, name, account = domain.EventAccountUpdated, "account", id
	case domain.KindIntegrationPoint:
		a, _ := after.(*domain.IntegrationPoint)
		if a == nil {
			return nil
		}
		if b, _ := before.(*domain.IntegrationPoint); b != nil && b.Version == a.Version {
			return nil
		}
		typ, name = domain.EventPointVersionCreated, "integrationPoint"
	default:
		return nil
	}
	object := snapshot(after)
	if object == nil {
		object = snapshot(before)
	}
	object["id"] = id
	data := map[string]any{name: object}
	if before != nil && after != nil && typ != domain.EventPointVersionCreated {
		data["previous"] = snapshot(before)
	}
	return &domain.Event{
		ID: domain.NewID(domain.KindEvent), OrganizationID: organizationID, AccountID: account,
		SubjectID: id, Type: typ, OccurredAt: at, Data: data,
	}
}
