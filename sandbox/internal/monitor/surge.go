package monitor

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SurgeOptions tune the error-rate surge rule. Zero values select the defaults.
type SurgeOptions struct {
	Window   time.Duration // calls counted (default 60s)
	MinCalls int           // fewest calls in the window before the rate is judged (default 10)
	Ratio    float64       // server-side failure ratio that raises the alarm (default 0.3)
	Cooldown time.Duration // one alarm per App_ID and API per cooldown (default 60s)
}

func (o SurgeOptions) withDefaults() SurgeOptions {
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.MinCalls <= 0 {
		o.MinCalls = 10
	}
	if o.Ratio <= 0 {
		o.Ratio = 0.3
	}
	if o.Cooldown <= 0 {
		o.Cooldown = time.Minute
	}
	return o
}

// Surge watches each interface's success rate per App_ID and raises an "error-rate"
// alarm when server-side failures (5xx) surge (JR/T 0185-2020 10.1.1/2b: 监控服务状态
// （包括耗时、交易量、成功率等参数）并建立告警机制).
type Surge struct {
	mu     sync.Mutex
	opts   SurgeOptions
	alarms *Alarms
	keys   map[[2]string]*surgeWindow
}

// surgeWindow is one App_ID and API's calls within the window, oldest first:
// calls[head:] with running counts, so that recording a call is amortized O(1).
type surgeWindow struct {
	calls     []surgeCall // calls[head:] are in the window
	head      int
	failed    int       // failed calls in calls[head:]
	newest    time.Time // time of the latest call recorded
	lastAlarm time.Time
}

type surgeCall struct {
	at     time.Time
	failed bool
}

// surgeCompactAt is how many dropped calls may sit before the window's head before
// the live ones are moved down (when they are also at least half the slice).
const surgeCompactAt = 64

// len is the number of calls in the window.
func (w *surgeWindow) len() int { return len(w.calls) - w.head }

// add drops the calls a window or more older than now and records one call at now.
// Callers racing for the lock can arrive a little out of order: a call earlier than
// the newest one is recorded at the newest time, keeping the queue in time order. A
// clock that went back a window or more (sandbox clock reset) starts the window afresh.
func (w *surgeWindow) add(now time.Time, failed bool, window time.Duration) {
	if w.len() > 0 && w.newest.Sub(now) >= window {
		w.calls, w.head, w.failed = w.calls[:0], 0, 0
	}
	for w.head < len(w.calls) && now.Sub(w.calls[w.head].at) >= window {
		if w.calls[w.head].failed {
			w.failed--
		}
		w.head++
	}
	switch {
	case w.head == len(w.calls):
		w.calls, w.head = w.calls[:0], 0
	case w.head >= surgeCompactAt && 2*w.head >= len(w.calls):
		w.calls, w.head = w.calls[:copy(w.calls, w.calls[w.head:])], 0
	}
	at := now
	if at.Before(w.newest) {
		at = w.newest
	}
	w.calls = append(w.calls, surgeCall{at: at, failed: failed})
	if failed {
		w.failed++
	}
	w.newest = at
}

// NewSurge returns the rule; it raises alarms on a.
func NewSurge(a *Alarms, o SurgeOptions) *Surge {
	return &Surge{opts: o.withDefaults(), alarms: a, keys: map[[2]string]*surgeWindow{}}
}

// Observe records one finished call and raises the alarm when the rule trips.
func (s *Surge) Observe(appID, apiID string, status int, now time.Time) {
	if apiID == "" {
		return
	}
	s.mu.Lock()
	k := [2]string{appID, apiID}
	w, ok := s.keys[k]
	if !ok {
		w = &surgeWindow{}
		s.keys[k] = w
	}
	w.add(now, status >= 500, s.opts.Window)
	failed, n := w.failed, w.len()
	trip := n >= s.opts.MinCalls && float64(failed) >= s.opts.Ratio*float64(n) &&
		(w.lastAlarm.IsZero() || now.Sub(w.lastAlarm) >= s.opts.Cooldown)
	if trip {
		w.lastAlarm = now
	}
	if len(s.keys) > 10000 { // bound memory: forget idle keys
		for key, x := range s.keys {
			if x.len() == 0 || now.Sub(x.newest) >= s.opts.Window {
				delete(s.keys, key)
			}
		}
	}
	s.mu.Unlock()
	if trip {
		s.alarms.Raise("error-rate", appID, fmt.Sprintf("%s: %d of the last %d calls failed on the server side within %s",
			apiID, failed, n, s.opts.Window))
	}
}

// appRequests counts calls per App_ID (JR/T 0185-2020 10.1.1/1, 10.1.2/1: 流量监控 per
// partner); registered by NewMetrics.
func newAppRequests() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jr0185_app_requests_total",
		Help: "API calls by App_ID, U_API_ID, result and error code (JR/T 0185-2020 10.1.2/1 流量监控).",
	}, []string{"app_id", "u_api_id", "result", "code"})
}
