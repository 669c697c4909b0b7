package tracing

import (
	"context"
	"strings"
	"testing"
)

// TestSetup: tracing is off without an endpoint, or with OTEL_SDK_DISABLED;
// an unknown protocol stops the start, naming the variable.
func TestSetup(t *testing.T) {
	ctx := context.Background()
	for _, env := range []map[string]string{
		{},
		{EnvSDKDisabled: "true", EnvEndpoint: "http://127.0.0.1:4318"},
		{EnvProtocol: "grpc"},
	} {
		tp, err := Setup(ctx, func(k string) string { return env[k] }, "test")
		if tp != nil || err != nil {
			t.Errorf("%v: %v, %v; want no provider", env, tp, err)
		}
	}
	for _, env := range []map[string]string{
		{EnvEndpoint: "http://127.0.0.1:4318"},
		{EnvTracesEndpoint: "http://127.0.0.1:4318/v1/traces", EnvProtocol: "http/protobuf"},
		{EnvEndpoint: "http://127.0.0.1:4317", EnvProtocol: "grpc"},
	} {
		tp, err := Setup(ctx, func(k string) string { return env[k] }, "test")
		if tp == nil || err != nil {
			t.Errorf("%v: %v, %v; want a provider", env, tp, err)
			continue
		}
		tp.Shutdown(ctx)
	}
	_, err := Setup(ctx, func(k string) string {
		return map[string]string{EnvEndpoint: "http://127.0.0.1:4318", EnvProtocol: "http/json"}[k]
	}, "test")
	if err == nil || !strings.Contains(err.Error(), EnvProtocol) || !strings.Contains(err.Error(), "http/json") {
		t.Errorf("http/json: %v", err)
	}
}
