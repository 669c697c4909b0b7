package executor

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"
)

// appendString is a second JSON string encoder: it must write what
// encoding/json writes for valid UTF-8, and mean the same for any string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted"`, `back\slash`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f",
		"<html> & </html>", "é中文🙂", "\u2028\u2029", "bad \xff\xfe utf8", "\xed\xa0\x80", "trunc \xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkString(t, s) })
}

// TestAppendStringRandom runs the comparison on generated strings every
// time, fuzzing or not: bytes of every class, invalid sequences included.
func TestAppendStringRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", " ", `"`, `\`, "/", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "<", ">", "&",
		"é", "中", "🙂", "\u2028", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80"}
	for range 20000 {
		b := make([]byte, 0, 32)
		for range rng.IntN(24) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		checkString(t, string(b))
	}
}

func checkString(t *testing.T, s string) {
	t.Helper()
	got := appendString(nil, s)
	if !json.Valid(got) {
		t.Fatalf("appendString(%q) = %s: not JSON", s, got)
	}
	var back string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if utf8.ValidString(s) {
		if want, _ := json.Marshal(s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
	want := s
	if !utf8.ValidString(s) {
		// encoding/json decodes what it encodes with U+FFFD for bad bytes.
		var viaJSON string
		raw, _ := json.Marshal(s)
		json.Unmarshal(raw, &viaJSON)
		want = viaJSON
	}
	if back != want {
		t.Fatalf("appendString(%q) decodes to %q, encoding/json's to %q", s, back, want)
	}
}

// appendTime writes what graphql.MarshalTime writes.
func TestAppendTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		tm := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()
		if rng.IntN(4) == 0 {
			tm = tm.Truncate(time.Second)
		}
		got := string(appendTime(nil, tm))
		want, _ := json.Marshal(tm.Format(time.RFC3339Nano))
		if got != string(want) {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
