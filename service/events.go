package service

import (
	"encoding/json"
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
		case lifecycleActions[action]:
			typ = domain.EventIntegrationStatusChanged
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

// lifecycleActions change an integration's lifecycle status only: their
// event is integration.status_changed.
var lifecycleActions = map[string]bool{actionDisable: true, actionEnable: true, actionSuspend: true, actionResume: true}

// cause says what made an integration's compliance change, in its
// integration.compliance_changed event: the mutation, and the point
// version or account it changed.
type cause map[string]any

// encoded is why as JSON, encoded once for every event of a re-check.
func (why cause) encoded() json.RawMessage {
	b, err := json.Marshal(why)
	if err != nil { // a cause holds strings and numbers only
		panic(err)
	}
	return b
}

// complianceChange is the data of an integration.compliance_changed
// event. It is small (the integration's names, not its config), and a
// struct, not a map, since a re-check may encode 50,000 of them in one
// transaction: its fields are in the order encoding a map would give.
type complianceChange struct {
	After       complianceResult   `json:"after"`
	Before      complianceResult   `json:"before"`
	Cause       json.RawMessage    `json:"cause"`
	Integration changedIntegration `json:"integration"`
}

type complianceResult struct {
	PointVersion int                     `json:"pointVersion"`
	Status       domain.ComplianceStatus `json:"status"`
	Violations   []domain.Violation      `json:"violations"`
}

type changedIntegration struct {
	AccountID          string `json:"accountId"`
	ID                 string `json:"id"`
	IntegrationPointID string `json:"integrationPointId"`
	Name               string `json:"name"`
	Provider           string `json:"provider"`
}

// complianceChanged is the event of i's compliance changing from before
// to i.Compliance, caused by why (cause.encoded).
func complianceChanged(i *domain.Integration, before domain.Compliance, why json.RawMessage, at time.Time) domain.Event {
	result := func(c domain.Compliance) complianceResult {
		return complianceResult{Status: c.Status, Violations: domain.OrEmpty(c.Violations), PointVersion: c.PointVersion}
	}
	return domain.Event{
		ID: domain.NewID(domain.KindEvent), OrganizationID: i.OrganizationID, AccountID: i.AccountID,
		SubjectID: i.ID, Type: domain.EventIntegrationComplianceChanged, OccurredAt: at,
		Data: complianceChange{
			Integration: changedIntegration{ID: i.ID, Name: i.Name, AccountID: i.AccountID,
				IntegrationPointID: i.IntegrationPointID, Provider: i.ProviderKey},
			Before: result(before), After: result(i.Compliance), Cause: why,
		},
	}
}
