package driver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path"
	"strings"
)

// Func runs one action for a Go partner: params is the raw JSON object the harness sent.
type Func func(ctx context.Context, action string, params json.RawMessage) Envelope

// Handler serves the HTTP transport for a Go partner: POST {base}/{action}, the action
// being the last segment of the path, wherever the handler is mounted. Every answer is HTTP 200 with an Envelope;
// a non-POST or an unreadable body gets an "invalid" envelope.
func Handler(f Func) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := path.Base(r.URL.Path)
		var env Envelope
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxAnswer))
		switch {
		case r.Method != http.MethodPost:
			env = Fail(CodeInvalid, "POST the action's parameters as a JSON object")
		case err != nil:
			env = Fail(CodeInvalid, "reading the parameters: %v", err)
		case len(strings.TrimSpace(string(body))) == 0:
			env = f(r.Context(), action, json.RawMessage("{}"))
		case !json.Valid(body):
			env = Fail(CodeInvalid, "the parameters are not JSON")
		default:
			env = f(r.Context(), action, body)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(env)
	})
}
