// Package problem is the bank's one error catalogue. Every error a client can see is a
// predefined *Error with a stable UPPER_SNAKE code, an HTTP status and the clause of
// JR/T 0185-2020 it enforces; callers refine a copy (WithDetail, WithDebug) and the HTTP
// layer renders it once as application/problem+json (RFC 9457).
//
// Nothing internal ever reaches the body: causes attached with Wrap are for logs only,
// and Debug fields are rendered only in sandbox mode (JR/T 0185-2020 7.1: 异常与调试信息
// 不应泄漏服务器、中间件、数据库等软硬件信息或内部网络信息).
package problem

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"unicode/utf8"
)

// Error is a catalogued error. The zero value is not useful; start from a catalogue entry.
type Error struct {
	Code       string
	Status     int
	Title      string
	Clause     string         // the requirement it enforces, e.g. "9.2.2/2"
	Detail     string         // safe, specific explanation for the caller
	Debug      map[string]any // sandbox-mode diagnostics (signature debugger); never in production mode
	RetryAfter int            // seconds; rendered as Retry-After when > 0
	cause      error          // internal; logged, never rendered
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Code + ": " + e.Detail
	}
	return e.Code + ": " + e.Title
}

// Unwrap exposes the internal cause to errors.Is/As in logs and tests.
func (e *Error) Unwrap() error { return e.cause }

// Is matches catalogue entries by code, so errors.Is(err, problem.NonceReplayed) works
// on refined copies.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

func (e *Error) clone() *Error {
	c := *e
	if e.Debug != nil {
		c.Debug = maps.Clone(e.Debug)
	}
	return &c
}

// WithDetail returns a copy with a caller-facing detail message.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := e.clone()
	c.Detail = fmt.Sprintf(format, args...)
	return c
}

// WithDebug returns a copy with one sandbox-mode diagnostic field added.
func (e *Error) WithDebug(key string, value any) *Error {
	c := e.clone()
	if c.Debug == nil {
		c.Debug = map[string]any{}
	}
	c.Debug[key] = value
	return c
}

// WithRetryAfter returns a copy that tells the client when to retry.
func (e *Error) WithRetryAfter(seconds int) *Error {
	c := e.clone()
	c.RetryAfter = seconds
	return c
}

// Wrap returns a copy carrying an internal cause for the logs.
func (e *Error) Wrap(cause error) *Error {
	c := e.clone()
	c.cause = cause
	return c
}

// From returns err as a catalogued *Error; anything uncatalogued becomes Internal with
// the original kept as the (unrendered) cause.
//
// A failure of the storage itself (an error in the chain with a StorageFailure() true
// method, see store.StorageError) that is not already a catalogued refusal becomes
// StorageUnavailable with Retry-After: the partner can tell "retry later" from a bank bug.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) && pe.Code != Internal.Code {
		return pe
	}
	var sf interface{ StorageFailure() bool }
	if errors.As(err, &sf) && sf.StorageFailure() {
		return StorageUnavailable.WithRetryAfter(StorageRetryAfter).Wrap(err)
	}
	if pe != nil {
		return pe
	}
	return Internal.Wrap(err)
}

// Body is the application/problem+json document.
type Body struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Code      string         `json:"code"`
	Detail    string         `json:"detail,omitempty"`
	RequestID string         `json:"request_id"`
	Clause    string         `json:"clause,omitempty"`
	Debug     map[string]any `json:"debug,omitempty"`
}

// ContentType is the media type of rendered problems.
const ContentType = "application/problem+json"

// Body renders e for a response. Debug is included only when debug is true (sandbox mode).
func (e *Error) Body(requestID string, debug bool) Body {
	b := Body{
		Type:      "/docs/errors#" + e.Code,
		Title:     e.Title,
		Status:    e.Status,
		Code:      e.Code,
		Detail:    e.Detail,
		RequestID: requestID,
	}
	if e.Clause != "" {
		b.Clause = "JR/T 0185-2020 " + e.Clause
	}
	if debug && len(e.Debug) > 0 {
		b.Debug = e.Debug
	}
	return b
}

var registry = map[string]*Error{}

func define(code string, status int, clause, title string) *Error {
	if _, dup := registry[code]; dup {
		panic("problem: duplicate code " + code)
	}
	e := &Error{Code: code, Status: status, Clause: clause, Title: title}
	registry[code] = e
	return e
}

// All returns the catalogue sorted by status then code, for the served documentation.
func All() []*Error {
	out := make([]*Error, 0, len(registry))
	for _, e := range registry {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Status != out[j].Status {
			return out[i].Status < out[j].Status
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Lookup finds a catalogue entry by code.
func Lookup(code string) (*Error, bool) {
	e, ok := registry[code]
	return e, ok
}

// Clip shortens caller-supplied text before it is echoed in a detail: at most 40 bytes,
// cut on a character boundary, with "…" when cut.
func Clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
