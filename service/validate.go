package service

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pointguard/pointguard/catalog"
	"github.com/pointguard/pointguard/configsecrets"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/rules"
	"github.com/pointguard/pointguard/scalars"
)

// Input limits.
const (
	MaxNameLength        = 200
	MaxDescriptionLength = 2000
	MaxLabels            = 64
	MaxLabelValueLength  = 255
	MaxConfigBytes       = 64 << 10
	MaxRequiredConfig    = 64
	MaxConfigKeyLength   = 128
	MaxIntegrationsLimit = 10000
)

var (
	slugPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	labelKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$`)
)

// problems collects every bad field of an input, so that a caller fixes
// them all in one round trip.
type problems struct {
	list domain.UserErrors
}

func (p *problems) add(code domain.ErrorCode, message string, field ...string) {
	p.list = append(p.list, domain.UserError{Code: code, Field: field, Message: message})
}

func (p *problems) invalid(message string, field ...string) {
	p.add(domain.CodeInvalidInput, message, field...)
}

// err is nil when nothing was found, else the domain.UserErrors.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}

func path(field ...string) string { return strings.Join(field, ".") }

// child is the path of a part of field: always a new slice, so that paths
// stored in problems never share an array that a later append overwrites.
func child(field []string, parts ...string) []string {
	return slices.Concat(field, parts)
}

func (p *problems) slug(s string, field ...string) {
	if !slugPattern.MatchString(s) {
		p.invalid(fmt.Sprintf("%s must be 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter or digit; got %q",
			path(field...), s), field...)
	}
}

// Names, label values and descriptions are shown to people: in lists, in
// the audit log, in terminals. So they hold no control character (ESC
// starts the ANSI sequences a terminal obeys; a description may break
// lines and tab) and no bidirectional embedding, override or isolate
// (U+202A–U+202E, U+2066–U+2069), which make text read otherwise than it
// is stored; and a name needs a visible character, not only spaces or
// invisible ones (U+200B, U+3164…).

// name checks a required single-line text.
func (p *problems) name(s string, field ...string) {
	p.text(s, MaxNameLength, true, field...)
}

// text checks a single-line text.
func (p *problems) text(s string, max int, required bool, field ...string) {
	p.human(s, max, required, false, field...)
}

// prose checks an optional text that may break lines.
func (p *problems) prose(s string, max int, field ...string) {
	p.human(s, max, false, true, field...)
}

func (p *problems) human(s string, max int, required, lines bool, field ...string) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.invalid(path(field...)+" must not be empty", field...)
	case utf8.RuneCountInString(s) > max:
		p.invalid(fmt.Sprintf("%s must be at most %d characters, got %d", path(field...), max, utf8.RuneCountInString(s)), field...)
	case !utf8.ValidString(s):
		p.invalid(path(field...)+" must be valid UTF-8", field...)
	default:
		if problem := textProblem(s, required, lines); problem != "" {
			p.invalid(path(field...)+" "+problem, field...)
		}
	}
}

// textProblem is what is wrong with the characters of a text, or "".
func textProblem(s string, visible, lines bool) string {
	seen := false
	n := 0
	for _, r := range s {
		n++
		switch {
		case lines && (r == '\n' || r == '\r' || r == '\t'):
		case unicode.IsControl(r):
			return fmt.Sprintf("must not contain control characters; character %d is %U", n, r)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("must not contain bidirectional overrides or isolates, which make text read otherwise than it is stored; character %d is %U", n, r)
		}
		seen = seen || isVisible(r)
	}
	if visible && !seen {
		return "must contain a visible character, not only spaces or invisible ones"
	}
	return ""
}

// isVisible tells whether a character shows: not a space, a format
// character, a combining mark alone, or one of the blanks that are
// letters or symbols by category (U+3164 HANGUL FILLER, U+2800 BRAILLE
// PATTERN BLANK).
func isVisible(r rune) bool {
	return unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.IsMark(r) && r != 0x2800 &&
		!unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// id checks that s is an ID of the wanted kind. Any other string names
// nothing, so it is NOT_FOUND rather than malformed.
func (p *problems) id(s string, want domain.Kind, field ...string) bool {
	kind, ok := domain.KindOf(s)
	switch {
	case !ok:
		p.add(domain.CodeNotFound, fmt.Sprintf("No %s has the ID %q", want.Name(), s), field...)
	case kind != want:
		p.add(domain.CodeNotFound, fmt.Sprintf("%q is not %s ID: it names %s", s, withArticle(want.Name()), withArticle(kind.Name())), field...)
	default:
		return true
	}
	return false
}

func (p *problems) labels(labels []domain.Label, field ...string) {
	if len(labels) > MaxLabels {
		p.invalid(fmt.Sprintf("%s may hold at most %d labels, got %d", path(field...), MaxLabels, len(labels)), field...)
		return
	}
	seen := map[string]bool{}
	for i, l := range labels {
		at := child(field, strconv.Itoa(i))
		if !labelKeyPattern.MatchString(l.Key) {
			p.invalid(fmt.Sprintf("Label key %q must be 1 to 63 letters, digits, '.', '_', '/' or '-', starting with a letter or digit", l.Key),
				child(at, "key")...)
		} else if seen[l.Key] {
			p.invalid(fmt.Sprintf("Label key %q is given twice", l.Key), child(at, "key")...)
		}
		seen[l.Key] = true
		p.text(l.Value, MaxLabelValueLength, false, child(at, "value")...)
	}
}

// config checks that v is a JSON object of at most MaxConfigBytes and
// returns it; nil is the empty object.
func (p *problems) config(v any, field ...string) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		p.invalid(fmt.Sprintf("%s must be a JSON object, got %s", path(field...), jsonKind(v)), field...)
		return nil
	}
	var bad int
	obj = p.numbers(obj, field, &bad).(map[string]any)
	if bad > maxNumberProblems {
		p.invalid(fmt.Sprintf("%s holds %d more numbers a double cannot hold", path(field...), bad-maxNumberProblems), field...)
	}
	if bad > 0 {
		return nil
	}
	// The limit applies to what is stored: numbers in their canonical
	// form, which for 1e300 is 301 digits.
	b, err := json.Marshal(obj)
	if err != nil {
		p.invalid(path(field...)+" is not valid JSON", field...)
		return nil
	}
	if len(b) > MaxConfigBytes {
		p.invalid(fmt.Sprintf("%s must be at most %d bytes of JSON as stored (numbers in plain decimal), got %d",
			path(field...), MaxConfigBytes, len(b)), field...)
		return nil
	}
	p.noSecretsInLists(obj, field...)
	return obj
}

// maxNumberProblems bounds the numbers of one config reported one by one.
const maxNumberProblems = 10

// numbers returns a copy of a JSON value with every number in its
// canonical form (scalars.Number: what PostgreSQL's jsonb and SQLite's
// text give back alike), counting in bad, and reporting, those a double
// cannot hold. Variables bring numbers as json.Number, a query's literals
// as int64 or float64.
func (p *problems) numbers(v any, field []string, bad *int) any {
	var canonical string
	var err error
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) { // the same problems first, every time
			out[k] = p.numbers(v[k], child(field, k), bad)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = p.numbers(x, child(field, strconv.Itoa(i)), bad)
		}
		return out
	case json.Number:
		canonical, err = scalars.Number(string(v))
	case int64:
		canonical, err = scalars.Number(strconv.FormatInt(v, 10))
	case int:
		canonical, err = scalars.Number(strconv.Itoa(v))
	case float64:
		canonical, err = scalars.Float(v)
	default:
		return v
	}
	if err != nil {
		if *bad++; *bad <= maxNumberProblems {
			p.invalid(path(field...)+": "+err.Error(), field...)
		}
		return v
	}
	return json.Number(canonical)
}

// noSecretsInLists refuses a secret key inside a list: secrets are kept
// out of responses and sealed by their path of object keys, which a list
// element does not have.
func (p *problems) noSecretsInLists(v any, field ...string) {
	for _, in := range configsecrets.InLists(v) {
		at := append(append([]string(nil), field...), in...)
		p.invalid(fmt.Sprintf("%s holds a secret inside a list; secrets may only be object keys, where they are kept out of responses",
			path(at...)), at...)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case nil:
		return "null"
	default:
		return "a number"
	}
}

func (p *problems) requiredConfig(keys []string, field ...string) {
	if len(keys) > MaxRequiredConfig {
		p.invalid(fmt.Sprintf("%s may list at most %d keys, got %d", path(field...), MaxRequiredConfig, len(keys)), field...)
		return
	}
	seen := map[string]bool{}
	for i, k := range keys {
		at := child(field, strconv.Itoa(i))
		switch {
		case strings.TrimSpace(k) == "" || utf8.RuneCountInString(k) > MaxConfigKeyLength:
			p.invalid(fmt.Sprintf("Config key %q must be 1 to %d characters and not blank", k, MaxConfigKeyLength), at...)
		case seen[k]:
			p.invalid(fmt.Sprintf("Config key %q is listed twice", k), at...)
		}
		seen[k] = true
	}
}

func (p *problems) limit(n *int, field ...string) {
	if n != nil && (*n < 1 || *n > MaxIntegrationsLimit) {
		p.invalid(fmt.Sprintf("%s must be between 1 and %d, or null for no limit; got %d", path(field...), MaxIntegrationsLimit, *n), field...)
	}
}

// allowedProviders checks that every key names a catalog provider of the
// point's category, at most once per environment, and that mocks are
// approved for TEST only.
func (p *problems) allowedProviders(a domain.AllowedProviders, category domain.Category, field ...string) {
	check := func(keys []string, env string) {
		seen := map[string]bool{}
		for i, key := range keys {
			at := child(field, env, strconv.Itoa(i))
			prov := catalog.Lookup(key)
			switch {
			case prov == nil:
				p.invalid(fmt.Sprintf("Provider %q is not in the catalog", key), at...)
			case prov.Category != category:
				p.invalid(fmt.Sprintf("Provider %s is a %s provider; this point's category is %s", key, prov.Category, category), at...)
			case prov.Mock && env == "prod":
				p.invalid(fmt.Sprintf("Provider %s is a mock and may be approved for TEST accounts only", key), at...)
			case seen[key]:
				p.invalid(fmt.Sprintf("Provider %s is listed twice", key), at...)
			}
			seen[key] = true
		}
	}
	check(a.Test, "test")
	check(a.Prod, "prod")
}

// withArticle puts "a" or "an" before a kind's name.
func withArticle(name string) string {
	if strings.ContainsAny(name[:1], "aeiou") {
		return "an " + name
	}
	return "a " + name
}

// rules compiles custom rules, reporting each problem at its rule.
func (p *problems) rules(rs []domain.Rule, field ...string) {
	for i, r := range rs {
		// Blank or long ones are rules.Compile's to refuse.
		if problem := textProblem(r.Name, true, false); problem != "" && strings.TrimSpace(r.Name) != "" {
			at := child(field, strconv.Itoa(i), "name")
			p.invalid(path(at...)+" "+problem, at...)
		}
		if problem := textProblem(r.Message, false, true); problem != "" && !r.MessageExpression {
			at := child(field, strconv.Itoa(i), "message")
			p.invalid(path(at...)+" "+problem, at...)
		}
	}
	_, errs := rules.Compile(rs)
	for _, e := range errs {
		at := field
		if e.Index >= 0 {
			at = child(field, strconv.Itoa(e.Index), e.Field)
		}
		p.add(domain.CodeInvalidRule, e.Message, at...)
	}
}

// selector checks an account selector's environments and labels.
// onViolation checks an OnViolation that did not come through GraphQL's enum.
func (p *problems) onViolation(o *domain.OnViolation, field ...string) {
	if o != nil && !o.IsValid() {
		p.invalid(fmt.Sprintf("%s must be KEEP or SUSPEND, got %q", path(field...), string(*o)), field...)
	}
}

func (p *problems) selector(s *domain.AccountSelector, field ...string) {
	if s == nil {
		return
	}
	for i, e := range s.Environments {
		if !e.IsValid() {
			p.invalid(fmt.Sprintf("%q is not an environment", e), child(field, "environments", strconv.Itoa(i))...)
		}
	}
	p.labels(s.MatchLabels, child(field, "matchLabels")...)
}
