// Package faults is the sandbox's fault injection (test control, sandbox mode only): an
// operator or a conformance suite makes one interface, one App_ID or both misbehave on
// purpose, to show that the bank detects the fault, raises an alarm, isolates it and
// recovers (JR/T 0185-2020 10.1.1/2a, 10.1.2/1, 10.1.2/1c).
//
// A fault is scoped by App_ID and/or API id; a fault with neither is refused, so an
// injection can never take down every interface for every partner. Kinds are values of
// Kind; the Effect a matching call gets is what the HTTP layer acts on. New kinds (the
// partner-side suite's tampered or stripped response signature, 429 bursts) are added by
// defining a Kind, listing it in kinds and giving it an Effect field.
package faults

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is what an injected fault does to the calls it matches.
type Kind string

// The kinds.
const (
	// BackendDown: the business layer behind the interface is unreachable; every
	// matching call gets a catalogued 503 with Retry-After.
	BackendDown Kind = "backend-down"
	// ErrorRate: a fraction Rate of the matching calls fails with 503 (deterministic:
	// call n fails when floor(n·Rate) > floor((n-1)·Rate)).
	ErrorRate Kind = "error-rate"
	// Slow: every matching call is delayed by DelayMS before the business layer answers.
	Slow Kind = "slow"

	// Partner-side suite kinds (scoped with app_id): what a partner must survive.

	// TamperBody: after the answer is signed, one digit of its body changes (the JSON
	// stays valid; the signature no longer matches).
	TamperBody Kind = "tamper-body"
	// TamperSignature: after signing, one bit of the decoded signature flips.
	TamperSignature Kind = "tamper-signature"
	// StripSignature: after signing, the signature and key-serial headers are removed.
	StripSignature Kind = "strip-signature"
	// RateLimit: the business layer is not called; the answer is a signed 429
	// RATE_LIMITED with Retry-After: RetryAfter.
	RateLimit Kind = "rate-limit"
	// LoseResponse: the business layer runs (a payment is created and its idempotent
	// answer stored), then the partner gets a signed 503 with Retry-After: 1 instead.
	LoseResponse Kind = "lose-response"
	// UnknownSerial: after signing, X-JR-Serial names a key serial the bank never
	// published (so it cannot be fetched); the signature itself is still the current
	// key's, so only a partner that resolves the serial refuses it.
	UnknownSerial Kind = "unknown-serial"
	// RetiredKey: the answer is signed again (same timestamp and nonce) by the bank's
	// retired signing key, whose certificate is published for verifying history but is
	// no longer valid: only a partner that checks the certificate's validity refuses it.
	RetiredKey Kind = "retired-key"
)

// NotificationAPI scopes a fault to the payment notifications the bank POSTs to an app
// (not an API of the catalogue): only the spoiling kinds apply to it, and a fault
// scoped to it touches no API answer, nor an API-scoped or app-wide fault a notification.
const NotificationAPI = "notify.payment-status"

var kinds = map[Kind]bool{BackendDown: true, ErrorRate: true, Slow: true,
	TamperBody: true, TamperSignature: true, StripSignature: true, RateLimit: true, LoseResponse: true,
	UnknownSerial: true, RetiredKey: true}

// partnerKinds must be scoped with app_id: they judge one partner.
var partnerKinds = map[Kind]bool{TamperBody: true, TamperSignature: true, StripSignature: true, RateLimit: true, LoseResponse: true,
	UnknownSerial: true, RetiredKey: true}

// spoilingKinds spoil a signed answer or notification after signing: the bank (or an
// attacker on the path) as the partner's adversary (JR/T 0185-2020 9.3.3/1).
var spoilingKinds = map[Kind]bool{TamperBody: true, TamperSignature: true, StripSignature: true, UnknownSerial: true, RetiredKey: true}

// Spoils reports whether k spoils a signed message after signing.
func Spoils(k Kind) bool { return spoilingKinds[k] }

// problemCode is the shape of a catalogued error code (UPPER_SNAKE).
var problemCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)

// Limits of a fault's parameters.
const (
	MaxDuration = time.Hour
	MaxDelay    = 10 * time.Second
	MaxActive   = 256
	// MaxRetryAfter bounds a fault's Retry-After (seconds).
	MaxRetryAfter = 60
	// DefaultUnavailableRetryAfter is the Retry-After of a 503 fault that names none.
	DefaultUnavailableRetryAfter = 5
)

// Spec is an injection request.
type Spec struct {
	Kind     Kind    `json:"kind"`
	AppID    string  `json:"app_id,omitempty"`
	APIID    string  `json:"api,omitempty"`
	Rate     float64 `json:"rate,omitempty"`     // ErrorRate: 0 < rate <= 1
	DelayMS  int     `json:"delay_ms,omitempty"` // Slow: 1 to 10000
	Count    int     `json:"count,omitempty"`    // matching calls affected, then the fault ends (0: no limit)
	Duration int     `json:"duration_seconds,omitempty"`
	// RetryAfter: the Retry-After seconds of a RateLimit 429 (default 1) or of a
	// BackendDown or ErrorRate 503 (default 5), 1 to 60.
	RetryAfter int `json:"retry_after_seconds,omitempty"`
	// Problem, with a spoiling kind on an API: the bank does not call the business layer
	// but answers this catalogued error (e.g. CONSENT_REVOKED), signed, then spoiled — a
	// forged error the partner must not act on. The caller checks it is catalogued.
	Problem string `json:"problem,omitempty"`
}

// Fault is an active injection.
type Fault struct {
	ID string `json:"id"`
	Spec
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Hits    int       `json:"hits"` // matching calls affected so far
	seen    int       // matching calls seen (ErrorRate)
}

// Effect is what a call gets. The zero Effect is a normal call.
type Effect struct {
	Fault    *Fault        // the fault that matched (a copy), nil if none did
	Fail     bool          // answer 503 SERVICE_UNAVAILABLE
	Delay    time.Duration // wait before the business layer answers
	FirstHit bool          // this is the fault's first affected call (raise the alarm once)
	// Throttle: answer 429 RATE_LIMITED with Retry-After: RetryAfter; the business layer
	// is not called. A Fail answer also carries RetryAfter.
	Throttle   bool
	RetryAfter int
	// LoseResponse: the business layer runs, then its answer is replaced by a 503.
	LoseResponse bool
	// Mangle (a spoiling kind) is done to the signed answer.
	Mangle Kind
	// Problem: answer this catalogued error instead of calling the business layer.
	Problem string
}

// Errors of Inject, worded for the operator.
var (
	ErrInvalid = errors.New("invalid fault")
	ErrFull    = errors.New("too many active faults")
)

// Registry holds the active faults. Safe for concurrent use.
type Registry struct {
	mu     sync.Mutex
	next   int
	active map[string]*Fault
	now    func() time.Time
	// IgnoreAPIScope is the faults-take-down-all-apis mutant: a fault scoped to one
	// interface hits every interface of its App_ID (no fault isolation, 10.1.2/1).
	IgnoreAPIScope bool
}

// New returns an empty registry on the given clock.
func New(now func() time.Time) *Registry {
	return &Registry{active: map[string]*Fault{}, now: now}
}

// Inject validates s and activates it.
func (r *Registry) Inject(s Spec) (Fault, error) {
	if !kinds[s.Kind] {
		return Fault{}, fmt.Errorf("%w: kind must be one of %s", ErrInvalid, kindList())
	}
	if s.AppID == "" && s.APIID == "" {
		return Fault{}, fmt.Errorf("%w: scope it with app_id, api or both", ErrInvalid)
	}
	if partnerKinds[s.Kind] && s.AppID == "" {
		return Fault{}, fmt.Errorf("%w: %s must be scoped with app_id", ErrInvalid, s.Kind)
	}
	if s.RetryAfter != 0 && s.Kind != RateLimit && s.Kind != BackendDown && s.Kind != ErrorRate {
		return Fault{}, fmt.Errorf("%w: retry_after_seconds applies to rate-limit, backend-down and error-rate only", ErrInvalid)
	}
	if s.APIID == NotificationAPI && !spoilingKinds[s.Kind] {
		return Fault{}, fmt.Errorf("%w: only %s apply to %s", ErrInvalid, spoilingList(), NotificationAPI)
	}
	if s.Problem != "" {
		switch {
		case !spoilingKinds[s.Kind]:
			return Fault{}, fmt.Errorf("%w: problem applies to %s only", ErrInvalid, spoilingList())
		case s.APIID == NotificationAPI:
			return Fault{}, fmt.Errorf("%w: problem applies to API answers, not to %s", ErrInvalid, NotificationAPI)
		case !problemCode.MatchString(s.Problem):
			return Fault{}, fmt.Errorf("%w: problem must be a catalogued error code (UPPER_SNAKE)", ErrInvalid)
		}
	}
	if s.Kind == ErrorRate && !(s.Rate > 0 && s.Rate <= 1) {
		return Fault{}, fmt.Errorf("%w: rate must be in (0, 1]", ErrInvalid)
	}
	switch s.Kind {
	case Slow:
		if s.DelayMS < 1 || time.Duration(s.DelayMS)*time.Millisecond > MaxDelay {
			return Fault{}, fmt.Errorf("%w: delay_ms must be from 1 to %d", ErrInvalid, MaxDelay.Milliseconds())
		}
	case RateLimit, BackendDown, ErrorRate:
		if s.RetryAfter == 0 {
			s.RetryAfter = 1 // a 429's default
			if s.Kind != RateLimit {
				s.RetryAfter = DefaultUnavailableRetryAfter
			}
		}
		if s.RetryAfter < 1 || s.RetryAfter > MaxRetryAfter {
			return Fault{}, fmt.Errorf("%w: retry_after_seconds must be from 1 to %d", ErrInvalid, MaxRetryAfter)
		}
	}
	if s.Count < 0 || s.Duration < 0 || time.Duration(s.Duration)*time.Second > MaxDuration {
		return Fault{}, fmt.Errorf("%w: count must be >= 0 and duration_seconds from 0 to %d", ErrInvalid, int(MaxDuration.Seconds()))
	}
	d := time.Duration(s.Duration) * time.Second
	if d == 0 {
		d = MaxDuration // every fault ends on its own
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	if len(r.active) >= MaxActive {
		return Fault{}, ErrFull
	}
	r.next++
	now := r.now()
	f := &Fault{ID: "F" + strconv.Itoa(r.next), Spec: s, Created: now, Expires: now.Add(d)}
	r.active[f.ID] = f
	return *f, nil
}

// Clear ends one fault; it reports whether it was active.
func (r *Registry) Clear(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.active[id]
	delete(r.active, id)
	return ok
}

// ClearScope ends every fault of an App_ID (appID "") or every fault of an API, and
// returns how many ended.
func (r *Registry) ClearScope(appID, apiID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id, f := range r.active {
		if (appID == "" || f.AppID == appID) && (apiID == "" || f.APIID == apiID) {
			delete(r.active, id)
			n++
		}
	}
	return n
}

// List returns the active faults, oldest first.
func (r *Registry) List() []Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	out := make([]Fault, 0, len(r.active))
	for _, f := range r.active {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Created.Before(out[j].Created) || out[i].ID < out[j].ID && out[i].Created.Equal(out[j].Created)
	})
	return out
}

// Degraded lists the API ids with an active backend-down or error-rate fault (for
// health): "*" stands for faults scoped to an App_ID only.
func (r *Registry) Degraded() map[string][]string {
	out := map[string][]string{}
	for _, f := range r.List() {
		if f.Kind != BackendDown && f.Kind != ErrorRate {
			continue
		}
		api := f.APIID
		if api == "" {
			api = "*"
		}
		out[api] = append(out[api], f.ID)
	}
	return out
}

// Apply returns the effect of the active faults on one call of apiID by appID and
// counts it. The first matching fault (oldest) wins.
func (r *Registry) Apply(appID, apiID string) Effect {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.active) == 0 {
		return Effect{}
	}
	r.expire()
	var match *Fault
	for _, f := range r.active {
		if f.AppID != "" && f.AppID != appID {
			continue
		}
		if (f.APIID == NotificationAPI) != (apiID == NotificationAPI) {
			continue // notifications and API answers never share a fault
		}
		if f.APIID != "" && f.APIID != apiID && !r.IgnoreAPIScope {
			continue
		}
		if match == nil || f.Created.Before(match.Created) || f.Created.Equal(match.Created) && f.ID < match.ID {
			match = f
		}
	}
	if match == nil {
		return Effect{}
	}
	match.seen++
	e := Effect{}
	switch match.Kind {
	case BackendDown:
		e.Fail, e.RetryAfter = true, match.RetryAfter
	case ErrorRate:
		n := float64(match.seen)
		e.Fail, e.RetryAfter = int(n*match.Rate) > int((n-1)*match.Rate), match.RetryAfter
	case Slow:
		e.Delay = time.Duration(match.DelayMS) * time.Millisecond
	case RateLimit:
		e.Throttle, e.RetryAfter = true, match.RetryAfter
	case LoseResponse:
		e.LoseResponse = true
	case TamperBody, TamperSignature, StripSignature, UnknownSerial, RetiredKey:
		e.Mangle, e.Problem = match.Kind, match.Problem
	}
	if !e.Fail && e.Delay == 0 && !e.Throttle && !e.LoseResponse && e.Mangle == "" {
		return e
	}
	match.Hits++
	e.FirstHit = match.Hits == 1
	c := *match
	e.Fault = &c
	if match.Count > 0 && match.Hits >= match.Count {
		delete(r.active, match.ID)
	}
	return e
}

// expire drops faults past their end; r.mu is held.
func (r *Registry) expire() {
	now := r.now()
	for id, f := range r.active {
		if !now.Before(f.Expires) {
			delete(r.active, id)
		}
	}
}

func kindList() string { return list(kinds) }

func spoilingList() string { return list(spoilingKinds) }

func list(m map[Kind]bool) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
