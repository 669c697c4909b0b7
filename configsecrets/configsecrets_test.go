package configsecrets

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pointguard/pointguard/catalog"
)

// secretNames are the catalog's secret keys; configs are made of them and
// of plain keys, some of which are also the names of objects secrets sit
// in (app.private_key).
func secretNames(t *testing.T) []string {
	var names []string
	for _, p := range catalog.All() {
		names = append(names, p.SecretFields...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) < 2 {
		t.Fatalf("the catalog has %d secret keys; the tests need two", len(names))
	}
	return names
}

// gen makes random configs: objects up to depth 3 of plain and secret
// keys, whose values are strings, numbers, nulls, lists and objects.
type gen struct {
	r       *rand.Rand
	secrets []string
}

func (g gen) key() string {
	if g.r.IntN(3) == 0 {
		return g.secrets[g.r.IntN(len(g.secrets))]
	}
	return []string{"app", "site_url", "mapping", "project", "extra"}[g.r.IntN(5)]
}

func (g gen) value(depth int) any {
	switch n := g.r.IntN(10); {
	case n < 3 && depth < 3:
		return g.object(depth + 1)
	case n == 3 && depth < 3:
		return []any{g.value(depth + 1), "x"}
	case n == 4:
		return nil
	case n == 5:
		return 42.0
	default:
		return "v" + strings.Repeat("x", g.r.IntN(3))
	}
}

func (g gen) object(depth int) map[string]any {
	m := map[string]any{}
	for range g.r.IntN(5) {
		m[g.key()] = g.value(depth)
	}
	return m
}

func configs(t *testing.T, n int) []map[string]any {
	g := gen{r: rand.New(rand.NewPCG(1, 2)), secrets: secretNames(t)}
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = g.object(0)
	}
	return out
}

func copyOf(m map[string]any) map[string]any { return deepCopy(m) }

// The functions as they were before this package gathered them (service
// and catalog, commit 7109d9a), as the reference Merge, Carry and Redact
// must still agree with.
func oldMerge(dst, hidden map[string]any) {
	for k, v := range hidden {
		sub, isTree := v.(map[string]any)
		into, isObject := dst[k].(map[string]any)
		if !IsSecret(k) && isTree && isObject {
			oldMerge(into, sub)
			continue
		}
		dst[k] = v
	}
}

func oldKeep(config, kept map[string]any) {
	for k, v := range kept {
		sub, isTree := v.(map[string]any)
		existing, present := config[k]
		into, isObject := existing.(map[string]any)
		switch {
		case !IsSecret(k) && isTree && isObject:
			oldKeep(into, sub)
		case !present:
			config[k] = v
		}
	}
}

func oldRedact(config, hidden map[string]any) {
	for k, v := range hidden {
		if sub, ok := v.(map[string]any); ok && !IsSecret(k) {
			into, ok := config[k].(map[string]any)
			if !ok {
				into = map[string]any{}
				config[k] = into
			}
			oldRedact(into, sub)
			continue
		}
		config[k] = "[REDACTED]"
	}
}

// TestAgreesWithTheFunctionsItReplaced: on 5,000 generated configs (and
// pairs of them), Merge, Carry and Redact answer as the functions they
// replaced did.
func TestAgreesWithTheFunctionsItReplaced(t *testing.T) {
	cs := configs(t, 5000)
	for i, c := range cs {
		other := cs[(i+1)%len(cs)]
		plain, hidden := Split(copyOf(c))

		want := copyOf(other)
		oldMerge(want, hidden)
		got := copyOf(other)
		Merge(got, hidden)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Merge(%v, %v) = %v, want %v", other, hidden, got, want)
		}

		_, kept := Split(other)
		want = copyOf(c)
		oldKeep(want, kept)
		dropNulls(want)
		if got := Carry(c, other); !reflect.DeepEqual(got, want) {
			t.Fatalf("Carry(%v, %v) = %v, want %v", c, other, got, want)
		}

		want = copyOf(plain)
		oldRedact(want, hidden)
		if got := Redact(c, "[REDACTED]"); !reflect.DeepEqual(got, want) {
			t.Fatalf("Redact(%v) = %v, want %v", c, got, want)
		}
	}
}

// TestSplitAndMerge: Split takes every secret out, shares no map with the
// config, and Merge puts it back as it was.
func TestSplitAndMerge(t *testing.T) {
	for _, c := range configs(t, 2000) {
		orig := copyOf(c)
		plain, hidden := Split(c)
		if p := Paths(plain); len(p) != 0 {
			t.Fatalf("the plain part of %v still holds secrets %v", c, p)
		}
		plain["added"] = true
		if _, ok := c["added"]; ok {
			t.Fatalf("Split's plain part shares the config's map")
		}
		delete(plain, "added")
		Merge(plain, hidden)
		if !reflect.DeepEqual(plain, orig) {
			t.Fatalf("Merge(Split(%v)) = %v", orig, plain)
		}
	}
}

// TestRedact: a redacted config shows every secret path, each with the
// placeholder, and the plain part unchanged.
func TestRedact(t *testing.T) {
	for _, c := range configs(t, 2000) {
		r := Redact(c, "***")
		got := values(r)
		for path, v := range values(c) {
			if got[path] != "***" {
				t.Fatalf("Redact(%v) shows %v at %s (was %v)", c, got[path], path, v)
			}
		}
		if len(got) != len(values(c)) {
			t.Fatalf("Redact(%v) has secrets at %v, the config at %v", c, got, values(c))
		}
		if !reflect.DeepEqual(Without(r), Without(c)) {
			t.Fatalf("Redact(%v) changed the plain part: %v", c, Without(r))
		}
	}
}

// TestCarry: a client that sends a config back without its secrets keeps
// them; one that sets a secret to null clears it.
func TestCarry(t *testing.T) {
	s := secretNames(t)
	current := map[string]any{"project": "SEC", s[0]: "tok", "app": map[string]any{s[1]: "key", "id": 7.0}}
	sent := map[string]any{"project": "OPS", "app": map[string]any{"id": 8.0}}
	want := map[string]any{"project": "OPS", s[0]: "tok", "app": map[string]any{s[1]: "key", "id": 8.0}}
	if got := Carry(sent, current); !reflect.DeepEqual(got, want) {
		t.Errorf("Carry kept %v, want %v", got, want)
	}
	sent = map[string]any{"project": "OPS", s[0]: nil, "app": map[string]any{s[1]: "new"}}
	want = map[string]any{"project": "OPS", "app": map[string]any{s[1]: "new"}}
	if got := Carry(sent, current); !reflect.DeepEqual(got, want) {
		t.Errorf("Carry with a null and a new secret = %v, want %v", got, want)
	}
	if got := Changed(current, want); !slices.Equal(got, []string{s[0], "app." + s[1]}) {
		t.Errorf("Changed = %v, want both secrets", got)
	}
	if got := Changed(current, Carry(Without(current), current)); len(got) != 0 {
		t.Errorf("a config sent back without its secrets changed %v", got)
	}
}

// TestInLists: a secret key inside a list is found with its path; one in
// an object is not.
func TestInLists(t *testing.T) {
	s := secretNames(t)
	v := map[string]any{s[0]: "fine", "hooks": []any{"x", map[string]any{"url": "u", s[1]: "no"}},
		"app": map[string]any{s[1]: "fine"}}
	if got := InLists(v); !reflect.DeepEqual(got, [][]string{{"hooks", "1", s[1]}}) {
		t.Errorf("InLists = %v", got)
	}
}
