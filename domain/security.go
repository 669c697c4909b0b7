package domain

import "time"

// ApiToken is a credential's record: never its secret, which is shown
// once at creation and kept only as a hash.
type ApiToken struct {
	ID   string
	Name string
	Role Role
	// OrganizationID is set for organization and account roles;
	// AccountID for account roles only.
	OrganizationID string
	AccountID      string
	// Prefix is the token's first characters: enough to recognise it in a
	// list or a log, far too few to use it.
	Prefix     string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (t *ApiToken) GetID() string { return t.ID }

// Active is true when the token may authenticate at now.
func (t *ApiToken) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// AuditEvent records one change: who made it, to what, and how it looked
// before and after (secrets redacted). Events are only ever appended.
type AuditEvent struct {
	ID             string
	OrganizationID string
	At             time.Time
	Actor          AuditActor
	Action         string
	Target         AuditTarget
	// Changes is {"before": …, "after": …}; a side is null when the
	// object did not exist.
	Changes   map[string]any
	RequestID string
}

func (e *AuditEvent) GetID() string { return e.ID }

// AuditActor is the token a change was made with; TokenID is empty for
// Pointguard itself (the demo loader, the bootstrap).
type AuditActor struct {
	TokenID *string
	Name    string
	Role    Role
}

// AuditTarget is the object a change was made to; Type is its GraphQL type name.
type AuditTarget struct {
	ID   string
	Type string
}

// AuditEventFilter narrows Organization.auditEvents; zero fields match all.
type AuditEventFilter struct {
	Action   string
	TargetID string
	Since    time.Time
}
