package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/domain"
)

// The helpers below are prefixed with "v" so that they do not collide with
// those of the package's other tests.

// vInvalid is the INVALID_INPUT problem the validators report.
func vInvalid(message string, field ...string) domain.UserError {
	return domain.UserError{Code: domain.CodeInvalidInput, Field: field, Message: message}
}

func vNotFound(message string, field ...string) domain.UserError {
	return domain.UserError{Code: domain.CodeNotFound, Field: field, Message: message}
}

// vAssert runs the validations and compares every problem (code, field and
// message, in order) with want.
func vAssert(t *testing.T, run func(p *problems), want ...domain.UserError) {
	t.Helper()
	var p problems
	run(&p)
	err := p.err()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("problems = %s, want none", vShow(p.list))
		}
		return
	}
	got := domain.AsUserErrors(err)
	if got == nil {
		t.Fatalf("err() = %v, want domain.UserErrors", err)
	}
	if !reflect.DeepEqual([]domain.UserError(got), want) {
		t.Fatalf("problems:\n got: %s\nwant: %s", vShow(got), vShow(want))
	}
}

func vShow(list []domain.UserError) string {
	b, _ := json.Marshal(list)
	return string(b)
}

func vIntPtr(n int) *int { return &n }

func TestProblems(t *testing.T) {
	t.Run("NoneIsNilError", func(t *testing.T) {
		var p problems
		p.slug("acme", "input", "slug")
		p.name("Acme", "input", "name")
		if err := p.err(); err != nil {
			t.Fatalf("err() = %#v, want a nil error (not a nil UserErrors in an interface)", err)
		}
	})

	t.Run("AllReportedAtOnce", func(t *testing.T) {
		var p problems
		p.slug("Bad Slug", "input", "slug")
		p.name("  ", "input", "name")
		p.requiredConfig([]string{"project", "project"}, "input", "requiredConfig")
		p.limit(vIntPtr(0), "input", "maxIntegrationsPerAccount")
		p.allowedProviders(domain.AllowedProviders{Prod: []string{"mock_ticketing"}}, domain.CategoryTicketing, "input", "allowedProviders")
		p.id("nope", domain.KindOrganization, "input", "organizationId")

		want := domain.UserErrors{
			vInvalid(`input.slug must be 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter or digit; got "Bad Slug"`, "input", "slug"),
			vInvalid("input.name must not be empty", "input", "name"),
			vInvalid(`Config key "project" is listed twice`, "input", "requiredConfig", "1"),
			vInvalid("input.maxIntegrationsPerAccount must be between 1 and 10000, or null for no limit; got 0", "input", "maxIntegrationsPerAccount"),
			vInvalid("Provider mock_ticketing is a mock and may be approved for TEST accounts only", "input", "allowedProviders", "prod", "0"),
			vNotFound(`No organization has the ID "nope"`, "input", "organizationId"),
		}
		err := p.err()
		var got domain.UserErrors
		if !errors.As(err, &got) {
			t.Fatalf("err() = %T, want domain.UserErrors", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("problems:\n got: %s\nwant: %s", vShow(got), vShow(want))
		}
		msgs := make([]string, len(want))
		for i, u := range want {
			msgs[i] = u.Message
		}
		if err.Error() != strings.Join(msgs, "; ") {
			t.Errorf("Error() = %q, want every message joined by \"; \"", err.Error())
		}
	})
}

func TestProblemsSlug(t *testing.T) {
	valid := []string{
		"a", "0", "acme", "acme-prod", "acme_prod", "9lives", "a-", "a_", "a--b",
		strings.Repeat("a", 63),
		"a" + strings.Repeat("-", 62),
	}
	for _, s := range valid {
		t.Run("Valid/"+s, func(t *testing.T) {
			vAssert(t, func(p *problems) { p.slug(s, "input", "slug") })
		})
	}

	invalid := []struct{ name, slug string }{
		{"Empty", ""},
		{"UpperCase", "Acme"},
		{"AllUpperCase", "ACME"},
		{"LeadingHyphen", "-acme"},
		{"LeadingUnderscore", "_acme"},
		{"Space", "acme corp"},
		{"Dot", "acme.corp"},
		{"Slash", "acme/corp"},
		{"NonASCII", "acmé"},
		{"TrailingNewline", "acme\n"},
		{"LeadingSpace", " acme"},
		{"64Chars", strings.Repeat("a", 64)},
	}
	for _, tt := range invalid {
		t.Run("Invalid/"+tt.name, func(t *testing.T) {
			vAssert(t, func(p *problems) { p.slug(tt.slug, "input", "slug") },
				vInvalid(fmt.Sprintf(`input.slug must be 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter or digit; got %q`, tt.slug),
					"input", "slug"))
		})
	}
}

func TestProblemsName(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		message string // "" = valid
	}{
		{name: "Simple", value: "Acme Corp"},
		{name: "OneChar", value: "x"},
		{name: "PaddedIsKept", value: "  Acme  "},
		{name: "200Chars", value: strings.Repeat("n", 200)},
		{name: "200MultiByteRunes", value: strings.Repeat("é", 200)},
		{name: "Empty", value: "", message: "input.name must not be empty"},
		{name: "Blank", value: "   ", message: "input.name must not be empty"},
		{name: "Whitespace", value: "\t\n \r", message: "input.name must not be empty"},
		{name: "201Chars", value: strings.Repeat("n", 201), message: "input.name must be at most 200 characters, got 201"},
		{name: "201MultiByteRunes", value: strings.Repeat("日", 201), message: "input.name must be at most 200 characters, got 201"},
		{name: "InvalidUTF8", value: "Acme\xff", message: "input.name must be valid UTF-8"},
		{name: "Emoji", value: "🚀 Launch"},
		{name: "ZeroWidthJoinerInside", value: "👩\u200d💻 team"},
		{name: "RightToLeft", value: "שלום \u200fAcme"},
		{name: "ZeroWidthSpaceOnly", value: "\u200b", message: "input.name must contain a visible character, not only spaces or invisible ones"},
		{name: "InvisibleOnly", value: "\ufeff\u3164\u2800\u00a0\u0301", message: "input.name must contain a visible character, not only spaces or invisible ones"},
		{name: "ANSIEscape", value: "\x1b[31mAcme\x1b[0m", message: "input.name must not contain control characters; character 1 is U+001B"},
		{name: "NewLine", value: "Acme\nCorp", message: "input.name must not contain control characters; character 5 is U+000A"},
		{name: "C1Control", value: "Acme\u009b", message: "input.name must not contain control characters; character 5 is U+009B"},
		{name: "BidiOverride", value: "Acme \u202egnp.exe", message: "input.name must not contain bidirectional overrides or isolates, " +
			"which make text read otherwise than it is stored; character 6 is U+202E"},
		{name: "BidiIsolate", value: "\u2066Acme", message: "input.name must not contain bidirectional overrides or isolates, " +
			"which make text read otherwise than it is stored; character 1 is U+2066"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []domain.UserError
			if tt.message != "" {
				want = append(want, vInvalid(tt.message, "input", "name"))
			}
			vAssert(t, func(p *problems) { p.name(tt.value, "input", "name") }, want...)
		})
	}

	t.Run("OptionalTextMayBeEmpty", func(t *testing.T) {
		vAssert(t, func(p *problems) { p.text("", MaxDescriptionLength, false, "input", "description") })
		vAssert(t, func(p *problems) { p.text("  ", MaxDescriptionLength, false, "input", "description") })
	})
	t.Run("ProseMayBreakLines", func(t *testing.T) {
		vAssert(t, func(p *problems) { p.prose("Line one.\r\n\tLine two.", MaxDescriptionLength, "input", "description") })
		vAssert(t, func(p *problems) { p.prose("\u200b", MaxDescriptionLength, "input", "description") })
		vAssert(t, func(p *problems) { p.prose("Red\x1b[31m", MaxDescriptionLength, "input", "description") },
			vInvalid("input.description must not contain control characters; character 4 is U+001B", "input", "description"))
	})
	t.Run("LabelValuesAreOneLine", func(t *testing.T) {
		vAssert(t, func(p *problems) { p.text("a\tb", MaxLabelValueLength, false, "value") },
			vInvalid("value must not contain control characters; character 2 is U+0009", "value"))
	})
	t.Run("OptionalTextTooLong", func(t *testing.T) {
		vAssert(t, func(p *problems) {
			p.text(strings.Repeat("d", 2001), MaxDescriptionLength, false, "input", "description")
		},
			vInvalid("input.description must be at most 2000 characters, got 2001", "input", "description"))
	})
}

func TestProblemsID(t *testing.T) {
	org := domain.NewID(domain.KindOrganization)
	acc := domain.NewID(domain.KindAccount)

	t.Run("RightKind", func(t *testing.T) {
		var p problems
		if !p.id(acc, domain.KindAccount, "input", "accountId") {
			t.Error("id() = false for a well-formed account ID")
		}
		if p.err() != nil {
			t.Errorf("problems = %s", vShow(p.list))
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		var p problems
		if p.id("acc_123", domain.KindAccount, "input", "accountId") {
			t.Error("id() = true for a malformed ID")
		}
		want := []domain.UserError{vNotFound(`No account has the ID "acc_123"`, "input", "accountId")}
		if !reflect.DeepEqual([]domain.UserError(p.list), want) {
			t.Errorf("problems:\n got: %s\nwant: %s", vShow(p.list), vShow(want))
		}
	})

	t.Run("WrongKind", func(t *testing.T) {
		var p problems
		if p.id(org, domain.KindAccount, "input", "accountId") {
			t.Error("id() = true for an organization ID where an account's is wanted")
		}
		if len(p.list) != 1 {
			t.Fatalf("problems = %s, want one", vShow(p.list))
		}
		u := p.list[0]
		if u.Code != domain.CodeNotFound || !reflect.DeepEqual(u.Field, []string{"input", "accountId"}) {
			t.Errorf("problem = %s, want NOT_FOUND at input.accountId", vShow(p.list))
		}
		for _, part := range []string{strconv.Quote(org), "organization", "account"} {
			if !strings.Contains(u.Message, part) {
				t.Errorf("message %q does not mention %s", u.Message, part)
			}
		}
	})
}

func TestProblemsLabels(t *testing.T) {
	labels := func(n int) []domain.Label {
		out := make([]domain.Label, n)
		for i := range out {
			out[i] = domain.Label{Key: "k" + strconv.Itoa(i), Value: "v"}
		}
		return out
	}
	keyProblem := func(key string, i int) domain.UserError {
		return vInvalid(fmt.Sprintf(`Label key %q must be 1 to 63 letters, digits, '.', '_', '/' or '-', starting with a letter or digit`, key),
			"input", "labels", strconv.Itoa(i), "key")
	}

	tests := []struct {
		name   string
		labels []domain.Label
		want   []domain.UserError
	}{
		{name: "Nil"},
		{name: "Empty", labels: []domain.Label{}},
		{name: "64Labels", labels: labels(64)},
		{name: "ValidKeys", labels: []domain.Label{
			{Key: "env", Value: "prod"},
			{Key: "app.kubernetes.io/name", Value: "api"},
			{Key: "Team_Name-2", Value: ""},
			{Key: "A", Value: strings.Repeat("v", 255)},
			{Key: strings.Repeat("k", 63), Value: "x"},
		}},
		{
			name:   "65Labels",
			labels: append(labels(64), domain.Label{Key: "bad key"}),
			// Only the count: the labels themselves are not looked at.
			want: []domain.UserError{vInvalid("input.labels may hold at most 64 labels, got 65", "input", "labels")},
		},
		{
			name: "DuplicateKey",
			labels: []domain.Label{
				{Key: "env", Value: "prod"}, {Key: "team", Value: "sec"}, {Key: "env", Value: "test"},
			},
			want: []domain.UserError{vInvalid(`Label key "env" is given twice`, "input", "labels", "2", "key")},
		},
		{
			name: "DuplicateIsCaseSensitive",
			labels: []domain.Label{
				{Key: "env", Value: "prod"}, {Key: "Env", Value: "test"},
			},
		},
		{
			name: "BadKeyAtIndex3",
			labels: []domain.Label{
				{Key: "a"}, {Key: "b"}, {Key: "c"}, {Key: "bad key", Value: "v"},
			},
			want: []domain.UserError{keyProblem("bad key", 3)},
		},
		{name: "EmptyKey", labels: []domain.Label{{Key: ""}}, want: []domain.UserError{keyProblem("", 0)}},
		{name: "LeadingDot", labels: []domain.Label{{Key: ".env"}}, want: []domain.UserError{keyProblem(".env", 0)}},
		{name: "LeadingHyphen", labels: []domain.Label{{Key: "-env"}}, want: []domain.UserError{keyProblem("-env", 0)}},
		{name: "Colon", labels: []domain.Label{{Key: "env:prod"}}, want: []domain.UserError{keyProblem("env:prod", 0)}},
		{name: "NonASCII", labels: []domain.Label{{Key: "envé"}}, want: []domain.UserError{keyProblem("envé", 0)}},
		{name: "64CharKey", labels: []domain.Label{{Key: strings.Repeat("k", 64)}}, want: []domain.UserError{keyProblem(strings.Repeat("k", 64), 0)}},
		{
			name:   "ValueTooLong",
			labels: []domain.Label{{Key: "env", Value: strings.Repeat("v", 256)}},
			want:   []domain.UserError{vInvalid("input.labels.0.value must be at most 255 characters, got 256", "input", "labels", "0", "value")},
		},
		{
			name:   "ValueInvalidUTF8",
			labels: []domain.Label{{Key: "a"}, {Key: "env", Value: "\xfe"}},
			want:   []domain.UserError{vInvalid("input.labels.1.value must be valid UTF-8", "input", "labels", "1", "value")},
		},
		{
			// A bad key keeps its own field even when the value is checked after it.
			name:   "BadKeyAndBadValue",
			labels: []domain.Label{{Key: "bad key", Value: strings.Repeat("v", 256)}},
			want: []domain.UserError{
				keyProblem("bad key", 0),
				vInvalid("input.labels.0.value must be at most 255 characters, got 256", "input", "labels", "0", "value"),
			},
		},
		{
			name: "EveryProblemInOrder",
			labels: []domain.Label{
				{Key: "env", Value: "prod"},
				{Key: "-x", Value: "ok"},
				{Key: "env", Value: "dup"},
				{Key: "ok", Value: strings.Repeat("v", 300)},
			},
			want: []domain.UserError{
				keyProblem("-x", 1),
				vInvalid(`Label key "env" is given twice`, "input", "labels", "2", "key"),
				vInvalid("input.labels.3.value must be at most 255 characters, got 300", "input", "labels", "3", "value"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vAssert(t, func(p *problems) { p.labels(tt.labels, "input", "labels") }, tt.want...)
		})
	}
}

func TestProblemsConfig(t *testing.T) {
	// An object of exactly n bytes of JSON: {"k":"aaa…"} is 8 bytes plus the a's.
	ofSize := func(n int) map[string]any { return map[string]any{"k": strings.Repeat("a", n-8)} }
	if b, _ := json.Marshal(ofSize(100)); len(b) != 100 {
		t.Fatalf("ofSize(100) is %d bytes", len(b))
	}

	t.Run("NilIsEmptyObject", func(t *testing.T) {
		var p problems
		got := p.config(nil, "input", "config")
		if got == nil || len(got) != 0 {
			t.Errorf("config(nil) = %#v, want an empty non-nil map", got)
		}
		if p.err() != nil {
			t.Errorf("problems = %s", vShow(p.list))
		}
	})

	t.Run("NumbersInCanonicalForm", func(t *testing.T) {
		// Variables bring json.Number, a query's literals int64 and float64.
		in := map[string]any{"project": "SEC", "n": json.Number("3"), "e": json.Number("1e2"), "z": json.Number("-0"),
			"nested": map[string]any{"a": []any{1.0, int64(7), 2.5e-7}}}
		want := map[string]any{"project": "SEC", "n": json.Number("3"), "e": json.Number("100"), "z": json.Number("0"),
			"nested": map[string]any{"a": []any{json.Number("1"), json.Number("7"), json.Number("0.00000025")}}}
		var p problems
		got := p.config(in, "input", "config")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("config = %#v, want %#v", got, want)
		}
		if p.err() != nil {
			t.Errorf("problems = %s", vShow(p.list))
		}
	})

	t.Run("SecretInsideList", func(t *testing.T) {
		// A secret key is fine at any depth of objects, refused inside a list.
		in := map[string]any{"api_token": "a", "app": map[string]any{"private_key": "b"},
			"extra": []any{"x", map[string]any{"name": "n", "nested": []any{map[string]any{"password": "c"}}}}}
		var p problems
		p.config(in, "input", "config")
		want := []domain.UserError{vInvalid("input.config.extra.1.nested.0.password holds a secret inside a list; "+
			"secrets may only be object keys, where they are kept out of responses", "input", "config", "extra", "1", "nested", "0", "password")}
		if !reflect.DeepEqual([]domain.UserError(p.list), want) {
			t.Errorf("problems:\n got: %s\nwant: %s", vShow(p.list), vShow(want))
		}
	})

	t.Run("ExactlyMaxBytes", func(t *testing.T) {
		var p problems
		if got := p.config(ofSize(MaxConfigBytes), "input", "config"); got == nil || p.err() != nil {
			t.Errorf("config of %d bytes refused: %s", MaxConfigBytes, vShow(p.list))
		}
	})

	tests := []struct {
		name    string
		value   any
		message string
	}{
		{"String", "{}", "input.config must be a JSON object, got a string"},
		{"Boolean", true, "input.config must be a JSON object, got a boolean"},
		{"Array", []any{map[string]any{}}, "input.config must be a JSON object, got an array"},
		{"Float", 1.5, "input.config must be a JSON object, got a number"},
		{"Int", 3, "input.config must be a JSON object, got a number"},
		{"JSONNumber", json.Number("3"), "input.config must be a JSON object, got a number"},
		{"OneByteOverMax", ofSize(MaxConfigBytes + 1), "input.config must be at most 65536 bytes of JSON as stored (numbers in plain decimal), got 65537"},
		{"FarOverMax", ofSize(100_000), "input.config must be at most 65536 bytes of JSON as stored (numbers in plain decimal), got 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p problems
			if got := p.config(tt.value, "input", "config"); got != nil {
				t.Errorf("config = %v, want nil on a problem", got)
			}
			want := []domain.UserError{vInvalid(tt.message, "input", "config")}
			if !reflect.DeepEqual([]domain.UserError(p.list), want) {
				t.Errorf("problems:\n got: %s\nwant: %s", vShow(p.list), vShow(want))
			}
		})
	}
}

func TestProblemsConfigNumbers(t *testing.T) {
	for name, c := range map[string]struct {
		value   any
		message string
	}{
		"TooBig":     {json.Number("1e400"), "1e400 is out of range"},
		"TooSmall":   {json.Number("1e-400"), "1e-400 is too close to zero"},
		"TooPrecise": {json.Number("9007199254740993"), "the nearest double is 9007199254740992"},
		"BigInt64":   {int64(9007199254740993), "the nearest double is 9007199254740992"},
		"NaN":        {math.NaN(), "must be a finite number"},
	} {
		t.Run(name, func(t *testing.T) {
			var p problems
			if got := p.config(map[string]any{"a": []any{c.value}}, "input", "config"); got != nil {
				t.Errorf("config = %v, want nil on a problem", got)
			}
			if len(p.list) != 1 || p.list[0].Code != domain.CodeInvalidInput ||
				!reflect.DeepEqual(p.list[0].Field, []string{"input", "config", "a", "0"}) ||
				!strings.HasPrefix(p.list[0].Message, "input.config.a.0: ") || !strings.Contains(p.list[0].Message, c.message) {
				t.Errorf("problems: %s, want one at input.config.a.0 saying %q", vShow(p.list), c.message)
			}
		})
	}
	t.Run("ManyAreCounted", func(t *testing.T) {
		in := map[string]any{}
		for i := range 25 {
			in[fmt.Sprintf("k%02d", i)] = json.Number("1e-400")
		}
		var p problems
		p.config(in, "input", "config")
		if len(p.list) != 11 || p.list[0].Field[2] != "k00" ||
			p.list[10].Message != "input.config holds 15 more numbers a double cannot hold" {
			t.Errorf("problems: %s", vShow(p.list))
		}
	})
}

func TestProblemsRequiredConfig(t *testing.T) {
	keys := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "key" + strconv.Itoa(i)
		}
		return out
	}
	blank := func(k string, i int) domain.UserError {
		return vInvalid(fmt.Sprintf("Config key %q must be 1 to 128 characters and not blank", k), "input", "requiredConfig", strconv.Itoa(i))
	}
	tests := []struct {
		name string
		keys []string
		want []domain.UserError
	}{
		{name: "Nil"},
		{name: "Empty", keys: []string{}},
		{name: "Some", keys: []string{"project", "url", "auth.token"}},
		{name: "64Keys", keys: keys(64)},
		{name: "128CharKey", keys: []string{strings.Repeat("k", 128)}},
		{name: "CaseDistinct", keys: []string{"url", "URL"}},
		{
			name: "65Keys", keys: append(keys(64), ""),
			want: []domain.UserError{vInvalid("input.requiredConfig may list at most 64 keys, got 65", "input", "requiredConfig")},
		},
		{
			name: "Duplicate", keys: []string{"project", "url", "project"},
			want: []domain.UserError{vInvalid(`Config key "project" is listed twice`, "input", "requiredConfig", "2")},
		},
		{
			name: "DuplicateTwice", keys: []string{"a", "a", "a"},
			want: []domain.UserError{
				vInvalid(`Config key "a" is listed twice`, "input", "requiredConfig", "1"),
				vInvalid(`Config key "a" is listed twice`, "input", "requiredConfig", "2"),
			},
		},
		{name: "EmptyKey", keys: []string{"project", ""}, want: []domain.UserError{blank("", 1)}},
		{name: "Blank", keys: []string{"  "}, want: []domain.UserError{blank("  ", 0)}},
		{name: "Tab", keys: []string{"\t"}, want: []domain.UserError{blank("\t", 0)}},
		{name: "129CharKey", keys: []string{strings.Repeat("k", 129)}, want: []domain.UserError{blank(strings.Repeat("k", 129), 0)}},
		{
			name: "BlankAndDuplicate", keys: []string{"", "x", "x"},
			want: []domain.UserError{
				blank("", 0),
				vInvalid(`Config key "x" is listed twice`, "input", "requiredConfig", "2"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vAssert(t, func(p *problems) { p.requiredConfig(tt.keys, "input", "requiredConfig") }, tt.want...)
		})
	}
}

func TestProblemsLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit *int
		bad   bool
	}{
		{name: "NilIsNoLimit", limit: nil},
		{name: "One", limit: vIntPtr(1)},
		{name: "Max", limit: vIntPtr(10000)},
		{name: "Zero", limit: vIntPtr(0), bad: true},
		{name: "Negative", limit: vIntPtr(-5), bad: true},
		{name: "OverMax", limit: vIntPtr(10001), bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []domain.UserError
			if tt.bad {
				want = append(want, vInvalid(fmt.Sprintf("input.maxIntegrationsPerAccount must be between 1 and 10000, or null for no limit; got %d", *tt.limit),
					"input", "maxIntegrationsPerAccount"))
			}
			vAssert(t, func(p *problems) { p.limit(tt.limit, "input", "maxIntegrationsPerAccount") }, want...)
		})
	}
}

func TestProblemsAllowedProviders(t *testing.T) {
	at := func(env string, i int) []string {
		return []string{"input", "allowedProviders", env, strconv.Itoa(i)}
	}
	tests := []struct {
		name     string
		allowed  domain.AllowedProviders
		category domain.Category
		want     []domain.UserError
	}{
		{name: "None", category: domain.CategoryTicketing},
		{
			name:     "Valid",
			allowed:  domain.AllowedProviders{Test: []string{"jira", "servicenow", "mock_ticketing"}, Prod: []string{"jira", "servicenow"}},
			category: domain.CategoryTicketing,
		},
		{
			name:     "SameKeyInBothEnvironments",
			allowed:  domain.AllowedProviders{Test: []string{"splunk"}, Prod: []string{"splunk"}},
			category: domain.CategorySIEM,
		},
		{
			name:     "UnknownKey",
			allowed:  domain.AllowedProviders{Prod: []string{"jira", "nosuch"}},
			category: domain.CategoryTicketing,
			want:     []domain.UserError{vInvalid(`Provider "nosuch" is not in the catalog`, at("prod", 1)...)},
		},
		{
			name:     "UnknownKeyIsCaseSensitive",
			allowed:  domain.AllowedProviders{Test: []string{"Jira"}},
			category: domain.CategoryTicketing,
			want:     []domain.UserError{vInvalid(`Provider "Jira" is not in the catalog`, at("test", 0)...)},
		},
		{
			name:     "WrongCategory",
			allowed:  domain.AllowedProviders{Test: []string{"slack"}},
			category: domain.CategoryTicketing,
			want:     []domain.UserError{vInvalid("Provider slack is a NOTIFICATIONS provider; this point's category is TICKETING", at("test", 0)...)},
		},
		{
			name:     "MockOfWrongCategory",
			allowed:  domain.AllowedProviders{Test: []string{"mock_siem"}},
			category: domain.CategoryTicketing,
			want:     []domain.UserError{vInvalid("Provider mock_siem is a SIEM provider; this point's category is TICKETING", at("test", 0)...)},
		},
		{
			name:     "MockInProd",
			allowed:  domain.AllowedProviders{Test: []string{"mock_ticketing"}, Prod: []string{"jira", "mock_ticketing"}},
			category: domain.CategoryTicketing,
			want:     []domain.UserError{vInvalid("Provider mock_ticketing is a mock and may be approved for TEST accounts only", at("prod", 1)...)},
		},
		{
			name:     "DuplicateInTest",
			allowed:  domain.AllowedProviders{Test: []string{"jira", "zendesk", "jira"}},
			category: domain.CategoryTicketing,
			want:     []domain.UserError{vInvalid("Provider jira is listed twice", at("test", 2)...)},
		},
		{
			name:     "DuplicateInProd",
			allowed:  domain.AllowedProviders{Prod: []string{"okta", "okta"}},
			category: domain.CategoryIdentity,
			want:     []domain.UserError{vInvalid("Provider okta is listed twice", at("prod", 1)...)},
		},
		{
			name: "EveryProblemTestThenProd",
			allowed: domain.AllowedProviders{
				Test: []string{"jira", "nosuch", "slack", "jira"},
				Prod: []string{"mock_ticketing", "servicenow", "servicenow"},
			},
			category: domain.CategoryTicketing,
			want: []domain.UserError{
				vInvalid(`Provider "nosuch" is not in the catalog`, at("test", 1)...),
				vInvalid("Provider slack is a NOTIFICATIONS provider; this point's category is TICKETING", at("test", 2)...),
				vInvalid("Provider jira is listed twice", at("test", 3)...),
				vInvalid("Provider mock_ticketing is a mock and may be approved for TEST accounts only", at("prod", 0)...),
				vInvalid("Provider servicenow is listed twice", at("prod", 2)...),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vAssert(t, func(p *problems) { p.allowedProviders(tt.allowed, tt.category, "input", "allowedProviders") }, tt.want...)
		})
	}
}
