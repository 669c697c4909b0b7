package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/persisted"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

const (
	// IdempotencyKeyHeader names a mutation request, so that its retries
	// are answered, not run again.
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader ("true") marks an answer given again from the store.
	ReplayedHeader = "Idempotent-Replayed"
	// IdempotencyTTL is how long an answer is kept.
	IdempotencyTTL = 24 * time.Hour
	// maxIdempotencyKey is the longest key, in bytes (ASCII).
	maxIdempotencyKey = 255
	// sweepEvery is how often a process deletes expired keys, at most.
	sweepEvery = time.Minute
)

// idempotency runs a mutation sent with an Idempotency-Key in one
// transaction (store.Atomically) with the record of its answer: a retry
// finds the answer and gets it again, byte for byte, writing nothing; a
// server killed mid-request committed both or neither, so a retry then
// replays or runs. The key is its token's (policy.Principal.TokenID), kept
// IdempotencyTTL, in the database, so every replica honours it.
type idempotency struct {
	st  *store.Store
	now func() time.Time
	log *slog.Logger
	// trusted are the documents a hash alone stands for (nil: none).
	trusted *persisted.Trusted
	next    http.Handler
	// slots bounds the requests holding a transaction while their answer
	// is made: that answer's loaders read through the pool, so a pool held
	// whole by transactions would wait on itself. SQLite has one writer
	// anyway: one slot, and the others wait here, holding no connection.
	slots chan struct{}
	// lastSweep is when expired keys were last deleted (UnixNano).
	lastSweep atomic.Int64
}

// idempotent keeps the answers of mutations sent with an Idempotency-Key.
// trusted, when not nil, gives the text of a listed document sent by its
// hash alone, so that such a mutation runs at once.
func idempotent(st *store.Store, now func() time.Time, log *slog.Logger, trusted *persisted.Trusted, next http.Handler) http.Handler {
	slots := 1
	if st.Engine() == store.Postgres {
		if slots = st.Stats().MaxOpenConnections / 2; slots < 1 {
			slots = 32 // an unbounded pool
		}
	}
	return &idempotency{st: st, now: now, log: log, trusted: trusted, next: next, slots: make(chan struct{}, slots)}
}

var (
	// errReplay ends a transaction that found the key answered: it wrote nothing.
	errReplay = errors.New("idempotency key answered before")
	// errNotRun ends a transaction whose request gqlgen refused before it
	// ran (a 4xx): nothing to keep, and a corrected request may use the key.
	errNotRun = errors.New("request refused before it ran")
)

func (h *idempotency) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	keys := r.Header.Values(IdempotencyKeyHeader)
	if r.Method != http.MethodPost || len(keys) == 0 {
		h.next.ServeHTTP(w, r)
		return
	}
	if len(keys) > 1 {
		// Which one counts would be a guess.
		apierror.Write(w, http.StatusBadRequest, apierror.CodeInvalidIdempotencyKey,
			fmt.Sprintf("send one %s header, not %d", IdempotencyKeyHeader, len(keys)))
		return
	}
	key := keys[0]
	if problem := keyProblem(key); problem != "" {
		apierror.Write(w, http.StatusBadRequest, apierror.CodeInvalidIdempotencyKey, problem)
		return
	}
	pr := policy.From(r.Context())
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType != "application/json" || pr == nil || pr.TokenID == "" {
		h.next.ServeHTTP(w, r) // gqlgen refuses what it cannot read; auth, what has no token
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// gqlgen answers the failure as it would have.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), failingReader{err}))
		h.next.ServeHTTP(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, ok := mutationRequest(body, h.trusted)
	if !ok {
		// Not a mutation, or not one gqlgen would run: nothing to keep.
		h.next.ServeHTTP(w, r)
		return
	}
	h.serve(w, r, pr, key, req, body)
}

// keyProblem says what is wrong with an Idempotency-Key, or "".
func keyProblem(key string) string {
	if key == "" || len(key) > maxIdempotencyKey {
		return fmt.Sprintf("the %s is %d characters long; send 1 to %d (a UUID, say)", IdempotencyKeyHeader, len(key), maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c > '~' {
			return fmt.Sprintf("the %s has %q at byte %d; send printable ASCII without spaces (a UUID, say)", IdempotencyKeyHeader, c, i)
		}
	}
	return ""
}

// idempotentRequest is a mutation request as its key knows it.
type idempotentRequest struct {
	// hash is the SHA-256, in hex, of the canonical request: the JSON of
	// the SHA-256 of the query text (so that a persisted query's hash
	// names the same request), the operation name and the variables,
	// re-encoded by encoding/json (object keys sorted, no whitespace,
	// numbers as written).
	hash string
	// hashOnly is an automatic persisted query sent by its hash alone.
	hashOnly bool
}

// mutationRequest reads body as gqlgen does and tells whether it is a
// mutation gqlgen would run. A trusted document sent by its hash alone is
// read as its text (persisted.TrustedOnly fills it in); any other
// automatic persisted query sent so may be one: it is answered from its
// key, or asked for its text.
func mutationRequest(body []byte, trusted *persisted.Trusted) (idempotentRequest, bool) {
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return idempotentRequest{}, false
	}
	var req idempotentRequest
	queryHash := persistedQueryHash(p.Extensions)
	if doc, ok := trusted.Document(queryHash); ok && p.Query == "" {
		p.Query = doc
	}
	if p.Query != "" {
		doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
		if err != nil {
			return idempotentRequest{}, false
		}
		if op := doc.Operations.ForName(p.OperationName); op == nil || op.Operation != ast.Mutation {
			return idempotentRequest{}, false
		}
		sum := sha256.Sum256([]byte(p.Query))
		queryHash = hex.EncodeToString(sum[:])
	} else if queryHash == "" {
		return idempotentRequest{}, false
	} else {
		req.hashOnly = true
	}
	vars := p.Variables
	if len(vars) == 0 {
		vars = nil // absent, null and {} are one request
	}
	canonical, err := json.Marshal(struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}{queryHash, p.OperationName, vars})
	if err != nil {
		return idempotentRequest{}, false
	}
	sum := sha256.Sum256(canonical)
	req.hash = hex.EncodeToString(sum[:])
	return req, true
}

// persistedQueryHash is extensions.persistedQuery.sha256Hash, or "".
func persistedQueryHash(extensions map[string]any) string {
	pq, _ := extensions["persistedQuery"].(map[string]any)
	hash, _ := pq["sha256Hash"].(string)
	return hash
}

func (h *idempotency) serve(w http.ResponseWriter, r *http.Request, pr *policy.Principal, key string, req idempotentRequest, body []byte) {
	ctx := r.Context()
	now := h.now()
	h.sweep(ctx, now)
	// A retry of what committed is answered from the pool, with no
	// transaction (on SQLite, without the write lock).
	stored, err := h.st.IdempotentResponse(ctx, pr.TokenID, key)
	if err != nil {
		h.log.ErrorContext(ctx, "read idempotency key", "error", err)
		apierror.Write(w, http.StatusServiceUnavailable, apierror.CodeInternal, "internal error")
		return
	}
	if stored != nil && stored.CreatedAt.After(now.Add(-IdempotencyTTL)) {
		h.replay(w, stored, req)
		return
	}
	if req.hashOnly {
		// Whether it is a mutation only its text tells: gqlgen's answer to
		// a hash it does not know makes an APQ client send the text.
		apierror.Write(w, http.StatusOK, apierror.CodePersistedQueryNotFound, "PersistedQueryNotFound")
		return
	}

	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	case <-ctx.Done():
		return // answered by withDeadline, or nobody is listening
	}
	var answer *bufferedResponse
	err = h.st.Atomically(ctx, func(ctx context.Context) error {
		answer, stored = nil, nil // run again from the start
		now := h.now()
		err := h.st.InTx(ctx, pr.Scope(), func(tx *store.Tx) error {
			var err error
			stored, err = tx.ClaimIdempotencyKey(ctx, pr.TokenID, key, req.hash, now, now.Add(-IdempotencyTTL))
			return err
		})
		if err != nil {
			return err
		}
		if stored != nil {
			return errReplay // answered by another request meanwhile
		}
		answer = &bufferedResponse{header: http.Header{}}
		run := r.WithContext(ctx)
		run.Body = io.NopCloser(bytes.NewReader(body))
		h.next.ServeHTTP(answer, run)
		if answer.status != http.StatusOK {
			return errNotRun
		}
		return h.st.InTx(ctx, pr.Scope(), func(tx *store.Tx) error {
			return tx.SaveIdempotentResponse(ctx, pr.TokenID, key, &store.IdempotentResponse{
				RequestHash: req.hash, Status: answer.status, ContentType: answer.header.Get("Content-Type"), Body: answer.body.Bytes()})
		})
	})
	switch {
	case errors.Is(err, errReplay):
		h.replay(w, stored, req)
	case errors.Is(err, errNotRun), err == nil:
		answer.writeTo(w)
	default:
		// The answer made is not the client's: what it says did not commit.
		h.log.ErrorContext(ctx, "idempotent request not committed", "error", err)
		w.Header().Set("Retry-After", "1")
		apierror.Write(w, http.StatusServiceUnavailable, apierror.CodeNotCommitted,
			"the request was not committed, and wrote nothing; retry it with the same "+IdempotencyKeyHeader)
	}
}

// replay answers the stored answer again, if it answered this request.
func (h *idempotency) replay(w http.ResponseWriter, stored *store.IdempotentResponse, req idempotentRequest) {
	if stored.RequestHash != req.hash {
		apierror.Write(w, http.StatusUnprocessableEntity, apierror.CodeIdempotencyKeyReused,
			fmt.Sprintf("this %s was used for a different request in the last %d hours; send a new key with a new request",
				IdempotencyKeyHeader, int(IdempotencyTTL.Hours())))
		return
	}
	w.Header().Set("Content-Type", stored.ContentType)
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(stored.Status)
	w.Write(stored.Body)
}

// sweep deletes the expired keys, once a sweepEvery per process at most.
// A key found expired is replaced anyway: this only bounds the table.
func (h *idempotency) sweep(ctx context.Context, now time.Time) {
	last := h.lastSweep.Load()
	if now.UnixNano()-last < int64(sweepEvery) || !h.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := h.st.DeleteIdempotencyKeys(ctx, now.Add(-IdempotencyTTL)); err != nil {
		h.log.WarnContext(ctx, "delete expired idempotency keys", "error", err)
	}
}

// bufferedResponse keeps an answer until its transaction commits.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) writeTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

// failingReader fails with err.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }
