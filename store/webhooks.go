package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/pagination"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/secrets"
)

// DeliveryQueue enqueues the jobs that send deliveries, in the
// transaction that wrote them (River's InsertManyTx), so that a delivery
// exists if and only if its job does.
type DeliveryQueue interface {
	EnqueueDeliveries(ctx context.Context, tx *sql.Tx, deliveryIDs []string) error
	// Batch is how many deliveries a transaction writes itself. Past it
	// (a re-check may make 50,000), it enqueues, with EnqueueBatches,
	// jobs that write an endpoint's deliveries of the events later
	// (WriteDeliveries) and enqueue theirs: the change's transaction
	// stays short, and its deliveries are as durable, since those jobs
	// commit with it.
	Batch() int
	EnqueueBatches(ctx context.Context, tx *sql.Tx, at time.Time, endpointID string, eventIDs []string) error
}

// delivery is an event's delivery to an endpoint, as AppendEvents
// decides it.
type delivery struct{ endpoint, event, typ string }

// hooks are what is set on a Store after Open and seen by its every Tx.
type hooks struct {
	queue atomic.Pointer[DeliveryQueue]
}

// SetDeliveryQueue makes AppendEvents enqueue the deliveries it writes
// with q. Without one, they are written PENDING and wait for one.
func (s *Store) SetDeliveryQueue(q DeliveryQueue) { s.base.hooks.queue.Store(&q) }

// eventBatch is how many account IDs one read of eventAccounts binds.
const eventBatch = 500

// AppendEvents writes events, and a delivery of each to every enabled
// endpoint that wants it, in bulk (insertRows), and
// enqueues the deliveries' jobs in bulk, all in tx: they commit or roll
// back with the change they describe. A re-check writes all its events
// in one call (service's changeLog); the endpoints of the events'
// organizations are read once per transaction.
func (tx *Tx) AppendEvents(ctx context.Context, events []domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	orgs := map[string]bool{}
	err := tx.insertRows(ctx, "events", []string{"id", "organization_id", "account_id", "subject_id", "type", "occurred_at", "data"}, len(events),
		func(n int) ([]any, error) {
			e := &events[n]
			if e.ID == "" {
				e.ID = domain.NewID(domain.KindEvent)
			}
			if e.Data == nil {
				e.Data = map[string]any{}
			}
			data, err := toJSON(e.Data)
			orgs[e.OrganizationID] = true
			return []any{e.ID, e.OrganizationID, nullString(e.AccountID), e.SubjectID, e.Type, e.OccurredAt.UTC(), data}, err
		})
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	if err := tx.signalEvents(ctx, orgs); err != nil { // wakes the subscriptions (package eventstream)
		return err
	}
	// One read per organization and transaction: a re-check appending
	// events batch after batch reads its endpoints once.
	if tx.endpoints == nil {
		tx.endpoints = map[string][]target{}
	}
	var unread []string
	for o := range orgs {
		if _, ok := tx.endpoints[o]; !ok {
			unread = append(unread, o)
			tx.endpoints[o] = nil
		}
	}
	if len(unread) > 0 {
		read, err := tx.enabledEndpoints(ctx, unread)
		if err != nil {
			return err
		}
		for _, w := range read {
			tx.endpoints[w.OrganizationID] = append(tx.endpoints[w.OrganizationID], w)
		}
	}
	var endpoints []target
	selecting := false
	for o := range orgs {
		endpoints = append(endpoints, tx.endpoints[o]...)
		for _, w := range tx.endpoints[o] {
			selecting = selecting || w.selector != nil
		}
	}
	if len(endpoints) == 0 {
		return nil
	}
	// The events' accounts, for the endpoints with a selector: read in
	// bulk, as they are now in tx (an account.updated sees its new labels).
	var accounts map[string]*domain.Account
	if selecting {
		var err error
		if accounts, err = tx.eventAccounts(ctx, events); err != nil {
			return err
		}
	}
	var ds []delivery
	for n := range events {
		for _, w := range endpoints {
			if w.Wants(&events[n]) && w.selects(&events[n], accounts) {
				ds = append(ds, delivery{w.ID, events[n].ID, events[n].Type})
			}
		}
	}
	now := time.Now().UTC()
	if q := tx.hooks.queue.Load(); q != nil && len(ds) > (*q).Batch() {
		for _, w := range endpoints {
			var ids []string
			for _, d := range ds {
				if d.endpoint == w.ID {
					ids = append(ids, d.event)
				}
			}
			if len(ids) > 0 {
				if err := (*q).EnqueueBatches(ctx, tx.tx.Tx, now, w.ID, ids); err != nil {
					return err
				}
			}
		}
		return nil
	}
	ids, err := tx.writeDeliveries(ctx, now, ds)
	if err != nil {
		return err
	}
	return tx.enqueue(ctx, ids)
}

func (tx *Tx) writeDeliveries(ctx context.Context, at time.Time, ds []delivery) ([]string, error) {
	ids := make([]string, len(ds))
	err := tx.insertRows(ctx, "webhook_deliveries", []string{"id", "endpoint_id", "event_id", "event_type", "created_at", "updated_at"}, len(ds),
		func(n int) ([]any, error) {
			d := ds[n]
			ids[n] = domain.NewID(domain.KindWebhookDelivery)
			return []any{ids[n], d.endpoint, d.event, d.typ, at, at}, nil
		})
	if err != nil {
		return nil, fmt.Errorf("append deliveries: %w", err)
	}
	return ids, nil
}

// WriteDeliveries writes the deliveries to an endpoint of the events of
// a batch job (DeliveryQueue.EnqueueBatches), decided at, and calls
// enqueue with their IDs, in one transaction: enqueue inserts their jobs
// and completes the batch's. An endpoint deleted since gets none.
func (s *Store) WriteDeliveries(ctx context.Context, at time.Time, endpointID string, eventIDs []string,
	enqueue func(tx *sql.Tx, deliveryIDs []string) error) error {
	return s.InTx(ctx, policy.System.Scope(), func(tx *Tx) error {
		var live []string
		if err := tx.selectAll(ctx, &live, "SELECT id FROM webhook_endpoints WHERE id = ?", endpointID); err != nil {
			return err
		}
		var ds []delivery
		for start := 0; len(live) > 0 && start < len(eventIDs); start += eventBatch {
			var rows []struct {
				ID   string `db:"id"`
				Type string `db:"type"`
			}
			err := tx.selectAll(ctx, &rows, "SELECT id, type FROM events WHERE id IN (?) ORDER BY seq", eventIDs[start:min(start+eventBatch, len(eventIDs))])
			if err != nil {
				return err
			}
			for _, r := range rows {
				ds = append(ds, delivery{endpointID, r.ID, r.Type})
			}
		}
		ids, err := tx.writeDeliveries(ctx, at.UTC(), ds)
		if err != nil {
			return err
		}
		return enqueue(tx.tx.Tx, ids)
	})
}

func (tx *Tx) enqueue(ctx context.Context, deliveryIDs []string) error {
	if len(deliveryIDs) == 0 {
		return nil
	}
	q := tx.hooks.queue.Load()
	if q == nil {
		return nil
	}
	return (*q).EnqueueDeliveries(ctx, tx.tx.Tx, deliveryIDs)
}

// target is an endpoint as AppendEvents matches events to it, with its
// account selector (nil: every account).
type target struct {
	*domain.WebhookEndpoint
	selector *domain.AccountSelector
}

// selects tells whether the endpoint's selector picks the event's
// account. An event of no account (a point's version) is the
// organization's, for every endpoint of it; an event whose account is
// gone is picked by no selector.
func (w target) selects(e *domain.Event, accounts map[string]*domain.Account) bool {
	if w.selector == nil || e.AccountID == "" {
		return true
	}
	a, ok := accounts[e.AccountID]
	return ok && w.selector.Matches(a)
}

// eventAccounts reads the environment and labels of the events' accounts,
// eventBatch IDs a statement, whatever the transaction's scope.
func (tx *Tx) eventAccounts(ctx context.Context, events []domain.Event) (map[string]*domain.Account, error) {
	seen := map[string]bool{}
	var ids []string
	for n := range events {
		if id := events[n].AccountID; id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	out := make(map[string]*domain.Account, len(ids))
	for start := 0; start < len(ids); start += eventBatch {
		q, args, err := sqlx.In("SELECT id, environment, labels FROM accounts WHERE id IN (?)", ids[start:min(start+eventBatch, len(ids))])
		if err != nil {
			return nil, err
		}
		var rows []accountRow
		if err := sqlx.SelectContext(ctx, tx.ext, &rows, tx.ext.Rebind(q), args...); err != nil {
			return nil, fmt.Errorf("the events' accounts: %w", err)
		}
		for n := range rows {
			a, err := rows[n].domain()
			if err != nil {
				return nil, err
			}
			out[a.ID] = a
		}
	}
	return out, nil
}

const endpointColumns = "id, organization_id, account_id, url, description, event_types, enabled, disabled_reason, failing_since, created_at, updated_at"

type endpointRow struct {
	ID             string         `db:"id"`
	OrganizationID string         `db:"organization_id"`
	AccountID      sql.NullString `db:"account_id"`
	URL            string         `db:"url"`
	Description    string         `db:"description"`
	EventTypes     string         `db:"event_types"`
	Enabled        bool           `db:"enabled"`
	DisabledReason sql.NullString `db:"disabled_reason"`
	FailingSince   sql.NullTime   `db:"failing_since"`
	CreatedAt      time.Time      `db:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
}

func (r *endpointRow) domain() (*domain.WebhookEndpoint, error) {
	w := &domain.WebhookEndpoint{
		ID: r.ID, OrganizationID: r.OrganizationID, AccountID: r.AccountID.String, URL: r.URL,
		Description: r.Description, Enabled: r.Enabled, DisabledReason: r.DisabledReason.String,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.FailingSince.Valid {
		t := r.FailingSince.Time.UTC()
		w.FailingSince = &t
	}
	if err := json.Unmarshal([]byte(r.EventTypes), &w.EventTypes); err != nil {
		return nil, fmt.Errorf("webhook endpoint %s: event types: %w", r.ID, err)
	}
	return w, nil
}

func scanEndpoints(ctx context.Context, ext sqlx.ExtContext, query string, args ...any) ([]*domain.WebhookEndpoint, error) {
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, err
	}
	var rows []endpointRow
	if err := sqlx.SelectContext(ctx, ext, &rows, ext.Rebind(query), args...); err != nil {
		return nil, err
	}
	out := make([]*domain.WebhookEndpoint, 0, len(rows))
	for n := range rows {
		w, err := rows[n].domain()
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// enabledEndpoints are the enabled endpoints of the organizations, read
// whatever the transaction's scope: an account's change is delivered to
// its organization's endpoints too.
func (tx *Tx) enabledEndpoints(ctx context.Context, organizationIDs []string) ([]target, error) {
	query, args, err := sqlx.In("SELECT "+endpointColumns+", account_selector FROM webhook_endpoints WHERE enabled = ? AND organization_id IN (?) ORDER BY id",
		true, organizationIDs)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		endpointRow
		AccountSelector sql.NullString `db:"account_selector"`
	}
	if err := sqlx.SelectContext(ctx, tx.ext, &rows, tx.ext.Rebind(query), args...); err != nil {
		return nil, err
	}
	out := make([]target, len(rows))
	for n := range rows {
		w, err := rows[n].domain()
		if err != nil {
			return nil, err
		}
		out[n] = target{WebhookEndpoint: w}
		if out[n].selector, err = selectorOf(w.ID, rows[n].AccountSelector); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func selectorOf(id string, column sql.NullString) (*domain.AccountSelector, error) {
	if !column.Valid {
		return nil, nil
	}
	var s domain.AccountSelector
	if err := fromJSON(column.String, &s); err != nil {
		return nil, fmt.Errorf("webhook endpoint %s: account selector: %w", id, err)
	}
	return &s, nil
}

func selectorColumn(s *domain.AccountSelector) (any, error) {
	if s == nil {
		return nil, nil
	}
	return toJSON(s)
}

// FindWebhookEndpointSelectors reads the account selectors of endpoints
// (nil: none), in the order of ids, for endpoints the caller already sees.
func (s *Store) FindWebhookEndpointSelectors(ctx context.Context, ids []string) ([]*domain.AccountSelector, error) {
	out := make([]*domain.AccountSelector, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In("SELECT id, account_selector FROM webhook_endpoints WHERE id IN (?)", ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID              string         `db:"id"`
		AccountSelector sql.NullString `db:"account_selector"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, err
	}
	byID := map[string]*domain.AccountSelector{}
	for _, r := range rows {
		if byID[r.ID], err = selectorOf(r.ID, r.AccountSelector); err != nil {
			return nil, err
		}
	}
	for n, id := range ids {
		out[n] = byID[id]
	}
	return out, nil
}

// SetWebhookEndpointSelector stores an endpoint's account selector (nil:
// every account).
func (tx *Tx) SetWebhookEndpointSelector(ctx context.Context, id string, selector *domain.AccountSelector) error {
	tx.endpoints = nil // read again
	col, err := selectorColumn(selector)
	if err != nil {
		return err
	}
	w, args := tx.scopedID(id, "organization_id", "account_id")
	return tx.execOne(ctx, "UPDATE webhook_endpoints SET account_selector = ?"+w, append([]any{col}, args...)...)
}

// CreateWebhookEndpoint writes an endpoint with its secret, sealed under
// the keyring and bound to the endpoint's ID; SetWebhookEndpointSelector
// gives it an account selector.
func (tx *Tx) CreateWebhookEndpoint(ctx context.Context, w *domain.WebhookEndpoint, secret string) error {
	tx.endpoints = nil // read again
	sealed, err := sealString(tx.secrets, w.ID, secret)
	if err != nil {
		return err
	}
	types, err := toJSON(domain.OrEmpty(w.EventTypes))
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "INSERT INTO webhook_endpoints (id, organization_id, account_id, url, description, event_types, enabled, secret, created_at, updated_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		w.ID, w.OrganizationID, nullString(w.AccountID), w.URL, w.Description, types, w.Enabled, sealed, w.CreatedAt, w.UpdatedAt)
	return err
}

func sealString(ring *secrets.Keyring, id, s string) (string, error) {
	sealed, err := ring.Seal([]byte(s), []byte(id))
	if err != nil {
		return "", err
	}
	return toJSON(sealed)
}

func openString(ring *secrets.Keyring, id, sealed string) (string, error) {
	var s secrets.Sealed
	if err := json.Unmarshal([]byte(sealed), &s); err != nil {
		return "", fmt.Errorf("webhook endpoint %s: malformed secret: %w", id, err)
	}
	b, err := ring.Open(s, []byte(id))
	if err != nil {
		return "", fmt.Errorf("webhook endpoint %s: %w", id, err)
	}
	return string(b), nil
}

// FindWebhookEndpoints lists an organization's endpoints within the
// scope: an account's scope sees only its account's.
func (q *queries) FindWebhookEndpoints(ctx context.Context, organizationID string) ([]*domain.WebhookEndpoint, error) {
	w := q.scoped(where{}, "organization_id", "account_id").with("organization_id = ?", organizationID)
	return scanEndpoints(ctx, q.ext, "SELECT "+endpointColumns+" FROM webhook_endpoints"+w.sql()+" ORDER BY id", w.args...)
}

// FindWebhookEndpointsByIDs reads endpoints within the scope, by ID.
func (q *queries) FindWebhookEndpointsByIDs(ctx context.Context, ids []string) ([]*domain.WebhookEndpoint, error) {
	w := q.scoped(where{}, "organization_id", "account_id").with("id IN (?)", ids)
	return scanEndpoints(ctx, q.ext, "SELECT "+endpointColumns+" FROM webhook_endpoints"+w.sql()+" ORDER BY id", w.args...)
}

// FindDelivery reads a delivery, whatever the scope: whoever asks checks
// that its endpoint is visible. Nothing is domain.ErrNotFound.
func (s *Store) FindDelivery(ctx context.Context, id string) (*domain.WebhookDelivery, error) {
	var rows []deliveryRow
	if err := s.base.selectAll(ctx, &rows, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = ?", id); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, domain.ErrNotFound
	}
	d := rows[0].domain()
	return &d, nil
}

// Outbound is what a delivery's job needs to send it.
type Outbound struct {
	Delivery domain.WebhookDelivery
	Endpoint domain.WebhookEndpoint
	Secret   string
	Event    domain.Event
}

// ErrNoDelivery is a job whose delivery is gone (its endpoint deleted).
var ErrNoDelivery = errors.New("store: no such delivery")

// FindOutbound reads a delivery, its endpoint (with its secret opened)
// and its event, for the system's delivery worker.
func (s *Store) FindOutbound(ctx context.Context, deliveryID string) (*Outbound, error) {
	var d struct {
		ID         string    `db:"id"`
		EndpointID string    `db:"endpoint_id"`
		EventID    string    `db:"event_id"`
		EventType  string    `db:"event_type"`
		Status     string    `db:"status"`
		Attempts   int       `db:"attempts"`
		CreatedAt  time.Time `db:"created_at"`
	}
	err := sqlx.GetContext(ctx, s.db, &d, s.db.Rebind("SELECT id, endpoint_id, event_id, event_type, status, attempts, created_at FROM webhook_deliveries WHERE id = ?"), deliveryID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoDelivery
	}
	if err != nil {
		return nil, err
	}
	out := &Outbound{Delivery: domain.WebhookDelivery{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: d.EventType,
		Status: domain.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts, CreatedAt: d.CreatedAt.UTC()}}
	var er struct {
		endpointRow
		Secret string `db:"secret"`
	}
	err = sqlx.GetContext(ctx, s.db, &er, s.db.Rebind("SELECT "+endpointColumns+", secret FROM webhook_endpoints WHERE id = ?"), d.EndpointID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoDelivery
	}
	if err != nil {
		return nil, err
	}
	w, err := er.domain()
	if err != nil {
		return nil, err
	}
	out.Endpoint = *w
	if out.Secret, err = openString(s.base.secrets, w.ID, er.Secret); err != nil {
		return nil, err
	}
	var ev eventRow
	if err := sqlx.GetContext(ctx, s.db, &ev, s.db.Rebind("SELECT "+eventColumns+" FROM events WHERE id = ?"), d.EventID); err != nil {
		return nil, err
	}
	if out.Event, err = ev.domain(); err != nil {
		return nil, err
	}
	return out, nil
}

// Attempt is the outcome of one attempt at a delivery.
type Attempt struct {
	At         time.Time
	HTTPStatus int // 0: no answer
	Duration   time.Duration
	Snippet    string
	Error      string
	// Final marks the delivery FAILED: its retry horizon is over.
	Final bool
}

// RecordAttempt logs an attempt and updates its delivery: SUCCEEDED on a
// 2xx, FAILED when final, else PENDING. A success clears its endpoint's
// failing_since; a failure starts it, and disables the endpoint once it
// is older than disableAfter.
func (s *Store) RecordAttempt(ctx context.Context, deliveryID, endpointID string, a Attempt, disableAfter time.Duration) error {
	ok := a.HTTPStatus >= 200 && a.HTTPStatus < 300
	status := domain.DeliveryPending
	switch {
	case ok:
		status = domain.DeliverySucceeded
	case a.Final:
		status = domain.DeliveryFailed
	}
	var httpStatus sql.NullInt64
	if a.HTTPStatus != 0 {
		httpStatus = sql.NullInt64{Int64: int64(a.HTTPStatus), Valid: true}
	}
	ms := a.Duration.Milliseconds()
	at := a.At.UTC()
	return s.InTx(ctx, policy.Scope{All: true}, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, http_status, duration_ms, response_snippet, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
			domain.NewID(domain.KindWebhookAttempt), deliveryID, at, httpStatus, ms, a.Snippet, nullString(a.Error)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_http_status = ?, last_duration_ms = ?, "+
			"last_response = ?, last_error = ?, updated_at = ? WHERE id = ?",
			string(status), httpStatus, ms, a.Snippet, nullString(a.Error), at, deliveryID); err != nil {
			return err
		}
		if ok {
			_, err := tx.exec(ctx, "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL", endpointID)
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL", at, endpointID); err != nil {
			return err
		}
		// Failing for the horizon: since a moment that long ago, or, for a
		// delivery that just failed for good, since its first attempt.
		since := at.Add(-disableAfter)
		if a.Final {
			var first time.Time
			if err := tx.get(ctx, &first, "SELECT attempted_at FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempted_at LIMIT 1", deliveryID); err != nil {
				return err
			}
			since = later(since, first.UTC())
		}
		_, err := tx.exec(ctx, "UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = ? AND failing_since <= ?",
			false, fmt.Sprintf("every delivery failed for %s", disableAfter), at, endpointID, true, since)
		return err
	})
}

// FindDeliveries lists an endpoint's deliveries, oldest first, for tests
// and the delivery log.
func (s *Store) FindDeliveries(ctx context.Context, endpointID string) ([]domain.WebhookDelivery, error) {
	return s.FindDeliveriesWhere(ctx, endpointID, "", "")
}

const deliveryColumns = "id, endpoint_id, event_id, event_type, status, attempts, last_http_status, " +
	"last_duration_ms, last_response, last_error, created_at, updated_at"

type deliveryRow struct {
	ID             string         `db:"id"`
	EndpointID     string         `db:"endpoint_id"`
	EventID        string         `db:"event_id"`
	EventType      string         `db:"event_type"`
	Status         string         `db:"status"`
	Attempts       int            `db:"attempts"`
	LastHTTPStatus sql.NullInt64  `db:"last_http_status"`
	LastDurationMS sql.NullInt64  `db:"last_duration_ms"`
	LastResponse   sql.NullString `db:"last_response"`
	LastError      sql.NullString `db:"last_error"`
	CreatedAt      time.Time      `db:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
}

func (r *deliveryRow) domain() domain.WebhookDelivery {
	d := domain.WebhookDelivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType,
		Status: domain.WebhookDeliveryStatus(r.Status), Attempts: r.Attempts, LastResponse: r.LastResponse.String,
		LastError: r.LastError.String, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.LastHTTPStatus.Valid {
		v := int(r.LastHTTPStatus.Int64)
		d.LastHTTPStatus = &v
	}
	if r.LastDurationMS.Valid {
		v := int(r.LastDurationMS.Int64)
		d.LastDurationMS = &v
	}
	return d
}

// FindDeliveriesWhere lists an endpoint's deliveries of the given status
// and event type ("" for any), oldest first.
func (s *Store) FindDeliveriesWhere(ctx context.Context, endpointID string, status domain.WebhookDeliveryStatus, eventType string) ([]domain.WebhookDelivery, error) {
	w := deliveryWhere(domain.WebhookDeliveryFilter{Status: &status, EventType: &eventType}).with("endpoint_id = ?", endpointID)
	var rows []deliveryRow
	if err := s.base.selectAll(ctx, &rows, "SELECT "+deliveryColumns+" FROM webhook_deliveries"+w.sql()+" ORDER BY id", w.args...); err != nil {
		return nil, err
	}
	out := make([]domain.WebhookDelivery, len(rows))
	for n := range rows {
		out[n] = rows[n].domain()
	}
	return out, nil
}

func deliveryWhere(f domain.WebhookDeliveryFilter) where {
	var w where
	if f.Status != nil && *f.Status != "" {
		w.add("status = ?", string(*f.Status))
	}
	if f.EventType != nil && *f.EventType != "" {
		w.add("event_type = ?", *f.EventType)
	}
	return w
}

// FindDeliveryPages reads each endpoint's page of its delivery log, newest
// first (the cursor is the last delivery seen: the page holds older ones),
// in one statement for them all. The endpoints are ones the caller sees.
func (s *Store) FindDeliveryPages(ctx context.Context, endpointIDs []string, f domain.WebhookDeliveryFilter, page pagination.Page) (map[string][]*domain.WebhookDelivery, error) {
	w := deliveryWhere(f)
	if page.After != "" {
		w.add("id < ?", page.After)
	}
	var rows []deliveryRow
	if err := s.base.pagesByParentOrdered(ctx, &rows, "webhook_deliveries", deliveryColumns, "endpoint_id", "id DESC", endpointIDs, w, page.Limit()); err != nil {
		return nil, err
	}
	out := make(map[string][]*domain.WebhookDelivery, len(endpointIDs))
	for n := range rows {
		d := rows[n].domain()
		out[d.EndpointID] = append(out[d.EndpointID], &d)
	}
	return out, nil
}

// CountDeliveries counts each endpoint's deliveries the filter matches.
func (s *Store) CountDeliveries(ctx context.Context, endpointIDs []string, f domain.WebhookDeliveryFilter) (map[string]int, error) {
	return s.base.countsByParent(ctx, "webhook_deliveries", "endpoint_id", endpointIDs, deliveryWhere(f))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// LockWebhookEndpoint reads an endpoint within the scope, locked for the
// transaction (PostgreSQL; SQLite's transactions are serial).
func (tx *Tx) LockWebhookEndpoint(ctx context.Context, id string) (*domain.WebhookEndpoint, error) {
	w := tx.scoped(where{}, "organization_id", "account_id").with("id = ?", id)
	q := "SELECT " + endpointColumns + " FROM webhook_endpoints" + w.sql()
	if tx.engine == Postgres {
		q += " FOR UPDATE"
	}
	ws, err := scanEndpoints(ctx, tx.ext, q, w.args...)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, domain.ErrNotFound
	}
	return ws[0], nil
}

// DeleteWebhookEndpoint deletes an endpoint, its deliveries and their
// log; its pending jobs find nothing and end.
func (tx *Tx) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	tx.endpoints = nil // read again
	sql, args := tx.scopedID(id, "organization_id", "account_id")
	return tx.execOne(ctx, "DELETE FROM webhook_endpoints"+sql, args...)
}

// SetWebhookSecret replaces an endpoint's secret, sealed.
func (tx *Tx) SetWebhookSecret(ctx context.Context, id, secret string, at time.Time) error {
	sealed, err := sealString(tx.secrets, id, secret)
	if err != nil {
		return err
	}
	w, args := tx.scopedID(id, "organization_id", "account_id")
	return tx.execOne(ctx, "UPDATE webhook_endpoints SET secret = ?, updated_at = ?"+w, append([]any{sealed, at}, args...)...)
}

// Redeliver writes a new delivery of an event the scope sees to an
// endpoint, and enqueues it, in tx; it returns the delivery's ID.
func (tx *Tx) Redeliver(ctx context.Context, w *domain.WebhookEndpoint, eventID string) (string, error) {
	cond := tx.scoped(where{}, "organization_id", "account_id").with("id = ?", eventID).with("organization_id = ?", w.OrganizationID)
	if w.AccountID != "" {
		cond = cond.with("account_id = ?", w.AccountID)
	}
	var typ []string
	if err := tx.selectAll(ctx, &typ, "SELECT type FROM events"+cond.sql(), cond.args...); err != nil {
		return "", err
	}
	if len(typ) == 0 {
		return "", domain.ErrNotFound
	}
	id := domain.NewID(domain.KindWebhookDelivery)
	now := time.Now().UTC()
	if _, err := tx.exec(ctx, "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		id, w.ID, eventID, typ[0], now, now); err != nil {
		return "", err
	}
	return id, tx.enqueue(ctx, []string{id})
}

// UpdateWebhookEndpoint stores an endpoint's URL, description, event
// types and state; enabling it clears its failures.
func (tx *Tx) UpdateWebhookEndpoint(ctx context.Context, w *domain.WebhookEndpoint) error {
	tx.endpoints = nil // read again
	types, err := toJSON(domain.OrEmpty(w.EventTypes))
	if err != nil {
		return err
	}
	cond, args := tx.scopedID(w.ID, "organization_id", "account_id")
	return tx.execOne(ctx, "UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, enabled = ?, disabled_reason = ?, "+
		"failing_since = ?, updated_at = ?"+cond,
		append([]any{w.URL, w.Description, types, w.Enabled, nullString(w.DisabledReason), w.FailingSince, w.UpdatedAt}, args...)...)
}
