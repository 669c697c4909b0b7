package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/dataloaders"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
)

// Subscriptions run over a websocket on /graphql (gqlgen's transport,
// graphql-transport-ws). Its connection outlives any request, so it takes
// another way through the middleware than a POST:
//   - requestid names the upgrade, the rate limit counts it by address;
//   - the token comes in connection_init's payload ({"authorization":
//     "Bearer <token>"}, auth.Check, as Authenticate checks the header): a
//     bad one closes the socket with 4403 and counts as a failed attempt of
//     the address, which is refused at the upgrade once out of them;
//   - the request deadline, the body's bounds, idempotency keys and
//     admission control do not apply: only subscriptions run on it (a
//     query or mutation over it is refused: POST them), each costs its
//     start and then one small read per event, and they are capped per
//     token and per process (eventstream.Config) instead of holding
//     admission's room for as long as they last;
//   - the query limits (depth, complexity, selections) apply as to a POST;
//   - the token is looked up again every tokenRecheck: revoked or expired,
//     the socket is closed (4403, with the reason).

// tokenRecheck is how often a websocket's token is looked up again.
const tokenRecheck = 2 * time.Second

// Close codes: graphql-transport-ws's Forbidden, and RFC 6455's going away.
const (
	closeForbidden = 4403
	closeGoingAway = 1001
)

// websockets are the open subscription connections.
type websockets struct {
	st       *store.Store
	now      func() time.Time
	failures auth.Throttle
	log      *slog.Logger

	mu     sync.Mutex
	open   map[*wsState]struct{}
	closed bool
}

// wsState is one connection's: how to end it, and the close code and
// reason to end it with (gqlgen's transport closes a cancelled connection
// with 1000 "terminated"; wsConn substitutes these).
type wsState struct {
	cancel  context.CancelFunc
	mu      sync.Mutex
	code    int
	reason  string
	request *http.Request
}

func (s *wsState) end(code int, reason string) {
	s.mu.Lock()
	if s.code == 0 {
		s.code, s.reason = code, reason
	}
	s.mu.Unlock()
	s.cancel()
}

type wsStateKey struct{}

func newWebsockets(st *store.Store, now func() time.Time, failures auth.Throttle, log *slog.Logger) *websockets {
	return &websockets{st: st, now: now, failures: failures, log: log, open: map[*wsState]struct{}{}}
}

// handler upgrades r for gql (a server with the websocket transport).
func (ws *websockets) handler(gql http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws.failures.Refused(w, r) {
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		s := &wsState{cancel: cancel, request: r}
		ws.mu.Lock()
		if ws.closed {
			ws.mu.Unlock()
			apierror.Write(w, http.StatusServiceUnavailable, apierror.CodeOverloaded, "the server is shutting down; connect again")
			return
		}
		ws.open[s] = struct{}{}
		ws.mu.Unlock()
		defer func() {
			ws.mu.Lock()
			delete(ws.open, s)
			ws.mu.Unlock()
		}()
		gql.ServeHTTP(w, r.WithContext(context.WithValue(ctx, wsStateKey{}, s)))
	})
}

// closeAll ends every connection (going away: the client connects again,
// to another replica) and refuses new ones.
func (ws *websockets) closeAll() {
	ws.mu.Lock()
	ws.closed = true
	open := make([]*wsState, 0, len(ws.open))
	for s := range ws.open {
		open = append(open, s)
	}
	ws.mu.Unlock()
	for _, s := range open {
		s.end(closeGoingAway, "the server is shutting down")
	}
}

// transport is gqlgen's websocket transport, authenticating at init.
func (ws *websockets) transport() transport.Websocket {
	return transport.Websocket{
		Implementation: wsImplementation{},
		InitFunc:       ws.init,
		InitTimeout:    10 * time.Second,
		// Pings find the connections whose client is gone.
		PingPongInterval: 20 * time.Second,
		ErrorFunc: func(ctx context.Context, err error) {
			ws.log.DebugContext(ctx, "websocket", "error", err)
		},
	}
}

// init authenticates a connection by its connection_init payload and
// watches its token from then on.
func (ws *websockets) init(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	s, _ := ctx.Value(wsStateKey{}).(*wsState)
	if s == nil {
		return ctx, nil, errors.New("internal error")
	}
	bearer := payload.Authorization()
	t, failure, err := auth.Check(ctx, ws.st, bearer, ws.now())
	switch {
	case err != nil:
		ws.log.ErrorContext(ctx, "authenticate a websocket", "error", err)
		return transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, "internal error"), 4500), nil, errors.New("internal error")
	case t == nil:
		if bearer == "" {
			failure = `missing token: send {"authorization": "Bearer <token>"} as connection_init's payload`
		}
		ws.failures.Failed(s.request)
		return transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, failure), closeForbidden), nil, errors.New(failure)
	}
	go ws.watch(ctx, s, bearer)
	return auth.WithToken(ctx, t), nil, nil
}

// watch closes the connection once its token no longer authenticates.
func (ws *websockets) watch(ctx context.Context, s *wsState, bearer string) {
	tick := time.NewTicker(tokenRecheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t, failure, err := auth.Check(ctx, ws.st, bearer, ws.now())
		switch {
		case err != nil:
			if ctx.Err() == nil {
				ws.log.WarnContext(ctx, "check a websocket's token", "error", err)
			}
		case t == nil:
			s.end(closeForbidden, failure)
			return
		}
	}
}

// wsImplementation is gqlgen's default (coder/websocket) whose close
// frames carry the code and reason a connection was ended with.
type wsImplementation struct {
	transport.CoderWebsocketImplementation
}

func (i wsImplementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	s, _ := r.Context().Value(wsStateKey{}).(*wsState)
	return &wsConn{WebsocketConn: c, s: s}, nil
}

type wsConn struct {
	transport.WebsocketConn
	s *wsState
}

func (c *wsConn) WriteClose(code int, message string) error {
	if c.s != nil {
		c.s.mu.Lock()
		if c.s.code != 0 {
			code, message = c.s.code, c.s.reason
		}
		c.s.mu.Unlock()
	}
	return c.WebsocketConn.WriteClose(code, message)
}

func (c *wsConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// subscriptionsOnly refuses queries and mutations over the websocket:
// sent by POST, they have the request deadline, admission control and
// idempotency keys.
type subscriptionsOnly struct{}

var _ graphql.OperationContextMutator = subscriptionsOnly{}

func (subscriptionsOnly) ExtensionName() string                   { return "SubscriptionsOnly" }
func (subscriptionsOnly) Validate(graphql.ExecutableSchema) error { return nil }
func (subscriptionsOnly) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation != nil && op.Operation.Operation != ast.Subscription {
		e := gqlerror.Errorf("only subscriptions run over the websocket; send queries and mutations by POST to /graphql")
		errcode.Set(e, apierror.CodeBadUserInput)
		return e
	}
	return nil
}

// freshLoaders gives each event of a subscription loaders of its own, that
// read what the token may see: a connection outlives a request's loaders,
// whose cache would show the objects as they were at its start.
type freshLoaders struct{ st *store.Store }

var _ graphql.ResponseInterceptor = freshLoaders{}

func (freshLoaders) ExtensionName() string                   { return "FreshLoaders" }
func (freshLoaders) Validate(graphql.ExecutableSchema) error { return nil }
func (f freshLoaders) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(dataloaders.With(ctx, dataloaders.New(f.st.Read(policy.From(ctx).Scope()))))
}
