package executor

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
)

// write appends the JSON of the fields selected on obj, of type typeName.
// Every fetch has been made: what is not in a field's results is computed
// here, in memory. The executor runs only what it can answer without an
// error, so no value is missing and nothing propagates a null.
func write(b []byte, typeName string, fields []*field, obj any) ([]byte, error) {
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.key)
		b = append(b, ':')
		var err error
		switch {
		case f.resolve == typename:
			b = appendString(b, typeName)
		case f.resolve.leaf != nil:
			b, err = f.resolve.leaf(b, obj)
		case f.resolve.fetch != nil:
			b, err = complete(b, f, f.typ, f.results[obj])
		default:
			var v any
			if v, err = f.resolve.value(f, obj); err == nil {
				b, err = complete(b, f, f.typ, v)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// complete appends f's value v, of type t: f's type or, in a list, its
// element type.
func complete(b []byte, f *field, t *ast.Type, v any) ([]byte, error) {
	if v == nil {
		if t.NonNull {
			return nil, fmt.Errorf("executor: null for %s", t)
		}
		return append(b, "null"...), nil
	}
	if t.Elem != nil {
		b = append(b, '[')
		n := 0
		err := forEach(v, func(x any) error {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			var err error
			b, err = complete(b, f, t.Elem, x)
			return err
		})
		return append(b, ']'), err
	}
	if n, ok := v.(int); ok {
		return appendInt(b, n), nil
	}
	name, children, ok := f.selected(v)
	if !ok {
		return nil, fmt.Errorf("executor: no selection on %s", name)
	}
	return write(b, name, children, v)
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// appendTime writes a Time as graphql.MarshalTime does.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString writes s as a JSON string, byte for byte as encoding/json
// writes it (HTML-safe: <, > and & escaped, as gqlgen's answers are after
// its transport's encoding). Written by hand because encoding/json has no
// append form for one string, and this is the hottest loop of an answer.
// Invalid UTF-8 becomes U+FFFD, as encoding/json makes it.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// safe tells the ASCII bytes a JSON string holds as they are.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hex = "0123456789abcdef"
