// Package tracing is Pointguard's OpenTelemetry traces: the tracer
// provider, exporting over OTLP when the standard OTEL_EXPORTER_OTLP_*
// variables name an endpoint and off otherwise; the HTTP middleware that
// starts a request's span (otelhttp); and the gqlgen extension that gives
// each GraphQL operation its span, whichever executor runs it. The SQL
// statements' spans are package store's (otelsql, Options.Tracer).
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The environment variables Setup reads, as OpenTelemetry names them. The
// exporter reads the rest of the standard ones itself (OTEL_EXPORTER_OTLP_HEADERS,
// _TIMEOUT, _CERTIFICATE…), and the SDK its sampler (OTEL_TRACES_SAMPLER)
// and batching (OTEL_BSP_*).
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvServiceName    = "OTEL_SERVICE_NAME"
	EnvSDKDisabled    = "OTEL_SDK_DISABLED"
)

// ServiceName is service.name when OTEL_SERVICE_NAME is unset.
const ServiceName = "pointguard"

// scope names the tracer of Pointguard's own spans (the operations').
const scope = "github.com/pointguard/pointguard/tracing"

// propagator reads and writes W3C traceparent and baggage headers, so that
// a caller's trace continues here.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Setup is the tracer provider the environment asks for: nil (tracing off)
// unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// is set, and OTEL_SDK_DISABLED is not true. Its spans are sent in batches
// over OTLP, by HTTP (http/protobuf, the default) or gRPC
// (OTEL_EXPORTER_OTLP_PROTOCOL=grpc). Shut it down to send the last ones.
// version is service.version.
func Setup(ctx context.Context, getenv func(string) string, version string) (*sdktrace.TracerProvider, error) {
	if strings.EqualFold(getenv(EnvSDKDisabled), "true") {
		return nil, nil
	}
	endpoint, perSignal := getenv(EnvTracesEndpoint), true
	if endpoint == "" {
		endpoint, perSignal = getenv(EnvEndpoint), false
	}
	if endpoint == "" {
		return nil, nil
	}
	protocol := getenv(EnvTracesProtocol)
	if protocol == "" {
		protocol = getenv(EnvProtocol)
	}
	exporter, err := newExporter(ctx, protocol, endpoint, perSignal)
	if err != nil {
		return nil, err
	}
	name := getenv(EnvServiceName)
	if name == "" {
		name = ServiceName
	}
	// OTEL_RESOURCE_ATTRIBUTES (WithFromEnv) may add to these; a later
	// source wins, and OTEL_SERVICE_NAME comes last, as the spec says.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(ServiceName), semconv.ServiceVersion(version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(semconv.ServiceName(name)))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)), nil
}

// newExporter is the OTLP exporter for protocol. By the spec, an
// OTEL_EXPORTER_OTLP_ENDPOINT is a base to which HTTP adds /v1/traces,
// and a per-signal endpoint is used as it is.
func newExporter(ctx context.Context, protocol, endpoint string, perSignal bool) (*otlptrace.Exporter, error) {
	var (
		exporter *otlptrace.Exporter
		err      error
	)
	switch protocol {
	case "", "http/protobuf":
		if !perSignal {
			endpoint = strings.TrimSuffix(endpoint, "/") + "/v1/traces"
		}
		exporter, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	case "grpc":
		exporter, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(endpoint))
	default:
		return nil, fmt.Errorf("%s: %q is neither http/protobuf nor grpc", EnvProtocol, protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP endpoint %q: %w", endpoint, err)
	}
	return exporter, nil
}

// Middleware gives each request a server span named for its method and
// path, the child of the caller's span when a traceparent header names
// one. Inner handlers find it in the request's context.
func Middleware(tracer trace.TracerProvider, next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "",
		otelhttp.WithTracerProvider(tracer), otelhttp.WithPropagators(propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
}
