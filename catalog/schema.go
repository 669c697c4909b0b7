package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/big"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/pointguard/pointguard/domain"
)

// Every provider declares its configuration as a JSON Schema (draft 2020-12)
// in schemas/<key>.json. They are compiled once, when the package loads; a
// schema that does not compile is a build bug, so loading panics.

//go:embed schemas/*.json
var schemaFiles embed.FS

const (
	draft2020      = "https://json-schema.org/draft/2020-12/schema"
	schemaIDPrefix = "https://pointguard.dev/providers/"
	// httpsURL is the pattern of every "https URL" property.
	httpsURL = `^https://[^\s/?#]+([/?#]\S*)?$`
	// maxConfigDepth bounds the nesting of a config (and breaks reference cycles).
	maxConfigDepth = 64
)

// providerSchema is one provider's compiled configuration schema.
type providerSchema struct {
	raw          json.RawMessage // the schema, compacted
	doc          any             // the schema, decoded: messages read keywords from it
	compiled     *jsonschema.Schema
	authMethods  []string
	secretFields []string
}

var schemas = mustLoadSchemas(schemaFiles)

func mustLoadSchemas(fsys fs.FS) map[string]*providerSchema {
	s, err := loadSchemas(fsys)
	if err != nil {
		panic("catalog: " + err.Error())
	}
	return s
}

// offlineLoader refuses every URL: the embedded schemas may only refer to
// themselves and to the draft metaschemas, which the library embeds.
type offlineLoader struct{}

func (offlineLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("provider schemas are compiled offline: %s is not an embedded schema", u)
}

// loadSchemas compiles every schemas/*.json of fsys, keyed by file name.
func loadSchemas(fsys fs.FS) (map[string]*providerSchema, error) {
	names, err := fs.Glob(fsys, "schemas/*.json")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// Draft 2020-12 treats format as an annotation unless asked: assert it,
	// so "uri", "email", "uuid"… are checked.
	c.AssertFormat()
	c.UseLoader(offlineLoader{})

	out := map[string]*providerSchema{}
	for _, name := range names {
		key := strings.TrimSuffix(path.Base(name), ".json")
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: a schema must be a JSON object", name)
		}
		if obj["$schema"] != draft2020 {
			return nil, fmt.Errorf("%s: $schema must be %s", name, draft2020)
		}
		id := schemaIDPrefix + key + ".json"
		if obj["$id"] != id {
			return nil, fmt.Errorf("%s: $id must be %s", name, id)
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var raw bytes.Buffer
		if err := json.Compact(&raw, data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[key] = &providerSchema{
			raw:          raw.Bytes(),
			doc:          doc,
			authMethods:  authMethods(obj),
			secretFields: secretFields(obj),
		}
	}
	for key, s := range out {
		if s.compiled, err = c.Compile(schemaIDPrefix + key + ".json"); err != nil {
			return nil, fmt.Errorf("schemas/%s.json: %w", key, err)
		}
	}
	return out, nil
}

// attachSchema gives a catalog provider its schema, and what the catalog
// derives from it. A provider without a schema is a build bug.
func attachSchema(p *domain.Provider) {
	s := schemas[p.Key]
	if s == nil {
		panic("catalog: no schemas/" + p.Key + ".json")
	}
	p.ConfigSchema, p.AuthMethods, p.SecretFields = s.raw, s.authMethods, s.secretFields
}

// authMethods returns the enum of the schema's auth_method property.
func authMethods(root map[string]any) []string {
	props, _ := root["properties"].(map[string]any)
	am, _ := props["auth_method"].(map[string]any)
	values, _ := am["enum"].([]any)
	var out []string
	for _, v := range values {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Keywords whose value is a subschema, a map of them, or a list of them.
var (
	subschemaKeywords = []string{"items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems",
		"contains", "propertyNames", "not", "if", "then", "else", "contentSchema"}
	subschemaMapKeywords  = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
	subschemaListKeywords = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// secretFields returns the names of the properties marked writeOnly,
// wherever they are declared (nested objects, conditionals, $defs), sorted.
func secretFields(root map[string]any) []string {
	seen := map[string]bool{}
	var visit func(any)
	visit = func(v any) {
		sch, ok := v.(map[string]any)
		if !ok {
			return
		}
		if props, ok := sch["properties"].(map[string]any); ok {
			for name, p := range props {
				if p, ok := p.(map[string]any); ok && p["writeOnly"] == true {
					seen[name] = true
				}
			}
		}
		for _, k := range subschemaKeywords {
			visit(sch[k])
		}
		for _, k := range subschemaMapKeywords {
			m, _ := sch[k].(map[string]any)
			for _, sub := range m {
				visit(sub)
			}
		}
		for _, k := range subschemaListKeywords {
			l, _ := sch[k].([]any)
			for _, sub := range l {
				visit(sub)
			}
		}
	}
	visit(root)
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// ConfigSchema returns the provider's configuration schema as JSON, or nil for an unknown key.
func ConfigSchema(key string) json.RawMessage {
	s := schemas[key]
	if s == nil {
		return nil
	}
	return slices.Clone(s.raw)
}

// ConfigProblem is one way a config breaks its provider's schema.
type ConfigProblem struct {
	// Field is the path of the offending value: "config.site_url",
	// "config" for the root, "config.auth.client_id" when nested,
	// "config.labels.2" in a list.
	Field string
	// Message is a sentence a person can act on, e.g.
	// "config.email is required when auth_method is api_token". It never
	// quotes the offending value, which may be a secret.
	Message string
}

// ValidateConfig checks a config against the provider's schema; nil when it conforms or the key is unknown.
// Pure and safe for concurrent use; it never panics on any input.
func ValidateConfig(key string, config map[string]any) []ConfigProblem {
	s := schemas[key]
	if s == nil {
		return nil
	}
	var n normalizer
	inst := n.value(config, nil, 0)
	if len(n.problems) > 0 {
		return finish(n.problems)
	}
	err := s.compiled.Validate(inst)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []ConfigProblem{{Field: "config", Message: "config could not be checked: " + err.Error()}}
	}
	w := walker{s: s}
	w.walk(verr, "")
	if len(w.problems) == 0 { // cannot happen: an error has at least one leaf
		w.problems = append(w.problems, ConfigProblem{Field: "config", Message: "config does not match the provider's schema"})
	}
	return finish(w.problems)
}

// finish sorts problems by field (then message) and drops duplicates.
func finish(ps []ConfigProblem) []ConfigProblem {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Field != ps[j].Field {
			return ps[i].Field < ps[j].Field
		}
		return ps[i].Message < ps[j].Message
	})
	return slices.Compact(ps)
}

// field turns an instance location into "config.a.b".
func field(loc []string) string {
	return strings.Join(append([]string{"config"}, loc...), ".")
}

// --- normalizing the config

// normalizer turns a config into the values the validator understands
// (map[string]any, []any, string, bool, nil, json.Number and Go numbers),
// without touching the caller's config, and reports what it cannot turn.
type normalizer struct {
	problems []ConfigProblem
}

// jsonNumber is the grammar of a JSON number.
var jsonNumber = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

func (n *normalizer) fail(loc []string, msg string) any {
	f := field(loc)
	n.problems = append(n.problems, ConfigProblem{Field: f, Message: f + " " + msg})
	return nil
}

func (n *normalizer) value(v any, loc []string, depth int) any {
	if depth > maxConfigDepth {
		return n.fail(loc, fmt.Sprintf("is nested more than %d levels deep", maxConfigDepth))
	}
	switch v := v.(type) {
	case nil, bool, string,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v
	case json.Number:
		if msg := numberProblem(string(v)); msg != "" {
			return n.fail(loc, msg)
		}
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return n.fail(loc, "must be a finite number")
		}
		return v
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return n.fail(loc, "must be a finite number")
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = n.value(e, append(slices.Clip(loc), k), depth+1)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = n.value(e, append(slices.Clip(loc), strconv.Itoa(i)), depth+1)
		}
		return out
	default:
		// Another Go type ([]string, map[string]string, a struct…): check its JSON form.
		data, err := marshal(v)
		if err != nil {
			return n.fail(loc, "is not a JSON value")
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var decoded any
		if err := dec.Decode(&decoded); err != nil {
			return n.fail(loc, "is not a JSON value")
		}
		return n.value(decoded, loc, depth+1)
	}
}

// marshal is json.Marshal, turning a panicking MarshalJSON into an error.
func marshal(v any) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("marshal: %v", r)
		}
	}()
	return json.Marshal(v)
}

// numberProblem says what is wrong with a json.Number, or "". The validator
// computes with big.Rat: it needs valid numbers, and huge exponents would
// cost it time and memory.
func numberProblem(s string) string {
	if !jsonNumber.MatchString(s) {
		return "must be a number"
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp > 400 || exp < -400 {
			return "is out of range"
		}
	}
	return ""
}

// --- turning validation errors into problems

type walker struct {
	s        *providerSchema
	problems []ConfigProblem
}

// walk collects one problem per leaf error. cond is the condition of the
// nearest enclosing then/else, e.g. "when auth_method is api_token".
func (w *walker) walk(e *jsonschema.ValidationError, cond string) {
	if c := w.s.condition(e); c != "" {
		cond = c
	}
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		// The alternatives' own errors would each be misleading.
		w.leaf(e, cond)
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			w.walk(c, cond)
		}
		return
	}
	w.leaf(e, cond)
}

func (w *walker) add(f, msg, cond string) {
	if cond != "" {
		msg += " " + cond
	}
	w.problems = append(w.problems, ConfigProblem{Field: f, Message: f + " " + msg})
}

func (w *walker) leaf(e *jsonschema.ValidationError, cond string) {
	loc := e.InstanceLocation
	f := field(loc)
	node, _ := w.s.lookup(e.SchemaURL).(map[string]any)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			w.add(field(append(slices.Clip(loc), m)), "is required", cond)
		}
	case *kind.DependentRequired:
		for _, m := range k.Missing {
			w.add(field(append(slices.Clip(loc), m)), "is required when "+relative(append(slices.Clip(loc), k.Prop))+" is set", cond)
		}
	case *kind.Dependency:
		for _, m := range k.Missing {
			w.add(field(append(slices.Clip(loc), m)), "is required when "+relative(append(slices.Clip(loc), k.Prop))+" is set", cond)
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			w.add(field(append(slices.Clip(loc), p)), "is not a setting of this provider", cond)
		}
	case *kind.Type:
		if k.Got == "number" && slices.Equal(k.Want, []string{"integer"}) {
			w.add(f, "must be a whole number", cond)
		} else {
			w.add(f, "must be "+typeNames(k.Want)+", not "+typeName(k.Got), cond)
		}
	case *kind.Enum:
		w.add(f, "must be "+oneOf(k.Want), cond)
	case *kind.Const:
		w.add(f, "must be "+display(k.Want), cond)
	case *kind.Format:
		w.add(f, formatMessage(k.Want, node), cond)
	case *kind.Pattern:
		w.add(f, patternMessage(k.Want, node), cond)
	case *kind.MinLength:
		if k.Want == 1 {
			w.add(f, "must not be empty", cond)
		} else {
			w.add(f, fmt.Sprintf("must be at least %d characters long", k.Want), cond)
		}
	case *kind.MaxLength:
		w.add(f, fmt.Sprintf("must be at most %d characters long", k.Want), cond)
	case *kind.Minimum:
		w.add(f, "must be at least "+ratString(k.Want), cond)
	case *kind.Maximum:
		w.add(f, "must be at most "+ratString(k.Want), cond)
	case *kind.ExclusiveMinimum:
		w.add(f, "must be greater than "+ratString(k.Want), cond)
	case *kind.ExclusiveMaximum:
		w.add(f, "must be less than "+ratString(k.Want), cond)
	case *kind.MultipleOf:
		w.add(f, "must be a multiple of "+ratString(k.Want), cond)
	case *kind.MinItems:
		w.add(f, "must have at least "+plural(k.Want, "item"), cond)
	case *kind.MaxItems:
		w.add(f, "must have at most "+plural(k.Want, "item"), cond)
	case *kind.UniqueItems:
		w.add(f, fmt.Sprintf("must not list the same item twice (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1]), cond)
	case *kind.MinProperties:
		w.add(f, "must have at least "+plural(k.Want, "key"), cond)
	case *kind.MaxProperties:
		w.add(f, "must have at most "+plural(k.Want, "key"), cond)
	case *kind.PropertyNames:
		w.add(field(append(slices.Clip(loc), k.Property)), "is not an accepted key", cond)
	case *kind.FalseSchema:
		w.add(f, "is not allowed", cond)
	case *kind.Not:
		w.add(f, "is not allowed here", cond)
	case *kind.AnyOf:
		w.add(f, "does not match any of the accepted forms", cond)
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			w.add(f, "does not match any of the accepted forms", cond)
		} else {
			w.add(f, "matches more than one of the accepted forms", cond)
		}
	case *kind.InvalidJsonValue:
		w.add(f, "is not a JSON value", cond)
	default:
		kw := strings.Join(e.ErrorKind.KeywordPath(), "/")
		if kw == "" {
			kw = "schema"
		}
		w.add(f, "does not satisfy the provider's "+kw+" rule", cond)
	}
}

// lookup returns the schema node at an absolute schema location
// ("https://pointguard.dev/providers/jira.json#/allOf/0/then"), or nil.
func (s *providerSchema) lookup(loc string) any {
	_, frag, ok := strings.Cut(loc, "#")
	if !ok {
		return nil
	}
	var v any = s.doc
	for _, tok := range pointer(frag) {
		switch n := v.(type) {
		case map[string]any:
			v = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			v = n[i]
		default:
			return nil
		}
	}
	return v
}

// pointer splits a URL-encoded JSON pointer into its tokens.
func pointer(frag string) []string {
	if frag == "" {
		return nil
	}
	var toks []string
	for _, t := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if u, err := url.PathUnescape(t); err == nil {
			t = u
		}
		t = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		toks = append(toks, t)
	}
	return toks
}

// condition renders the if of the innermost then/else that the error's
// schema location lies under, e.g. "when auth_method is api_token"; "" when
// there is none, or it is not a simple comparison of properties.
func (s *providerSchema) condition(e *jsonschema.ValidationError) string {
	_, frag, _ := strings.Cut(e.SchemaURL, "#")
	toks := pointer(frag)
	at := -1
	for i := len(toks) - 1; i >= 0; i-- {
		if (toks[i] == "then" || toks[i] == "else") && (i == 0 || !isMapKeyword(toks[i-1])) {
			at = i
			break
		}
	}
	if at < 0 {
		return ""
	}
	parentPtr := ""
	if at > 0 {
		parentPtr = "/" + strings.Join(escapeAll(toks[:at]), "/")
	}
	parent, _ := s.lookup("#" + parentPtr).(map[string]any)
	ifs, _ := parent["if"].(map[string]any)
	props, _ := ifs["properties"].(map[string]any)
	if len(props) == 0 {
		return ""
	}
	// The if applies to the object the then/else applies to: drop the
	// instance tokens the schema path below it consumed.
	depth := len(e.InstanceLocation) - consumed(toks[at+1:])
	if depth < 0 {
		depth = 0
	}
	base := e.InstanceLocation[:depth]
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	var parts []string
	for _, name := range names {
		p, _ := props[name].(map[string]any)
		subject := relative(append(slices.Clip(base), name))
		if c, ok := p["const"]; ok {
			parts = append(parts, subject+" is "+plain(c))
		} else if values, ok := p["enum"].([]any); ok && len(values) > 0 {
			var vs []string
			for _, v := range values {
				vs = append(vs, plain(v))
			}
			parts = append(parts, subject+" is "+strings.Join(vs, " or "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if toks[at] == "else" {
		return "unless " + strings.Join(parts, " and ")
	}
	return "when " + strings.Join(parts, " and ")
}

func isMapKeyword(tok string) bool { return slices.Contains(subschemaMapKeywords, tok) }

func escapeAll(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return out
}

// consumed counts the instance tokens a schema path descends through.
func consumed(toks []string) int {
	n := 0
	for i := 0; i < len(toks); i++ {
		switch toks[i] {
		case "properties", "patternProperties", "prefixItems":
			n++
			i++ // the property name, pattern or index
		case "$defs", "definitions", "dependentSchemas", "allOf", "anyOf", "oneOf":
			i++
		case "items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains":
			n++
		}
	}
	return n
}

// relative is an instance location without the "config." prefix.
func relative(loc []string) string { return strings.Join(loc, ".") }

func typeName(t string) string {
	switch t {
	case "integer":
		return "an integer"
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "null":
		return "null"
	default:
		return "a " + t
	}
}

func typeNames(ts []string) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = typeName(t)
	}
	return strings.Join(names, " or ")
}

// display shows a schema value (never an instance value) in a message.
func display(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return plain(v)
}

func plain(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	case json.Number:
		return v.String()
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(data)
	}
}

func oneOf(values []any) string {
	if len(values) == 1 {
		return display(values[0])
	}
	shown := make([]string, len(values))
	for i, v := range values {
		shown[i] = display(v)
	}
	return "one of " + strings.Join(shown, ", ")
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return strings.TrimRight(strings.TrimRight(r.FloatString(6), "0"), ".")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// example is the first of the node's examples, as ` (for example "…")`, or "".
func example(node map[string]any) string {
	if ex, ok := node["examples"].([]any); ok && len(ex) > 0 {
		if s, ok := ex[0].(string); ok {
			return strconv.Quote(s)
		}
	}
	return ""
}

var formatNames = map[string]string{
	"email":     "an email address",
	"uuid":      "a UUID",
	"hostname":  "a host name",
	"ipv4":      "an IPv4 address",
	"ipv6":      "an IPv6 address",
	"date":      "a date (YYYY-MM-DD)",
	"date-time": "a date and time (RFC 3339)",
	"duration":  "an ISO 8601 duration",
}

func formatMessage(format string, node map[string]any) string {
	if format == "uri" || format == "iri" {
		if p, _ := node["pattern"].(string); strings.HasPrefix(p, "^https://") {
			return "must be an https URL"
		}
		return "must be an absolute URL"
	}
	name, ok := formatNames[format]
	if !ok {
		name = "a valid " + format
	}
	if ex := example(node); ex != "" {
		return "must be " + name + ", for example " + ex
	}
	return "must be " + name
}

func patternMessage(pattern string, node map[string]any) string {
	if pattern == httpsURL {
		return "must be an https URL"
	}
	if ex := example(node); ex != "" {
		return "must look like " + ex + " (pattern " + pattern + ")"
	}
	return "must match the pattern " + pattern
}
