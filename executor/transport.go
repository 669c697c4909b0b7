package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// POST is gqlgen's POST transport, which writes this executor's answers as
// they are. gqlgen's transport encodes a response with encoding/json, which
// validates, compacts and copies the data of an answer (a third of a large
// answer's CPU, measured); this executor writes that JSON compact already.
// Everything else, the reading of requests, headers, status codes and every
// other answer, is gqlgen's own.
type POST struct{ transport.POST }

var _ graphql.Transport = POST{}

func (t POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	s := &sink{ResponseWriter: w}
	t.POST.Do(s, r.WithContext(context.WithValue(r.Context(), sinkKey{}, s)), exec)
	s.release()
}

type sinkKey struct{}

// placeholder is what gqlgen's transport writes for the response the
// executor hands it in place of its answer: a response of data alone,
// and that data null.
var placeholder = []byte(`{"data":null}`)

// sink is the response writer of one request: it writes the executor's
// answer where gqlgen's transport writes the placeholder.
type sink struct {
	http.ResponseWriter
	answer *[]byte
}

// The executor writes its answer whole, data inside: answerPrefix, the
// data, answerSuffix.
const (
	answerPrefix = `{"data":`
	answerSuffix = `}`
)

// answered hands the executor's answer, with the response's extensions
// (extensions.cost, say), to the request's sink, if it has one, and
// returns the response to give gqlgen; without a sink (a GET), the
// response carries the data and the extensions.
func answered(ctx context.Context, answer *[]byte, extensions map[string]any) *graphql.Response {
	if s, ok := ctx.Value(sinkKey{}).(*sink); ok && s.answer == nil {
		if len(extensions) > 0 {
			// After the data, as gqlgen's Response orders its fields.
			ext, err := json.Marshal(extensions)
			if err != nil {
				return &graphql.Response{Data: (*answer)[len(answerPrefix) : len(*answer)-len(answerSuffix)], Extensions: extensions}
			}
			b := append((*answer)[:len(*answer)-len(answerSuffix)], `,"extensions":`...)
			*answer = append(append(b, ext...), answerSuffix...)
		}
		s.answer = answer
		return &graphql.Response{Data: placeholder[len(answerPrefix) : len(placeholder)-len(answerSuffix)]}
	}
	return &graphql.Response{Data: (*answer)[len(answerPrefix) : len(*answer)-len(answerSuffix)], Extensions: extensions}
}

func (s *sink) Write(b []byte) (int, error) {
	if s.answer == nil || !bytes.Equal(b, placeholder) {
		return s.ResponseWriter.Write(b)
	}
	if _, err := s.ResponseWriter.Write(*s.answer); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (s *sink) release() {
	if s.answer != nil {
		putBuffer(s.answer)
		s.answer = nil
	}
}

// buffers keeps answer buffers between requests: an answer of 200 KB is
// otherwise that much garbage per request.
var buffers sync.Pool

// maxPooled bounds the buffers kept, so that one huge answer is not held.
const maxPooled = 4 << 20

func getBuffer(size int) *[]byte {
	if b, ok := buffers.Get().(*[]byte); ok && cap(*b) >= size {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, size)
	return &b
}

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooled {
		buffers.Put(b)
	}
}
