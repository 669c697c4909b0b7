package scalars

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// JSON numbers are doubles (IEEE 754 binary64), as JSON.parse reads them.
// A number is accepted when a double holds its value exactly as written:
// its nearest double, in shortest decimal form, is the same number (1.0,
// 1e2 and 100 are; 1e400, 1e-400 and 9007199254740993 are not). It is
// kept in one canonical form, the double's shortest digits in plain
// decimal with no exponent, and 0 for any zero, -0 included: the form
// PostgreSQL's jsonb gives back for it unchanged (jsonb keeps neither an
// exponent nor -0), so both engines store and return the same bytes.

// jsonNumber is the grammar of a JSON number.
var jsonNumber = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

// Number returns the canonical form of a JSON number literal, or an error
// saying why a double cannot hold it.
func Number(s string) (string, error) {
	if !jsonNumber.MatchString(s) {
		return "", errors.New("is not a JSON number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", errors.New(shorten(s) + " is out of range: a JSON number here is a double, at most about 1.8e308")
	}
	nearest := strconv.FormatFloat(f, 'g', -1, 64)
	if !sameValue(s, nearest) {
		if f == 0 {
			return "", errors.New(shorten(s) + " is too close to zero for a double (the smallest is about 5e-324); send 0 if that is meant")
		}
		if plain, _ := Float(f); len(plain) <= 24 {
			nearest = plain
		}
		return "", errors.New(shorten(s) + " has more digits than a double holds; the nearest double is " + nearest +
			" (send that, or the number as a string)")
	}
	return Float(f)
}

// Float returns the canonical form of a double.
func Float(f float64) (string, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "", errors.New("must be a finite number")
	}
	if f == 0 {
		return "0", nil
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// shorten cuts a long literal for a message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// sameValue tells whether two JSON number literals are the same number.
func sameValue(a, b string) bool {
	an, ad, ae := decimal(a)
	bn, bd, be := decimal(b)
	if ad == "" || bd == "" {
		return ad == bd // zeros, whatever their sign
	}
	return an == bn && ad == bd && ae == be
}

// decimal reads a JSON number literal as 0.digits × 10^exp: its sign, its
// significant digits (no leading or trailing zeros; "" for zero) and its
// exponent. It never builds the number, so a huge exponent costs nothing.
func decimal(s string) (neg bool, digits string, exp int64) {
	if neg = strings.HasPrefix(s, "-"); neg {
		s = s[1:]
	}
	mantissa := s
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa = s[:i]
		e := strings.TrimPrefix(s[i+1:], "+")
		negExp := strings.HasPrefix(e, "-")
		for _, c := range strings.TrimPrefix(e, "-") {
			if exp < 1e15 { // past any exponent a finite double can need
				exp = exp*10 + int64(c-'0')
			}
		}
		if negExp {
			exp = -exp
		}
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	all := whole + frac
	point := int64(len(whole))
	trimmed := strings.TrimLeft(all, "0")
	point -= int64(len(all) - len(trimmed))
	digits = strings.TrimRight(trimmed, "0")
	return neg, digits, exp + point
}
