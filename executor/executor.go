// Package executor runs GraphQL query operations in place of gqlgen's
// generated executor, for speed: no goroutine, context or interface
// marshaller per field.
//
// gqlgen still parses, validates, applies the limits, runs mutations and
// introspection, and presents errors. This executor plans the validated
// selection (plan.go) against the fields it knows (fields.go), fetches
// each level of the answer with one batched statement per field through
// the caller's scoped store.Reader (fetch.go), and writes the JSON into
// one buffer (write.go).
//
// An operation it cannot run as a whole goes to gqlgen: one that selects a
// field it does not know, has an argument gqlgen would refuse, or meets
// any error while it runs (reads have no side effects, so gqlgen simply
// runs it again). gqlgen thus words every error, and the differential
// tests hold the two to the same answers.
package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// Executor is a gqlgen handler extension; install it last, so that it sees
// only the operations every other extension let through.
type Executor struct {
	schema *ast.Schema
	store  *store.Store
	log    *slog.Logger
	// sizeHint is the size of a recent answer, to allocate the next buffer once.
	sizeHint atomic.Int64
}

// New returns an executor of schema's query operations over st.
func New(schema *ast.Schema, st *store.Store, log *slog.Logger) *Executor {
	return &Executor{schema: schema, store: st, log: log}
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*Executor)(nil)

func (e *Executor) ExtensionName() string                   { return "PointguardExecutor" }
func (e *Executor) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse answers a query operation, or hands it to gqlgen (next).
func (e *Executor) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if len(graphql.GetErrors(ctx)) > 0 {
		// The operation was refused before execution (parse, validation,
		// limits): gqlgen writes that answer.
		return next(ctx)
	}
	answer, err := e.execute(ctx, graphql.GetOperationContext(ctx))
	if err != nil {
		var why *errUnplanned
		if errors.As(err, &why) {
			e.log.DebugContext(ctx, "query run by gqlgen", "reason", why.reason)
		} else {
			// A bug, or the database failing: gqlgen answers (its way
			// of wording errors is the one), and the operator hears of it.
			e.log.WarnContext(ctx, "query run again by gqlgen", "error", err)
		}
		return next(ctx)
	}
	return answered(ctx, answer, graphql.GetExtensions(ctx))
}

// execute plans and runs the operation, returning its answer, the data
// inside answerPrefix and answerSuffix, in a buffer of the pool.
func (e *Executor) execute(ctx context.Context, op *graphql.OperationContext) (answer *[]byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.ErrorContext(ctx, "executor panic; gqlgen runs the query", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			answer, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	root, err := plan(e.schema, op)
	if err != nil {
		return nil, err
	}
	r := &run{ctx: ctx, read: e.store.Read(policy.From(ctx).Scope())}
	if err := r.fetchAll(root); err != nil {
		return nil, err
	}
	buf := getBuffer(int(e.sizeHint.Load()) + 512)
	b := append(*buf, answerPrefix...)
	if b, err = write(b, "Query", root, theQuery); err != nil {
		putBuffer(buf)
		return nil, err
	}
	*buf = append(b, answerSuffix...)
	e.sizeHint.Store(int64(min(len(*buf), maxPooled)))
	return buf, nil
}
