package executor

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// The sink relies on what gqlgen's transport writes for the response
// answered gives it (encoding/json's form of it): the placeholder. Were
// that to change, answers would go out as null.
func TestSinkWritesTheAnswer(t *testing.T) {
	rec := httptest.NewRecorder()
	s := &sink{ResponseWriter: rec}
	ctx := context.WithValue(context.Background(), sinkKey{}, s)
	answer := []byte(answerPrefix + `{"organization":{"name":"<acme>"}}` + answerSuffix)
	resp := answered(ctx, &answer, nil)
	written, err := json.Marshal(resp) // what transport.POST writes
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != string(placeholder) {
		t.Fatalf("gqlgen would write %s for the placeholder response, not %s", written, placeholder)
	}
	if n, err := s.Write(written); err != nil || n != len(written) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := rec.Body.String(); got != string(answer) {
		t.Fatalf("sent %s, want the answer %s", got, answer)
	}
	// Anything else passes through untouched.
	other := []byte(`{"errors":[{"message":"x"}],"data":null}`)
	rec2 := httptest.NewRecorder()
	s2 := &sink{ResponseWriter: rec2, answer: &answer}
	s2.Write(other)
	if rec2.Body.String() != string(other) {
		t.Fatalf("sent %s, want %s", rec2.Body.String(), other)
	}
}

// Without a sink (a GET), the response carries the data itself.
func TestAnsweredWithoutSink(t *testing.T) {
	answer := []byte(answerPrefix + `{"a":1}` + answerSuffix)
	resp := answered(context.Background(), &answer, nil)
	if string(resp.Data) != `{"a":1}` {
		t.Fatalf("data %s", resp.Data)
	}
}

// The extensions go out with the executor's answer as gqlgen would write
// them, after the data, both with a sink and without.
func TestAnsweredWithExtensions(t *testing.T) {
	ext := map[string]any{"cost": map[string]any{"requestedQueryCost": 12, "throttleStatus": map[string]any{"restoreRate": 1.5}}}
	data := `{"organization":{"name":"acme"}}`
	want, err := json.Marshal(&graphql.Response{Data: json.RawMessage(data), Extensions: ext})
	if err != nil {
		t.Fatal(err)
	}

	rec := httptest.NewRecorder()
	s := &sink{ResponseWriter: rec}
	answer := []byte(answerPrefix + data + answerSuffix)
	written, _ := json.Marshal(answered(context.WithValue(context.Background(), sinkKey{}, s), &answer, ext))
	s.Write(written)
	if got := rec.Body.String(); got != string(want) {
		t.Errorf("with a sink, sent %s, want %s", got, want)
	}

	answer = []byte(answerPrefix + data + answerSuffix)
	if got, _ := json.Marshal(answered(context.Background(), &answer, ext)); string(got) != string(want) {
		t.Errorf("without a sink, %s, want %s", got, want)
	}
}
