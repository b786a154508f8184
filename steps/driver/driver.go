// Package driver is the partner-side suite's driver contract: how the conformance
// harness asks a partner's integration to act ("list products", "link the user's
// accounts", "query balance", "pay 10.00 to X", "revoke") and how the results and the
// partner's own log come back. It is documented for partners in any language in
// features/partner/DRIVER.md; this package holds the wire types and the two transports
// the harness speaks:
//
//   - HTTP: the partner runs a test-mode endpoint; the harness POSTs {base}/{action}
//     with the parameters as a JSON object and reads an Envelope.
//   - Command: the harness runs `<command> <action>` with the parameters on stdin and
//     reads an Envelope from stdout; stderr is the partner's log.
//
// The harness only ever sees what a partner chooses to show through the contract plus
// what the bank observed on the wire (JR/T 0185-2020 judged by what the partner does,
// in the manner of the OpenID Foundation's client test plans).
package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Action names. Each is documented, with its parameters and result, in DRIVER.md.
const (
	Hello         = "hello"
	Configure     = "configure"
	Reset         = "reset"
	ListProducts  = "list_products"
	StartLink     = "start_link"
	FinishLink    = "finish_link"
	Accounts      = "accounts"
	Balance       = "balance"
	Holdings      = "holdings"
	Transactions  = "transactions"
	StartPayment  = "start_payment"
	FinishPayment = "finish_payment"
	PaymentStatus = "payment_status"
	Notifications = "notifications"
	Revoke        = "revoke"
	History       = "history"
	Status        = "status"
	Log           = "log"
)

// Actions lists every action, in the order DRIVER.md documents them.
var Actions = []string{Hello, Configure, Reset, ListProducts, StartLink, FinishLink, Accounts, Balance, Transactions, Holdings,
	StartPayment, FinishPayment, PaymentStatus, Notifications, Revoke, History, Status, Log}

// Error codes a partner answers with (Error.Code).
const (
	CodeNotLinked      = "not_linked"        // no user has linked accounts yet
	CodeIntegrity      = "integrity_failure" // a bank answer failed verification; it was not acted upon
	CodeCircuitOpen    = "circuit_open"      // the partner's circuit breaker refused the call
	CodeRateLimited    = "rate_limited"      // the bank asked the partner to slow down and it gave up
	CodeRelinkRequired = "relink_required"   // consent or refresh token gone: the user must consent again
	CodeBankError      = "bank_error"        // the bank refused; Message carries its catalogued code
	CodeUnsupported    = "unsupported"       // the action is not implemented
	CodeInvalid        = "invalid"           // bad parameters
	CodeInternal       = "internal"          // anything else
)

// Envelope is every answer of every action.
type Envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Error is a partner's refusal or failure of an action.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// OKEnvelope wraps a result.
func OKEnvelope(result any) (Envelope, error) {
	if result == nil {
		result = struct{}{}
	}
	b, err := json.Marshal(result)
	if err != nil {
		return Envelope{}, err
	}
	return Envelope{OK: true, Result: b}, nil
}

// Fail wraps an error code and message.
func Fail(code, format string, args ...any) Envelope {
	return Envelope{Error: &Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// Driver is a partner integration in test mode.
type Driver interface {
	// Do runs one action and decodes its result into out (which may be nil). A partner
	// that answered ok:false gives an *Error; transport failures give other errors.
	Do(ctx context.Context, action string, params, out any) error
	// Log returns the partner's log lines since the last Reset.
	Log(ctx context.Context) ([]string, error)
	// Describe names the driver for reports ("http://127.0.0.1:9000/driver").
	Describe() string
	Close() error
}

// Open parses a driver address: "http://host:port/base" or "https://..." for the HTTP
// transport, "exec:<command line>" for the command transport.
func Open(spec string) (Driver, error) {
	switch {
	case strings.HasPrefix(spec, "http://"), strings.HasPrefix(spec, "https://"):
		return NewHTTP(spec, nil), nil
	case strings.HasPrefix(spec, "exec:"):
		return NewCommand(strings.TrimSpace(strings.TrimPrefix(spec, "exec:")), "")
	default:
		return nil, fmt.Errorf("driver %q: use http://host:port/path for an HTTP driver or exec:<command> for a command driver", spec)
	}
}

// decode turns an envelope into the caller's result.
func decode(action string, env Envelope, out any) error {
	if !env.OK {
		if env.Error == nil {
			return &Error{Code: CodeInternal, Message: "ok is false and no error object was given"}
		}
		return env.Error
	}
	if out == nil || len(env.Result) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("driver: %s: result does not match the contract: %w", action, err)
	}
	return nil
}

// Code returns the partner's error code of err, or "" when err is not a partner error.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
