// Package queue delivers webhook events durably through River
// (github.com/riverqueue/river), a job queue on the database itself: a
// delivery's job (or, for a change that makes many, its batch's job) is
// inserted in the transaction that writes the event
// (store.Tx.AppendEvents calls EnqueueDeliveries with its *sql.Tx), so it
// exists if and only if the change committed; River then works it on
// whichever replica fetches it first, retries it with backoff, and finds
// it again after a restart (a job left running by a killed process is
// rescued after RescueAfter).
//
// One River client type serves both engines, since both drivers speak
// *sql.Tx: riverdatabasesql over lib/pq on PostgreSQL, riversqlite over
// modernc.org/sqlite.
package queue

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/webhooks"
)

// Config tunes delivery. The zero value of each field is its default.
type Config struct {
	// Policy checks every address a delivery dials.
	Policy webhooks.Policy
	// Horizon is how long a delivery is retried (24 h); after it, the
	// delivery is FAILED, and an endpoint whose every delivery failed for
	// that long is disabled.
	Horizon time.Duration
	// Backoff is the first retry's delay (10 s), doubled at each attempt
	// up to MaxBackoff (1 h), each with jitter (a random half to whole).
	Backoff, MaxBackoff time.Duration
	// Poll is how often each replica looks for due jobs (1 s).
	Poll time.Duration
	// Workers is how many deliveries one replica sends at once (10).
	Workers int
	// Batch (500): a change that makes more deliveries than this (a
	// re-check may make 50,000) enqueues one batch job per Batch of
	// them, which writes them and enqueues their jobs when worked
	// (store.DeliveryQueue).
	Batch int
	// RescueAfter is when a job left running (its process killed) runs
	// again (1 min); New refuses less than JobTimeout, since a job still
	// running elsewhere would then be sent twice at once.
	RescueAfter time.Duration
	// Retention is how long events and deliveries are kept (7 days; at
	// least MinRetention); every PruneEvery (1 h) the replica that leads
	// River deletes older ones.
	Retention, PruneEvery time.Duration
	Logger                *slog.Logger
}

const (
	// DefaultRetention is how long events and deliveries are kept.
	DefaultRetention = 7 * 24 * time.Hour
	// MinRetention: subscribers may resume from 24 h back.
	MinRetention = 24 * time.Hour
)

func (c *Config) defaults() {
	if c.Horizon <= 0 {
		c.Horizon = 24 * time.Hour
	}
	if c.Backoff <= 0 {
		c.Backoff = 10 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 10
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = time.Minute
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.PruneEvery <= 0 {
		c.PruneEvery = time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// JobTimeout bounds one attempt: the delivery's own timeout, and time to
// record it.
const JobTimeout = webhooks.Timeout + 5*time.Second

// Queue sends deliveries. It is the store's DeliveryQueue.
type Queue struct {
	client *river.Client[*sql.Tx]
	store  *store.Store
	cfg    Config
	http   *http.Client
}

func driver(st *store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Engine() == store.SQLite {
		return riversqlite.New(st.DB())
	}
	return riverdatabasesql.New(st.DB())
}

// Migrate brings River's own tables up to date (after the store's own
// migrations, which Open ran). Each River migration commits with its
// version record, so it may run again after a start killed midway.
func Migrate(ctx context.Context, st *store.Store) error {
	m, err := rivermigrate.New(driver(st), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// New migrates River's tables, makes the client and sets the queue as
// the store's DeliveryQueue; Start starts working.
func New(ctx context.Context, st *store.Store, cfg Config) (*Queue, error) {
	cfg.defaults()
	if cfg.RescueAfter < JobTimeout {
		return nil, fmt.Errorf("webhook deliveries: a job left running is rescued after %s, less than an attempt's timeout (%s)", cfg.RescueAfter, JobTimeout)
	}
	if cfg.Retention < MinRetention {
		return nil, fmt.Errorf("webhook deliveries: events are kept %s, less than %s (subscribers may resume from that far back)", cfg.Retention, MinRetention)
	}
	if err := Migrate(ctx, st); err != nil {
		return nil, err
	}
	q := &Queue{store: st, cfg: cfg, http: cfg.Policy.Client()}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &batchWorker{q: q}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &pruner{q: q}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver(st), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		FetchPollInterval:    cfg.Poll,
		FetchCooldown:        min(cfg.Poll, 100*time.Millisecond),
		PollOnly:             true,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		MaxAttempts:          10000,
		Logger:               cfg.Logger,
		// River's leader inserts it, so one replica prunes at a time.
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.PruneEvery),
			func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, &river.InsertOpts{MaxAttempts: 3} },
			&river.PeriodicJobOpts{RunOnStart: true})},
	})
	if err != nil {
		return nil, fmt.Errorf("river: %w", err)
	}
	q.client = client
	st.SetDeliveryQueue(q)
	return q, nil
}

// Start starts sending; Stop waits for the deliveries being sent.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops fetching and waits for the deliveries in flight (at most
// ctx's deadline, then cancels them: they run again elsewhere).
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return q.client.StopAndCancel(context.Background())
	}
	return err
}

// Args is a delivery's job.
type Args struct {
	DeliveryID string `json:"deliveryId"`
}

// Kind names the job.
func (Args) Kind() string { return "webhook_delivery" }

// EnqueueDeliveries inserts the deliveries' jobs in tx, in one batch.
func (q *Queue) EnqueueDeliveries(ctx context.Context, tx *sql.Tx, deliveryIDs []string) error {
	params := make([]river.InsertManyParams, len(deliveryIDs))
	for n, id := range deliveryIDs {
		params[n] = river.InsertManyParams{Args: Args{DeliveryID: id}}
	}
	_, err := q.client.InsertManyFastTx(ctx, tx, params)
	return err
}

// Batch is Config.Batch.
func (q *Queue) Batch() int { return q.cfg.Batch }

// EnqueueBatches inserts in tx one batch job per Config.Batch of the
// events, for the deliveries to the endpoint, decided at, that tx does
// not write (store.DeliveryQueue).
func (q *Queue) EnqueueBatches(ctx context.Context, tx *sql.Tx, at time.Time, endpointID string, eventIDs []string) error {
	var params []river.InsertManyParams
	for batch := range slices.Chunk(eventIDs, q.cfg.Batch) {
		params = append(params, river.InsertManyParams{Args: BatchArgs{At: at, EndpointID: endpointID, EventIDs: batch}})
	}
	_, err := q.client.InsertManyFastTx(ctx, tx, params)
	return err
}

// BatchArgs is the job of a batch of deliveries to an endpoint (see
// Config.Batch): small, since River stores it.
type BatchArgs struct {
	At         time.Time `json:"at"`
	EndpointID string    `json:"endpointId"`
	EventIDs   []string  `json:"eventIds"`
}

// Kind names the job.
func (BatchArgs) Kind() string { return "webhook_delivery_batch" }

type batchWorker struct {
	river.WorkerDefaults[BatchArgs]
	q *Queue
}

// Work writes the batch's deliveries, enqueues their jobs and completes
// the batch in one transaction: run again after a crash, it has written
// nothing yet.
func (w *batchWorker) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	return w.q.store.WriteDeliveries(ctx, job.Args.At, job.Args.EndpointID, job.Args.EventIDs, func(tx *sql.Tx, deliveryIDs []string) error {
		if err := w.q.EnqueueDeliveries(ctx, tx, deliveryIDs); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, tx, job)
		return err
	})
}

// Body is what a delivery POSTs.
type Body struct {
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	OccurredAt     time.Time `json:"occurredAt"`
	OrganizationID string    `json:"organizationId"`
	AccountID      *string   `json:"accountId"`
	// Sequence orders the events of one subject (an integration, say):
	// a later change has a higher one.
	Sequence int64          `json:"sequence"`
	Data     map[string]any `json:"data"`
}

type worker struct {
	river.WorkerDefaults[Args]
	q *Queue
}

// NextRetry is exponential backoff with jitter, never past the horizon
// (the last attempt is at the horizon).
func (w *worker) NextRetry(job *river.Job[Args]) time.Time {
	d := w.q.cfg.Backoff
	for n := 1; n < job.Attempt && d < w.q.cfg.MaxBackoff; n++ {
		d *= 2
	}
	d = min(d, w.q.cfg.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	next := time.Now().Add(d)
	if end := job.CreatedAt.Add(w.q.cfg.Horizon); next.After(end) {
		// The last attempt is at the horizon (River refuses a time past).
		next = later(end, time.Now().Add(time.Millisecond))
	}
	return next
}

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	out, err := w.q.store.FindOutbound(ctx, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNoDelivery) {
		return nil // its endpoint was deleted
	}
	if err != nil {
		return err
	}
	if out.Delivery.Status != "PENDING" {
		return nil // sent already (the job ran again after a crash)
	}
	expired := time.Since(out.Delivery.CreatedAt) >= w.q.cfg.Horizon
	if !out.Endpoint.Enabled {
		err := w.q.store.RecordAttempt(ctx, out.Delivery.ID, out.Endpoint.ID,
			store.Attempt{At: time.Now(), Error: "endpoint disabled", Final: true}, w.q.cfg.Horizon)
		return err
	}
	var account *string
	if out.Event.AccountID != "" {
		account = &out.Event.AccountID
	}
	data, _ := out.Event.Data.(map[string]any) // as every event read from the store
	body, err := json.Marshal(Body{ID: out.Event.ID, Type: out.Event.Type, OccurredAt: out.Event.OccurredAt,
		OrganizationID: out.Event.OrganizationID, AccountID: account, Sequence: out.Event.Seq, Data: data})
	if err != nil {
		return err
	}
	attempt := w.send(ctx, out, body)
	ok := attempt.HTTPStatus >= 200 && attempt.HTTPStatus < 300
	attempt.Final = !ok && expired
	if err := w.q.store.RecordAttempt(ctx, out.Delivery.ID, out.Endpoint.ID, attempt, w.q.cfg.Horizon); err != nil {
		return err
	}
	switch {
	case ok:
		return nil
	case attempt.Final:
		return river.JobCancel(fmt.Errorf("delivery %s failed for %s: %s", out.Delivery.ID, w.q.cfg.Horizon, attempt.Error))
	}
	return fmt.Errorf("delivery %s: %s", out.Delivery.ID, attempt.Error)
}

func (w *worker) send(ctx context.Context, out *store.Outbound, body []byte) store.Attempt {
	start := time.Now()
	a := store.Attempt{At: start}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, out.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Pointguard-Webhooks/1")
	if err := webhooks.SetHeaders(req.Header, out.Secret, out.Event.ID, start, body); err != nil {
		a.Error = err.Error()
		return a
	}
	resp, err := w.q.http.Do(req)
	if err != nil {
		a.Duration = time.Since(start)
		a.Error = err.Error()
		return a
	}
	a.Snippet = webhooks.ReadSnippet(resp.Body)
	resp.Body.Close()
	a.Duration = time.Since(start)
	a.HTTPStatus = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return a
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// PruneArgs is the periodic job deleting the events and deliveries older
// than the retention.
type PruneArgs struct{}

// Kind names the job.
func (PruneArgs) Kind() string { return "prune_events" }

type pruner struct {
	river.WorkerDefaults[PruneArgs]
	q *Queue
}

// Timeout lets a large backlog be pruned in one run (River's rescuer
// honours it too); each batch is its own short transaction.
func (p *pruner) Timeout(*river.Job[PruneArgs]) time.Duration { return 10 * time.Minute }

func (p *pruner) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	cutoff := time.Now().Add(-p.q.cfg.Retention)
	events, deliveries, err := p.q.store.PruneEvents(ctx, cutoff)
	if events+deliveries > 0 {
		p.q.cfg.Logger.Info("pruned old events", "events", events, "deliveries", deliveries, "before", cutoff.UTC().Format(time.RFC3339))
	}
	return err
}
