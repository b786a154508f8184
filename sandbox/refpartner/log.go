package refpartner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/jr0185/harness/sandbox/sdk"
)

// memLog keeps the partner's log lines since the last reset (the log action returns
// them). It is the io.Writer of a log/slog text handler.
type memLog struct {
	mu      sync.Mutex
	lines   []string
	partial []byte
}

func (m *memLog) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partial = append(m.partial, p...)
	for {
		i := bytes.IndexByte(m.partial, '\n')
		if i < 0 {
			break
		}
		m.lines = append(m.lines, string(m.partial[:i]))
		m.partial = m.partial[i+1:]
	}
	return len(p), nil
}

func (m *memLog) Lines() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string{}, m.lines...)
}

func (m *memLog) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines, m.partial = nil, nil
}

// mask keeps the last four characters of an account, card, ID or phone number
// (7.3.3/2b: never a full number in a log).
func mask(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}

// observe is the SDK's Config.Observe: one access-log line per call to the bank with
// time, method, path without query, U_API_ID, request id, status, catalogued code and
// latency — never a body, a token or a header value that could carry one (9.3.3/2a).
func (p *Partner) observe(c sdk.Call) {
	if p.is(NoAccessLog) {
		return
	}
	path, _, _ := strings.Cut(c.PathWithQuery, "?")
	attrs := []any{"method", c.Method, "path", path}
	level := slog.LevelInfo
	if r := c.Response; r != nil {
		attrs = append(attrs, "uapi_id", r.UAPIID, "request_id", r.RequestID, "status", r.Status, "code", bankCode(r))
		if r.Status >= 400 {
			level = slog.LevelWarn
		}
	} else {
		attrs = append(attrs, "uapi_id", "", "request_id", "", "status", 0, "code", "")
	}
	attrs = append(attrs, "latency_ms", c.Duration.Milliseconds())
	if p.is(LogsSecrets) {
		attrs = append(attrs, p.secretsForTheLog()...)
	}
	if c.Err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, "error", callError(c.Err))
	}
	p.logger.Log(context.Background(), level, "bank call", attrs...)
}

// callError names an attempt's failure without echoing anything the bank sent.
func callError(err error) string {
	switch {
	case errors.Is(err, sdk.ErrIntegrity):
		return "integrity check failed"
	case errors.Is(err, sdk.ErrCircuitOpen):
		return "circuit open"
	default:
		return "transport error"
	}
}

// bankCode is the catalogued error code of an error answer ("" for a success).
func bankCode(r *sdk.Response) string {
	if r == nil || r.Status < 400 {
		return ""
	}
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Code
}

// secretsForTheLog is what the logs-secrets mutant adds to every access-log line: the
// App_Secret and the user's tokens.
func (p *Partner) secretsForTheLog() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []any{}
	if p.conf != nil {
		out = append(out, "app_secret", p.conf.AppSecret)
	}
	if p.user != nil {
		out = append(out, "access_token", p.user.access, "refresh_token", p.user.refresh)
	}
	return out
}
