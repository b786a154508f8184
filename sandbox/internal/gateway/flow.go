package gateway

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/risk"
)

// flowControl enforces each app's requests per second and concurrent calls
// (JR/T 0185-2020 10.1.2/1a: 最大允许调用并发数、单位时间最大交易调用量; 告警、暂停、拒绝).
type flowControl struct {
	mu   sync.Mutex
	apps map[string]*appFlow
	// extra is added to every burst: 1 in the off-by-one-rate-limit mutant, else 0.
	extra int
}

// appFlow is one app's state. It lives as long as the process: when the limits change
// only the token bucket is replaced, so calls admitted earlier still release the same
// in-flight counter.
type appFlow struct {
	limits   atomic.Pointer[apps.Limits]
	limiter  atomic.Pointer[rate.Limiter]
	inflight atomic.Int64
}

func newFlowControl(extra int) *flowControl {
	return &flowControl{apps: map[string]*appFlow{}, extra: extra}
}

func (f *flowControl) get(a apps.App) *appFlow {
	f.mu.Lock()
	defer f.mu.Unlock()
	af, ok := f.apps[a.ID]
	if !ok {
		af = &appFlow{}
		f.apps[a.ID] = af
	}
	if l := af.limits.Load(); l == nil || *l != a.Limits {
		limits := a.Limits
		af.limits.Store(&limits)
		af.limiter.Store(rate.NewLimiter(rate.Limit(a.Limits.RPS), a.Limits.Burst+f.extra))
	}
	return af
}

func (f *flowControl) acquire(a apps.App, now time.Time) (func(), *problem.Error) {
	af := f.get(a)
	if n := af.inflight.Add(1); n > int64(a.Limits.MaxConcurrent) {
		af.inflight.Add(-1)
		return nil, problem.ConcurrencyLimited.WithRetryAfter(1).
			WithDetail("App_ID %s already has %d calls in flight (limit %d)", a.ID, n-1, a.Limits.MaxConcurrent)
	}
	r := af.limiter.Load().ReserveN(now, 1)
	if !r.OK() || r.DelayFrom(now) > 0 {
		delay := r.DelayFrom(now)
		r.CancelAt(now)
		af.inflight.Add(-1)
		secs := int(math.Ceil(delay.Seconds()))
		if secs < 1 {
			secs = 1
		}
		return nil, problem.RateLimited.WithRetryAfter(secs).
			WithDetail("App_ID %s exceeded %g requests per second (burst %d)", a.ID, a.Limits.RPS, a.Limits.Burst)
	}
	var once sync.Once
	return func() { once.Do(func() { af.inflight.Add(-1) }) }, nil
}

// failureTracker counts authentication failures per App_ID and pauses an App_ID that
// fails too often (JR/T 0185-2020 10.1.2/1b: 未授权和冒用的监测机制).
type failureTracker struct{ t risk.Tracker }

func newFailureTracker() *failureTracker { return &failureTracker{} }

func (t *failureTracker) locked(appID string, now time.Time) (time.Time, bool) {
	return t.t.Locked(appID, now)
}

// fail records a failure and reports whether it just locked the App_ID.
func (t *failureTracker) fail(appID string, now time.Time, limit int, window, lockFor time.Duration) bool {
	_, locked := t.t.Fail(appID, now, limit, window, lockFor)
	return locked
}
