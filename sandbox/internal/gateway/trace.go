package gateway

import (
	"strconv"
	"time"

	"github.com/jr0185/harness/sandbox/internal/observe"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Steps of a Trace, in the order the gateway runs them.
const (
	StepLifecycle     = "lifecycle" // recorded only when it refuses
	StepTLS           = "tls"       // recorded when the request came over TLS
	StepAuthorization = "authorization"
	StepApp           = "app"
	StepCertificate   = "certificate"
	StepSignature     = "signature"
	StepTimestamp     = "timestamp"
	StepStatus        = "status"
	StepScope         = "scope"
	StepParams        = "params"
	StepToken         = "token"
	StepRateLimit     = "rate_limit"
	StepNonce         = "nonce"
)

const maxSteps = 12

// Trace is what the gateway checked on one request and what it found, for the sandbox's
// observation of a partner and its request inspector. Pass a *Trace to AdmitTraced; a
// nil *Trace records nothing and costs nothing. It lives on the caller's stack: the
// steps are a fixed array.
type Trace struct {
	AppID string // the registered App_ID the request named; "" if none was found

	// As sent in the Authorization header (clipped).
	Scheme, Serial, Timestamp, Nonce string
	// Skew is the bank's clock minus the request's timestamp (0 if unparseable).
	Skew time.Duration

	SignatureChecked bool // the signature or MAC was verified (false: never got there)
	SignatureValid   bool
	NonceReused      bool
	CertBound        bool // the client certificate is registered for / bound to the App_ID

	steps [maxSteps]observe.Check
	n     int
}

// Checks are the steps in the order they ran.
func (t *Trace) Checks() []observe.Check {
	if t == nil {
		return nil
	}
	return t.steps[:t.n]
}

// step records one step: pass when perr is nil, else fail with its code. It returns perr.
func (t *Trace) step(name string, perr *problem.Error) *problem.Error {
	if t == nil || t.n == maxSteps {
		return perr
	}
	t.steps[t.n] = StepCheck(name, perr)
	t.n++
	return perr
}

// StepCheck is one step's check: pass when perr is nil, else fail with its code.
func StepCheck(name string, perr *problem.Error) observe.Check {
	c := observe.Check{Step: name, Result: observe.Pass}
	if perr != nil {
		c.Result, c.Code = observe.Fail, perr.Code
	}
	return c
}

func (t *Trace) credentials(c protocol.Credentials, now time.Time) {
	if t != nil {
		t.SetCredentials(c, now, clip)
	}
}

// SetCredentials records the credentials as sent, each field cut by clip, and the skew
// of their timestamp from now (left as it was when the timestamp is not unix seconds).
func (t *Trace) SetCredentials(c protocol.Credentials, now time.Time, clip func(string) string) {
	t.Scheme, t.Serial, t.Timestamp, t.Nonce = clip(c.Scheme), clip(c.Serial), clip(c.Timestamp), clip(c.Nonce)
	if ts, err := strconv.ParseInt(c.Timestamp, 10, 64); err == nil {
		t.Skew = now.Sub(time.Unix(ts, 0))
	}
}

func (t *Trace) app(id string) {
	if t != nil {
		t.AppID = id
	}
}

func (t *Trace) signature(valid bool) {
	if t != nil {
		t.SignatureChecked, t.SignatureValid = true, valid
	}
}

func (t *Trace) nonceReused(reused bool) {
	if t != nil {
		t.NonceReused = reused
	}
}

func (t *Trace) certBound(ok bool) {
	if t != nil {
		t.CertBound = ok
	}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
