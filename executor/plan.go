package executor

import (
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pointguard/pointguard/store"
)

// field is one field of the plan: a response key of a selection on one
// concrete type, with its arguments read and its own selection planned.
type field struct {
	key  string // the response key: the alias, or else the name
	name string
	typ  *ast.Type
	args map[string]any
	// resolve is how the executor gets the field's value (fields.go).
	resolve *resolver
	// arg holds what resolve.prepare read from args (a page, a filter).
	arg any
	// abstract is true for a field of an interface type (Node): its
	// value's concrete type picks its children.
	abstract bool
	// children are the fields selected on the value, per concrete type:
	// one entry for an object type, one per possible type for an interface.
	children map[string][]*field
	// only is the one entry of children for an object type, read without a
	// map lookup per object.
	only []*field
	// columns is what a fetch reads of the rows it finds: what the fields
	// below it show, down to the next fetches.
	columns store.Columns
	// results are the values a fetch found, by parent object.
	results map[any]any
}

// errUnplanned says why an operation goes to gqlgen instead.
type errUnplanned struct{ reason string }

func (e *errUnplanned) Error() string { return e.reason }

func unplanned(format string, args ...any) error {
	return &errUnplanned{reason: fmt.Sprintf(format, args...)}
}

// planner turns a validated operation into fields.
type planner struct {
	schema *ast.Schema
	op     *graphql.OperationContext
}

// plan plans the operation's selection on Query. It returns an
// *errUnplanned for anything this executor does not run.
func plan(schema *ast.Schema, op *graphql.OperationContext) ([]*field, error) {
	if op.Operation == nil || op.Operation.Operation != ast.Query {
		return nil, unplanned("not a query")
	}
	p := planner{schema: schema, op: op}
	return p.selection("Query", op.Operation.SelectionSet)
}

// selection plans a selection set on a concrete object type, in the
// order gqlgen collects it (fragments merged, @skip and @include applied).
func (p *planner) selection(typeName string, set ast.SelectionSet) ([]*field, error) {
	def := p.schema.Types[typeName]
	satisfies := []string{typeName}
	satisfies = append(satisfies, def.Interfaces...)
	collected := graphql.CollectFields(p.op, set, satisfies)
	out := make([]*field, 0, len(collected))
	for _, c := range collected {
		if len(c.Deferrables) > 0 {
			return nil, unplanned("@defer")
		}
		f := &field{key: c.Alias, name: c.Name}
		if f.key == "" {
			f.key = c.Name
		}
		if c.Name == "__typename" {
			f.resolve = typename
			out = append(out, f)
			continue
		}
		r := resolvers[typeName][c.Name]
		if r == nil || c.Definition == nil {
			return nil, unplanned("%s.%s", typeName, c.Name)
		}
		f.resolve, f.typ = r, c.Definition.Type
		f.args = c.ArgumentMap(p.op.Variables)
		if r.prepare != nil {
			arg, err := r.prepare(f.args)
			if err != nil {
				// gqlgen answers bad arguments: one place words their errors.
				return nil, unplanned("%s.%s: %v", typeName, c.Name, err)
			}
			f.arg = arg
		}
		if err := p.children(f, c.Selections); err != nil {
			return nil, err
		}
		if r.fetch != nil {
			f.columns = columnsBelow(f)
		}
		out = append(out, f)
	}
	return out, nil
}

// children plans f's selection on every concrete type its value may have.
func (p *planner) children(f *field, set ast.SelectionSet) error {
	if len(set) == 0 {
		return nil
	}
	named := p.schema.Types[f.typ.Name()]
	if named == nil {
		return errors.New("executor: unknown type " + f.typ.Name())
	}
	types := []*ast.Definition{named}
	if named.IsAbstractType() {
		types = p.schema.GetPossibleTypes(named)
		f.abstract = true
	}
	f.children = make(map[string][]*field, len(types))
	for _, t := range types {
		fields, err := p.selection(t.Name, set)
		if err != nil {
			return err
		}
		f.children[t.Name] = fields
	}
	if !f.abstract {
		f.only = f.children[named.Name]
	}
	return nil
}

// columnsBelow is what the fields selected on f's value need of its rows,
// through the objects computed in memory, down to the next fetches (which
// read their own).
func columnsBelow(f *field) store.Columns {
	var c store.Columns
	for _, fields := range f.children {
		for _, child := range fields {
			if child.resolve == typename {
				continue
			}
			c |= child.resolve.needs
			if child.resolve.fetch == nil {
				c |= columnsBelow(child)
			}
		}
	}
	return c
}

// selected is the type of a value v of f, and what f selects on it: its
// children, or, for a field of an interface type, the entry of v's type.
func (f *field) selected(v any) (string, []*field, bool) {
	if !f.abstract {
		return f.typ.Name(), f.only, true
	}
	name := typeOf(v)
	children, ok := f.children[name]
	return name, children, ok
}
