package scalars

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScalarProblem(t *testing.T) {
	for _, c := range []struct {
		scalar string
		value  any
		want   string // "" when v is one
	}{
		{"Int", json.Number("2147483647"), ""},
		{"Int", json.Number("-2147483648"), ""},
		{"Int", int64(7), ""},
		{"Int", 7.0, ""},
		{"Int", json.Number("2147483648"), "non 32-bit signed integer value: 2147483648"},
		{"Int", json.Number("-2147483649"), "non 32-bit signed integer value: -2147483649"},
		{"Int", json.Number("99999999999999999999"), "non 32-bit signed integer value"},
		{"Int", json.Number("1e400"), "non 32-bit signed integer value: 1e400"},
		{"Int", json.Number("1e10"), "non 32-bit signed integer value: 1e10"},
		{"Int", json.Number("1.5"), "non-integer value: 1.5"},
		{"Int", json.Number("1e-400"), "non-integer value: 1e-400"},
		{"Int", json.Number("1e2"), "in digits alone"},
		{"Int", "1", `non-integer value: "1"`},
		{"Int", 2147483648.0, "non 32-bit"},
		{"Int", 1.5, "non-integer"},
		{"Float", json.Number("1.5"), ""},
		{"Float", "1.5", `non numeric value: "1.5"`},
		{"String", "x", ""},
		{"String", json.Number("5"), "non string value: 5"},
		{"ID", "x", ""},
		{"ID", json.Number("12"), ""},
		{"ID", json.Number("1.5"), "non-string and non-integer value: 1.5"},
		{"ID", true, "non-string and non-integer value: true"},
		{"Time", json.Number("5"), ""}, // the Time scalar's to refuse
	} {
		got := scalarProblem(c.scalar, c.value)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s %#v: %q, want %q", c.scalar, c.value, got, c.want)
		}
	}
}
