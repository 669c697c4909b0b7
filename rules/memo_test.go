package rules

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestCanonicalEncoding: the memo of schema validations may only ever
// return the result of an equal config.
func TestCanonicalEncoding(t *testing.T) {
	enc := func(v any) []byte { b, _ := appendCanonical(nil, v); return b }
	same := [][2]any{
		{map[string]any{"a": "1", "b": true}, map[string]any{"b": true, "a": "1"}},
		{map[string]any{"n": json.Number("8443")}, map[string]any{"n": json.Number("8443")}},
		{[]any{"x", nil}, []any{"x", nil}},
	}
	for _, p := range same {
		if !bytes.Equal(enc(p[0]), enc(p[1])) {
			t.Errorf("%v and %v encode differently", p[0], p[1])
		}
	}
	different := [][2]any{
		{"1", json.Number("1")},
		{map[string]any{"ab": "c"}, map[string]any{"a": "bc"}},
		{[]any{"ab"}, []any{"a", "b"}},
		{map[string]any{"a": nil}, map[string]any{}},
		{true, "t"},
		{[]any{}, map[string]any{}},
		{map[string]any{"a": map[string]any{"b": "c"}}, map[string]any{"a": map[string]any{"b": "d"}}},
	}
	if _, ok := appendCanonical(nil, map[string]any{"x": math.NaN()}); ok {
		t.Error("NaN is not JSON, yet it was given a cache key")
	}
	for _, p := range different {
		if bytes.Equal(enc(p[0]), enc(p[1])) {
			t.Errorf("%v and %v encode alike", p[0], p[1])
		}
	}
}

// TestValidateConfigMemo: a remembered result is the one a fresh
// validation gives, for valid and invalid configs alike.
func TestValidateConfigMemo(t *testing.T) {
	for _, config := range []map[string]any{
		{"project": "SEC", "site_url": "https://acme.atlassian.net"},
		{"project": "SEC", "site_url": "http://acme.atlassian.net"},
		{"project": true},
	} {
		first := validateConfig("jira", config)
		again := validateConfig("jira", config)
		if len(first) != len(again) {
			t.Fatalf("memo changed the result for %v: %v vs %v", config, first, again)
		}
		for i := range first {
			if first[i] != again[i] {
				t.Errorf("memo changed problem %d: %v vs %v", i, first[i], again[i])
			}
		}
	}
	if len(validateConfig("jira", map[string]any{"project": "SEC", "site_url": "http://x"})) == 0 {
		t.Error("an http site_url must be a problem")
	}
	if len(validateConfig("zendesk", map[string]any{"project": "SEC", "site_url": "http://x"})) != 0 {
		t.Error("the memo must key on the provider too")
	}
}
