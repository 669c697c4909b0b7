package tracing

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Operations is the gqlgen extension that wraps each operation's execution
// in a span named "query OrgGraph" (its type and name, as OpenTelemetry's
// GraphQL conventions say), with its errors. It is a response interceptor
// registered before package executor's, so that both executors' work, and
// the statements they run, are its children.
//
// By hand, not otelgqlgen: the contrib module of that name targets an
// older gqlgen (v0.14), and one span per operation is what we want (a
// span per field would be thousands for one org graph).
type Operations struct{ tracer trace.Tracer }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Operations{}

// NewOperations is the extension, its spans made by provider's tracer.
func NewOperations(provider trace.TracerProvider) Operations {
	return Operations{tracer: provider.Tracer(scope)}
}

func (Operations) ExtensionName() string                   { return "Tracing" }
func (Operations) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse runs the operation inside its span.
func (o Operations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	kind, name := "query", op.OperationName
	attrs := make([]attribute.KeyValue, 0, 2)
	if op.Operation != nil {
		kind = string(op.Operation.Operation)
		if name == "" {
			name = op.Operation.Name
		}
		attrs = append(attrs, operationType(op.Operation.Operation))
	}
	spanName := kind
	if name != "" {
		spanName += " " + name
		attrs = append(attrs, semconv.GraphQLOperationName(name))
	}
	ctx, span := o.tracer.Start(ctx, spanName, trace.WithAttributes(attrs...))
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetStatus(codes.Error, resp.Errors[0].Message)
		span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
	}
	return resp
}

func operationType(op ast.Operation) attribute.KeyValue {
	switch op {
	case ast.Mutation:
		return semconv.GraphQLOperationTypeMutation
	case ast.Subscription:
		return semconv.GraphQLOperationTypeSubscription
	}
	return semconv.GraphQLOperationTypeQuery
}
