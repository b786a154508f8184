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

type surgeWindow struct {
	calls     []surgeCall
	lastAlarm time.Time
}

type surgeCall struct {
	at     time.Time
	failed bool
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
	keep := w.calls[:0]
	for _, c := range w.calls {
		if now.Sub(c.at) < s.opts.Window {
			keep = append(keep, c)
		}
	}
	w.calls = append(keep, surgeCall{at: now, failed: status >= 500})
	failed := 0
	for _, c := range w.calls {
		if c.failed {
			failed++
		}
	}
	n := len(w.calls)
	trip := n >= s.opts.MinCalls && float64(failed) >= s.opts.Ratio*float64(n) &&
		(w.lastAlarm.IsZero() || now.Sub(w.lastAlarm) >= s.opts.Cooldown)
	if trip {
		w.lastAlarm = now
	}
	if len(s.keys) > 10000 { // bound memory: forget idle keys
		for key, x := range s.keys {
			if len(x.calls) == 0 || now.Sub(x.calls[len(x.calls)-1].at) >= s.opts.Window {
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
