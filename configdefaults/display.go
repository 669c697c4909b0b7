package configdefaults

import (
	"bytes"
	"encoding/json"
)

// display is v as JSON, the way a person would write it in a config.
func display(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "the point's value"
	}
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}
