package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
)

const auditEventColumns = "id, organization_id, at, actor_token_id, actor_name, actor_role, action, target_id, target_type, changes, request_id"

type auditEventRow struct {
	ID             string         `db:"id"`
	OrganizationID sql.NullString `db:"organization_id"`
	At             time.Time      `db:"at"`
	ActorTokenID   sql.NullString `db:"actor_token_id"`
	ActorName      string         `db:"actor_name"`
	ActorRole      string         `db:"actor_role"`
	Action         string         `db:"action"`
	TargetID       string         `db:"target_id"`
	TargetType     string         `db:"target_type"`
	Changes        string         `db:"changes"`
	RequestID      string         `db:"request_id"`
}

func (r *auditEventRow) domain() (*domain.AuditEvent, error) {
	e := &domain.AuditEvent{
		ID: r.ID, OrganizationID: r.OrganizationID.String, At: r.At.UTC(),
		Actor:  domain.AuditActor{Name: r.ActorName, Role: domain.Role(r.ActorRole)},
		Action: r.Action, Target: domain.AuditTarget{ID: r.TargetID, Type: r.TargetType}, RequestID: r.RequestID,
	}
	if r.ActorTokenID.Valid {
		e.Actor.TokenID = &r.ActorTokenID.String
	}
	if err := fromJSON(r.Changes, &e.Changes); err != nil {
		return nil, err
	}
	return e, nil
}

// AppendAuditEvents writes events in multi-row statements: a re-check
// may suspend thousands of integrations at once. There is no way to
// change or delete one: the database refuses both (see migration 0004).
func (tx *Tx) AppendAuditEvents(ctx context.Context, events []*domain.AuditEvent) error {
	return tx.insertRows(ctx, "audit_events", strings.Split(auditEventColumns, ", "), len(events), func(n int) ([]any, error) {
		e := events[n]
		changes, err := toJSON(e.Changes)
		if err != nil {
			return nil, err
		}
		var tokenID sql.NullString
		if e.Actor.TokenID != nil {
			tokenID = nullString(*e.Actor.TokenID)
		}
		return []any{e.ID, nullString(e.OrganizationID), e.At, tokenID, e.Actor.Name, string(e.Actor.Role), e.Action,
			e.Target.ID, e.Target.Type, changes, e.RequestID}, nil
	})
}

func (q *queries) auditWhere(f domain.AuditEventFilter) where {
	w := q.scoped(where{}, "organization_id", "")
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.TargetID != "" {
		w.add("target_id = ?", f.TargetID)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since.UTC())
	}
	return w
}

// FindAuditEventPages returns, for each organization, its page of events
// matching the filter, newest first, in one statement.
func (q *queries) FindAuditEventPages(ctx context.Context, organizationIDs []string, f domain.AuditEventFilter, page pagination.Page) ([]*domain.AuditEvent, error) {
	w := q.auditWhere(f)
	if page.After != "" {
		w.add("id < ?", page.After)
	}
	var rows []auditEventRow
	if err := q.pagesByParentOrdered(ctx, &rows, "audit_events", auditEventColumns, "organization_id", "id DESC", organizationIDs, w, page.Limit()); err != nil {
		return nil, err
	}
	out := make([]*domain.AuditEvent, len(rows))
	for i := range rows {
		var err error
		if out[i], err = rows[i].domain(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountAuditEvents counts, for each organization, its events matching the filter.
func (q *queries) CountAuditEvents(ctx context.Context, organizationIDs []string, f domain.AuditEventFilter) (map[string]int, error) {
	return q.countsByParent(ctx, "audit_events", "organization_id", organizationIDs, q.auditWhere(f))
}
