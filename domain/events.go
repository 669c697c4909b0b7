package domain

import "time"

// Kinds of the webhook objects' IDs.
const (
	KindEvent           Kind = "evt"
	KindWebhookEndpoint Kind = "whe"
	KindWebhookDelivery Kind = "whd"
	KindWebhookAttempt  Kind = "wha"
)

// Event types.
const (
	EventIntegrationCreated           = "integration.created"
	EventIntegrationUpdated           = "integration.updated"
	EventIntegrationDeleted           = "integration.deleted"
	EventIntegrationComplianceChanged = "integration.compliance_changed"
	EventIntegrationStatusChanged     = "integration.status_changed"
	EventPointVersionCreated          = "integration_point.version_created"
	EventAccountUpdated               = "account.updated"
)

// EventTypes are every event type, in the order the schema lists them.
var EventTypes = []string{
	EventIntegrationCreated, EventIntegrationUpdated, EventIntegrationDeleted,
	EventIntegrationComplianceChanged, EventIntegrationStatusChanged, EventPointVersionCreated, EventAccountUpdated,
}

// Event is something that happened, written in the transaction of the
// change that caused it and delivered to the webhook endpoints that want
// it. Data never holds a secret.
type Event struct {
	ID             string
	OrganizationID string
	// AccountID is the account the event is about, or "" (a point's).
	AccountID string
	// SubjectID is the object the event is about (an integration, a
	// point, an account).
	SubjectID  string
	Type       string
	OccurredAt time.Time
	// Data is the event's data object: written, any value that encodes
	// as one (a re-check's events are structs, encoded fast); read back
	// from the store, always a map[string]any.
	Data any
	// Seq, set when the event is written, orders events: a later change
	// of one subject has a higher Seq.
	Seq int64
}

// WebhookEndpoint receives the events of an organization, or of one of
// its accounts, that it asks for.
type WebhookEndpoint struct {
	ID             string
	OrganizationID string
	// AccountID, when set, limits it to that account's events.
	AccountID   string
	URL         string
	Description string
	// EventTypes it wants; empty is every type.
	EventTypes     []string
	Enabled        bool
	DisabledReason string
	// FailingSince is when the failures since its last success began.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Wants tells whether the endpoint gets e.
func (w *WebhookEndpoint) Wants(e *Event) bool {
	if !w.Enabled || w.OrganizationID != e.OrganizationID {
		return false
	}
	if w.AccountID != "" && w.AccountID != e.AccountID {
		return false
	}
	if len(w.EventTypes) == 0 {
		return true
	}
	for _, t := range w.EventTypes {
		if t == e.Type {
			return true
		}
	}
	return false
}

// WebhookDeliveryStatus is where a delivery is.
type WebhookDeliveryStatus string

const (
	DeliveryPending   WebhookDeliveryStatus = "PENDING"
	DeliverySucceeded WebhookDeliveryStatus = "SUCCEEDED"
	DeliveryFailed    WebhookDeliveryStatus = "FAILED"
)

// WebhookDelivery is one event sent to one endpoint, with its last attempt.
type WebhookDelivery struct {
	ID             string
	EndpointID     string
	EventID        string
	EventType      string
	Status         WebhookDeliveryStatus
	Attempts       int
	LastHTTPStatus *int
	LastDurationMS *int
	LastResponse   string
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
