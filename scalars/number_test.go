package scalars

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "-0.0": "0", "0e5": "0", "0.000e-999999999999": "0",
		"1": "1", "1.0": "1", "1e2": "100", "100.000": "100", "1E+2": "100", "-1.5": "-1.5",
		"0.1": "0.1", "1e-7": "0.0000001", "123.456e-2": "1.23456", "0.000123e3": "0.123",
		"9007199254740992": "9007199254740992", "1e21": "1000000000000000000000",
		"5e-324":                  "0." + strings.Repeat("0", 323) + "5",
		"1.7976931348623157e308":  "17976931348623157" + strings.Repeat("0", 292),
		"-1.7976931348623157e308": "-17976931348623157" + strings.Repeat("0", 292),
	} {
		got, err := Number(in)
		if err != nil || got != want {
			t.Errorf("Number(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"1e400": "out of range", "-1e400": "out of range", "1.7976931348623159e308": "out of range",
		"1e99999999999999999999": "out of range",
		"1e-400":                 "too close to zero", "-2e-324": "too close to zero", "1e-99999999999999999999": "too close to zero",
		"9007199254740993":    "nearest double is 9007199254740992",
		"0.10000000000000001": "nearest double is 0.1",
		"4.9e-324":            "nearest double is 5e-324",
		"1.":                  "not a JSON number", "+1": "not a JSON number", "01": "not a JSON number", "": "not a JSON number", "NaN": "not a JSON number",
	} {
		if got, err := Number(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("Number(%s) = %s, %v; want an error saying %q", in, got, err, why)
		}
	}
}

// TestNumberOfEveryDouble: any double's shortest form, in either notation,
// is accepted and comes back as its plain form, which is accepted as it is.
func TestNumberOfEveryDouble(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, _ := Float(f)
		for _, s := range []string{strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'e', -1, 64), want} {
			if got, err := Number(s); err != nil || got != want {
				t.Fatalf("Number(%s) = %s, %v; want %s", s, got, err, want)
			}
		}
		if back, _ := strconv.ParseFloat(want, 64); back != f && !(f == 0 && back == 0) {
			t.Fatalf("%s reads back as %v, not %v", want, back, f)
		}
	}
}
