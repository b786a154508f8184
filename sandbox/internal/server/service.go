package server

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/health"
	"github.com/jr0185/harness/sandbox/internal/monitor"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/notify"
	"github.com/jr0185/harness/sandbox/internal/observe"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/risk"
)

// serviceControls are the API service layer's controls after the gateway admitted a
// call and before the business layer sees it: business throttling of an App_ID with an
// abnormal pattern (JR/T 0185-2020 10.2.1/2) and injected faults (sandbox test control:
// 10.1.1/2a, 10.1.2/1, 10.1.2/1c). The effect says what the caller still has to do to
// the answer (the partner-side suite's faults: lose it, tamper with it after signing).
func (s *Server) serviceControls(c *fiber.Ctx, api *apis.API, adm *gateway.Admission) (faults.Effect, *problem.Error) {
	now := s.d.Clock.Now()
	// Issue 15, 12.3/1: while the storage, its free space or the audit writer is down, a
	// call that could change state is refused before the business layer sees it:
	// nothing changes that the bank could not record. The partner may retry.
	if s.d.Health != nil && api.Method != fiber.MethodGet {
		if why := s.d.Health.Refusal(); why != "" {
			return faults.Effect{}, problem.StorageUnavailable.WithRetryAfter(problem.StorageRetryAfter).
				WithDetail("the bank cannot record changes right now (%s); nothing was changed: retry after %ds", why, problem.StorageRetryAfter)
		}
	}
	if s.d.Risk != nil && !s.d.Mutant.Is(mutant.NoBusinessThrottle) {
		if until, ok := s.d.Risk.Throttled(adm.App.ID, now); ok {
			secs := int(until.Sub(now).Seconds()) + 1
			return faults.Effect{}, problem.AppThrottled.WithRetryAfter(secs).
				WithDetail("App_ID %s is throttled for %ds after an abnormal pattern of failed business calls; see the event notice", adm.App.ID, secs)
		}
	}
	if s.d.Faults == nil {
		return faults.Effect{}, nil
	}
	e := s.d.Faults.Apply(adm.App.ID, api.ID)
	if e.Fault == nil {
		return e, nil
	}
	if e.Problem != "" {
		// A forged error (JR/T 0185-2020 9.3.3/1 test control): the business layer is
		// not called; the catalogued error is signed, then spoiled by e.Mangle.
		forged, ok := problem.Lookup(e.Problem)
		if !ok {
			return faults.Effect{}, problem.Internal.WithDetail("injected fault %s names an uncatalogued error", e.Fault.ID)
		}
		return e, forged
	}
	if e.Throttle {
		return e, problem.RateLimited.WithRetryAfter(e.RetryAfter).
			WithDetail("App_ID %s is over its rate limit (injected fault %s); retry after %ds", adm.App.ID, e.Fault.ID, e.RetryAfter)
	}
	if e.Delay > 0 {
		_ = sleepCtx(c.UserContext(), e.Delay) // a caller gone early still gets the fault's answer
	}
	if !e.Fail {
		return e, nil
	}
	if e.FirstHit {
		// 10.1.1/2a: the server behind the interface stopped answering.
		s.d.Alarms.Raise("backend-unavailable", adm.App.ID, api.ID+" ("+api.UAPIID+"): the business service behind the interface is not answering")
	}
	s.d.Metrics.FaultsActive(len(s.d.Faults.List()))
	return e, problem.Unavailable.WithRetryAfter(e.RetryAfter).WithDetail("%s is temporarily unavailable; retry later", api.UAPIID)
}

// watch feeds the monitoring rules with one finished API call: the error-rate surge
// alarm (10.1.1/2b) and the abnormal-pattern rule (10.2.1/2), which throttles the
// App_ID, raises an alarm and leaves a signed event notice for the partner.
func (s *Server) watch(api *apis.API, adm *gateway.Admission, appID string, status int, perr *problem.Error) {
	now := s.d.Clock.Now()
	if s.d.Surge != nil && adm != nil {
		s.d.Surge.Observe(appID, api.ID, status, now)
	}
	if s.d.Risk == nil || adm == nil {
		return
	}
	businessFailure := perr != nil && status >= 400 && status < 500 && status != fiber.StatusTooManyRequests
	t, tripped := s.d.Risk.Observe(adm.App.ID, businessFailure, now)
	if !tripped {
		return
	}
	s.d.Alarms.Raise("abnormal-pattern", t.AppID, t.Detail())
	body, _ := json.Marshal(map[string]any{
		"type": "risk.throttled", "app_id": t.AppID, "at": now.UTC().Format(time.RFC3339),
		"throttled_until": t.Until.UTC().Format(time.RFC3339), "failures": t.Failures,
		"window_seconds": int(t.Window.Seconds()),
		"message":        "异常业务调用：请开展事件调查 (abnormal business calls: please investigate)",
	})
	// Signed whatever the mutant: unsigned-responses spoils API answers only.
	ts, nonce, serial, sig, err := s.signBody(body)
	if err != nil {
		s.d.Log.Error("event notice signing failed", "app_id", t.AppID, "err", err)
		return
	}
	s.d.Risk.Record(risk.Event{AppID: t.AppID, At: now, Kind: "risk.throttled", Body: string(body),
		Timestamp: ts, Nonce: nonce, Serial: serial, Signature: sig})
}

// metricsAppID is the App_ID a call is counted under: the claimed one once the gateway
// found it registered, so an unauthenticated caller cannot grow the label set.
func metricsAppID(claimed string, perr *problem.Error) string {
	if perr != nil && (perr.Code == problem.AppUnknown.Code || perr.Code == problem.AuthSchemeNotAllowed.Code) {
		return ""
	}
	return claimed
}

// leakyBody is the leak-stack-trace mutant's problem body: what a bank gets when its
// framework's debug output reaches partners (7.1/7 broken).
func leakyBody(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m["server"] = "fasthttp/fiber v2 (go1.25 linux/amd64)"
	m["trace"] = string(debug.Stack())
	out, _ := json.Marshal(m)
	return out
}

// ServiceDeps are the service layer's monitoring and test controls (embedded in Deps).
type ServiceDeps struct {
	Faults *faults.Registry // sandbox fault injection; nil outside sandbox mode
	// Spoiler spoils answers for the spoiling faults (its retired key: sandbox mode).
	Spoiler faults.Spoiler
	// Observe keeps what each App_ID sent (sandbox mode only; nil: nothing is recorded).
	Observe *observe.Store
	// ProbeNotification makes one notification attempt to an app (sandbox mode only).
	ProbeNotification func(ctx context.Context, appID, kind, paymentID string, status payments.Status) (notify.Attempt, error)
	Risk              *risk.Watcher  // abnormal-pattern rule (10.2.1/2)
	Surge             *monitor.Surge // error-rate surge alarm (10.1.1/2b)
	// AuditVerify verifies the live audit log; AuditDrill tampers with a copy and
	// verifies that (sandbox mode only). Both use the bank's published signing keys.
	AuditVerify func(ctx context.Context) (audit.Report, error)
	AuditDrill  func(ctx context.Context, seq int64, kind string) (audit.Report, error)
	Started     time.Time
	// Health probes the storage, disk, audit writer and notifications (nil: Ready only).
	Health HealthProbe
}

// HealthProbe is the bank's health monitor (package health).
type HealthProbe interface {
	// Probe runs the checks now.
	Probe(ctx context.Context) health.Report
	// Refusal names the durability check that is down ("" when none): calls that could
	// change state are refused meanwhile.
	Refusal() string
}
