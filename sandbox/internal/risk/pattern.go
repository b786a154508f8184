// Package risk holds the bank's service risk-control rules over partners' calls
// (JR/T 0185-2020 10.2.1/2: 根据应用方调用…的业务日志等信息…对异常的业务调用进行监控，
// 必要时进行业务限流，并及时通知应用方进行事件调查).
package risk

import (
	"fmt"
	"sync"
	"time"
)

// Options tune the abnormal-pattern rule. Zero values select the defaults.
type Options struct {
	Window      time.Duration // business failures counted (default 60s)
	Threshold   int           // failures within Window that trip the rule (default 10)
	ThrottleFor time.Duration // how long the App_ID is throttled (default 5m)
	MaxEvents   int           // event notices kept per App_ID (default 50)
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.Threshold <= 0 {
		o.Threshold = 10
	}
	if o.ThrottleFor <= 0 {
		o.ThrottleFor = 5 * time.Minute
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 50
	}
	return o
}

// Event is a notice to a partner that the bank throttled it, asking it to investigate.
// Body is the notice exactly as signed; Signature is the bank's SM2 signature over
// timestamp\nnonce\nbody\n (the published response-signing format).
type Event struct {
	ID        string    `json:"id"`
	AppID     string    `json:"app_id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Body      string    `json:"body"`
	Timestamp string    `json:"timestamp"`
	Nonce     string    `json:"nonce"`
	Serial    string    `json:"serial"`
	Signature string    `json:"signature"`
}

// Trip is what Observe reports when the rule trips.
type Trip struct {
	AppID    string
	Failures int
	Window   time.Duration
	Until    time.Time
}

// Detail describes the trip for alarms and notices.
func (t Trip) Detail() string {
	return fmt.Sprintf("%d failed business calls within %s: App_ID throttled until %s; please investigate",
		t.Failures, t.Window, t.Until.UTC().Format(time.RFC3339))
}

// Watcher applies the abnormal-pattern rule: too many business failures (calls the
// gateway admitted that the business layer refused) from one App_ID throttle that
// App_ID, and only it. Safe for concurrent use.
type Watcher struct {
	opts  Options
	fails Tracker

	mu     sync.Mutex
	events map[string][]Event
	seq    int
}

// NewWatcher returns the rule.
func NewWatcher(o Options) *Watcher {
	return &Watcher{opts: o.withDefaults(), events: map[string][]Event{}}
}

// Observe records a finished, admitted call of appID; businessFailure is true when the
// business layer refused it. It returns the trip when this call tripped the rule.
func (w *Watcher) Observe(appID string, businessFailure bool, now time.Time) (Trip, bool) {
	if appID == "" || !businessFailure {
		return Trip{}, false
	}
	n, tripped := w.fails.Fail(appID, now, w.opts.Threshold, w.opts.Window, w.opts.ThrottleFor)
	if !tripped {
		return Trip{}, false
	}
	return Trip{AppID: appID, Failures: n, Window: w.opts.Window, Until: now.Add(w.opts.ThrottleFor)}, true
}

// Throttled reports whether appID is throttled at now, and until when.
func (w *Watcher) Throttled(appID string, now time.Time) (time.Time, bool) {
	return w.fails.Locked(appID, now)
}

// Record keeps a signed event notice for its App_ID and gives it an id.
func (w *Watcher) Record(e Event) Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	e.ID = fmt.Sprintf("EVT%06d", w.seq)
	list := append(w.events[e.AppID], e)
	if len(list) > w.opts.MaxEvents {
		list = list[len(list)-w.opts.MaxEvents:]
	}
	w.events[e.AppID] = list
	return e
}

// Events returns appID's event notices, oldest first.
func (w *Watcher) Events(appID string) []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Event{}, w.events[appID]...)
}
