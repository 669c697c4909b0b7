package limits

import (
	"strings"
	"testing"
	"time"

	"github.com/pointguard/pointguard/admission"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c != Default() {
		t.Errorf("got %+v, want %+v", c, Default())
	}
	want := Config{MaxDepth: 12, MaxComplexity: 50_000, RatePerSecond: 50_000, RateBurst: 100_000,
		FailuresPerSecond: 100, FailureBurst: 200, Introspection: true,
		RequestTimeout: 10 * time.Second, Admission: admission.Config{Capacity: 50_000, Light: 100, MaxQueue: 1_000, Wait: 2 * time.Second}}
	if Default() != want {
		t.Errorf("defaults %+v, want %+v", Default(), want)
	}
}

func TestFromEnvValues(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"POINTGUARD_MAX_DEPTH":       "8",
		"POINTGUARD_MAX_COMPLEXITY":  " 1000 ",
		"POINTGUARD_RATE_LIMIT":      "2.5",
		"POINTGUARD_RATE_BURST":      "7",
		"POINTGUARD_INTROSPECTION":   "false",
		"POINTGUARD_REQUEST_TIMEOUT": "2m",
		"POINTGUARD_MAX_WORK":        "5000",
		"POINTGUARD_MAX_QUEUE":       "0",
		"POINTGUARD_QUEUE_WAIT":      "250ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{MaxDepth: 8, MaxComplexity: 1000, RatePerSecond: 2.5, RateBurst: 7,
		FailuresPerSecond: 100, FailureBurst: 200, Introspection: false,
		RequestTimeout: 2 * time.Minute, Admission: admission.Config{Capacity: 5000, Light: 100, MaxQueue: 0, Wait: 250 * time.Millisecond}}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}

	// A rate without a burst: twice the rate, at least 1.
	for rate, burst := range map[string]int{"2.5": 5, "0.1": 1, "1000": 2000} {
		c, err := FromEnv(env(map[string]string{"POINTGUARD_RATE_LIMIT": rate}))
		if err != nil || c.RateBurst != burst {
			t.Errorf("rate %s: burst %d (%v), want %d", rate, c.RateBurst, err, burst)
		}
	}
	// 0 disables rate limiting.
	c, err = FromEnv(env(map[string]string{"POINTGUARD_RATE_LIMIT": "0"}))
	if err != nil || c.RatePerSecond != 0 {
		t.Errorf("rate 0: %+v %v", c, err)
	}
	c, err = FromEnv(env(map[string]string{"POINTGUARD_INTROSPECTION": "TRUE"}))
	if err != nil || !c.Introspection {
		t.Errorf("introspection TRUE: %+v %v", c, err)
	}
}

func TestFromEnvErrors(t *testing.T) {
	for name, bad := range map[string][]string{
		"POINTGUARD_MAX_DEPTH":       {"0", "-1", "ten", "1.5", "99999999999999999999"},
		"POINTGUARD_MAX_COMPLEXITY":  {"0", "-5", "lots"},
		"POINTGUARD_RATE_LIMIT":      {"-1", "fast", "NaN", "Inf"},
		"POINTGUARD_RATE_BURST":      {"0", "-2", "1.5"},
		"POINTGUARD_INTROSPECTION":   {"yes", "off", "2"},
		"POINTGUARD_REQUEST_TIMEOUT": {"10", "-1s", "50ms", "soon"},
		"POINTGUARD_MAX_WORK":        {"-3", "lots"},
		"POINTGUARD_MAX_QUEUE":       {"-1", "many"},
		"POINTGUARD_QUEUE_WAIT":      {"1", "-1s", "briefly"},
	} {
		for _, v := range bad {
			_, err := FromEnv(env(map[string]string{name: v}))
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), v) {
				t.Errorf("%s=%q: error %v, want one naming the variable and the value", name, v, err)
			}
		}
	}

	// Every bad variable is reported at once.
	_, err := FromEnv(env(map[string]string{"POINTGUARD_MAX_DEPTH": "x", "POINTGUARD_RATE_BURST": "y"}))
	if err == nil || !strings.Contains(err.Error(), "POINTGUARD_MAX_DEPTH") || !strings.Contains(err.Error(), "POINTGUARD_RATE_BURST") {
		t.Errorf("two bad variables: %v", err)
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, c := range []Config{
		{MaxDepth: 0, MaxComplexity: 1},
		{MaxDepth: 1, MaxComplexity: 0},
		{MaxDepth: 1, MaxComplexity: 1, RatePerSecond: -1},
		{MaxDepth: 1, MaxComplexity: 1, RatePerSecond: 1, RateBurst: 0},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v is valid", c)
		}
	}
	if err := (Config{MaxDepth: 1, MaxComplexity: 1}).Validate(); err != nil {
		t.Errorf("rate limiting off needs no burst: %v", err)
	}
}

// TestUseRefusesBadLimits: gqlgen checks the extensions when they are
// added, so a zero limit fails at start-up, not per request.
func TestUseRefusesBadLimits(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a zero depth limit was accepted")
		}
	}()
	server(Config{MaxDepth: 0, MaxComplexity: 1})
}
