package scalars

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// ValidationRules are gqlparser's default rules with ValuesOfCorrectType
// made stricter and clearer about a query's literals: an Int holds 32 bits,
// as the GraphQL spec says (gqlparser allows 64); a number inside a JSON
// value must be one a double holds (see Number), as in a variable; and
// every error says which argument it is about, where gqlparser gives only
// a line and column.
func ValidationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.ReplaceRule(rules.ValuesOfCorrectTypeRule.Name, valuesOfCorrectType)
	return r
}

// maxNumberErrors bounds the errors about one JSON literal's numbers.
const maxNumberErrors = 10

func valuesOfCorrectType(observers *core.Events, addError core.AddErrFunc) {
	var (
		walker  *core.Walker
		current *ast.Value
		names   map[*ast.Value]string
		// reported holds the values an error was about: gqlparser also
		// refuses each object and list around a bad number, without saying
		// which; those second errors are dropped.
		reported = map[*ast.Value]bool{}
	)
	report := func(v *ast.Value, opts ...core.ErrorOption) {
		if names == nil {
			names = argumentNames(walker.Document)
		}
		reported[v] = true
		if name, ok := names[v]; ok {
			opts = append([]core.ErrorOption{core.Message("%s", name+": ")}, opts...)
		}
		addError(opts...)
	}
	// Registered before gqlparser's, so it sees each value first.
	observers.OnValue(func(w *core.Walker, v *ast.Value) {
		walker, current = w, v
		if v.Definition == nil {
			return
		}
		switch {
		case v.Definition.Name == "JSON":
			n := 0
			eachNumber(v, func(leaf *ast.Value) {
				if msg := literalNumberProblem(leaf); msg != "" && n < maxNumberErrors {
					n++
					report(leaf, core.Message("%s", msg), core.At(leaf.Position))
				}
			})
		case v.Kind == ast.IntValue && v.Definition.Name == "Int":
			if _, err := strconv.ParseInt(v.Raw, 10, 64); err == nil {
				if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil {
					report(v, core.Message("Int cannot represent non 32-bit signed integer value: %s", v.Raw), core.At(v.Position))
				}
			}
		case v.Kind == ast.IntValue || v.Kind == ast.FloatValue:
			// A number for another custom scalar (Time) is that scalar's
			// to refuse, unless it is too big to read at all.
			if _, err := v.Value(nil); err != nil {
				report(v, core.Message("%s is out of range: a number here must fit in 64 bits, or in a double", shorten(v.Raw)), core.At(v.Position))
			}
		}
	})
	rules.ValuesOfCorrectTypeRule.RuleFunc(observers, func(opts ...core.ErrorOption) {
		v := current
		if v == nil {
			addError(opts...)
			return
		}
		if v.Kind == ast.ObjectValue || v.Kind == ast.ListValue {
			var e gqlerror.Error
			for _, o := range opts {
				o(&e)
			}
			if _, err := v.Value(nil); err != nil && strings.HasPrefix(e.Message, "Expected value of type") && below(v, reported) {
				return // what is wrong inside was said
			}
		}
		report(v, opts...)
	})
}

// literalNumberProblem is what is wrong with a number literal inside a
// JSON value, or "".
func literalNumberProblem(v *ast.Value) string {
	if v.Kind == ast.IntValue {
		if _, err := strconv.ParseInt(v.Raw, 10, 64); err != nil {
			return shorten(v.Raw) + " is out of range: an integer written in a query must fit in 64 bits; write it with an exponent, or send it in a variable"
		}
	}
	if _, err := Number(v.Raw); err != nil {
		return err.Error()
	}
	return ""
}

// eachNumber calls fn with every number literal in v, v included.
func eachNumber(v *ast.Value, fn func(*ast.Value)) {
	switch v.Kind {
	case ast.IntValue, ast.FloatValue:
		fn(v)
	case ast.ObjectValue, ast.ListValue:
		for _, c := range v.Children {
			eachNumber(c.Value, fn)
		}
	}
}

// below tells whether an error was reported about a value inside v.
func below(v *ast.Value, reported map[*ast.Value]bool) bool {
	for _, c := range v.Children {
		if reported[c.Value] || below(c.Value, reported) {
			return true
		}
	}
	return false
}

// argumentNames names every value of a document's arguments and variable
// defaults, e.g. `Argument "input.labels.0.key" of "createAccount"`.
func argumentNames(doc *ast.QueryDocument) map[*ast.Value]string {
	names := map[*ast.Value]string{}
	var value func(v *ast.Value, path string, name func(path string) string)
	value = func(v *ast.Value, path string, name func(string) string) {
		if v == nil {
			return
		}
		names[v] = name(path)
		for i, c := range v.Children {
			if v.Kind == ast.ListValue {
				value(c.Value, path+"."+strconv.Itoa(i), name)
			} else {
				value(c.Value, path+"."+c.Name, name)
			}
		}
	}
	directives := func(list ast.DirectiveList) {
		for _, d := range list {
			for _, a := range d.Arguments {
				value(a.Value, a.Name, func(p string) string { return fmt.Sprintf("Argument %q of \"@%s\"", p, d.Name) })
			}
		}
	}
	var selections func(set ast.SelectionSet)
	selections = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					value(a.Value, a.Name, func(p string) string { return fmt.Sprintf("Argument %q of %q", p, s.Name) })
				}
				directives(s.Directives)
				selections(s.SelectionSet)
			case *ast.InlineFragment:
				directives(s.Directives)
				selections(s.SelectionSet)
			case *ast.FragmentSpread:
				directives(s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, vd := range op.VariableDefinitions {
			value(vd.DefaultValue, vd.Variable, func(p string) string {
				if p == vd.Variable {
					return fmt.Sprintf("Default value of \"$%s\"", p)
				}
				return fmt.Sprintf("Default value of \"$%s\" at %q", vd.Variable, p)
			})
		}
		directives(op.Directives)
		selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		directives(f.Directives)
		selections(f.SelectionSet)
	}
	return names
}
