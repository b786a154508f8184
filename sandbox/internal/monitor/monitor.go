// Package monitor is the bank's operations monitoring (JR/T 0185-2020 10.1.1, 10.1.2):
// Prometheus metrics per API — latency, volume, success rate — and an alarm feed for
// flow control, authentication failures and risk events.
package monitor

import (
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// Metrics holds the bank's collectors on a private registry.
type Metrics struct {
	Registry *prometheus.Registry
	latency  *prometheus.HistogramVec
	requests *prometheus.CounterVec
	alarms   *prometheus.CounterVec
	inflight prometheus.Gauge
	byApp    *prometheus.CounterVec
	faults   prometheus.Gauge
}

// NewMetrics registers the collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jr0185_api_request_duration_seconds",
			Help:    "API call latency by API (JR/T 0185-2020 10.1.1: 耗时).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"api_id", "u_api_id", "result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jr0185_api_requests_total",
			Help: "API calls by API, result and error code (交易量、成功率).",
		}, []string{"api_id", "u_api_id", "result", "code"}),
		alarms: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jr0185_alarms_total",
			Help: "Alarms raised by flow control, authentication-failure and risk monitoring (10.1.2).",
		}, []string{"kind"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jr0185_api_inflight_requests",
			Help: "API calls in progress.",
		}),
		byApp: newAppRequests(),
		faults: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jr0185_faults_active",
			Help: "Injected faults in effect (sandbox test control, JR/T 0185-2020 10.1.2/1c).",
		}),
	}
	m.Registry.MustRegister(m.latency, m.requests, m.alarms, m.inflight, m.byApp, m.faults,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WriterStats is what WatchWriter reads of the business database's one writer (a
// store.Committer).
type WriterStats interface {
	Stats() store.CommitterStats
}

// WatchWriter exports the group-committing writer's counters: the time it spent
// committing (its rate is the writer's utilisation — the payment path's bottleneck when
// it nears 1), its commits and the transactions they held (their ratio is the batch size).
func (m *Metrics) WatchWriter(w WriterStats) {
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "jr0185_db_writer_busy_seconds_total",
			Help: "Time the database's one writer spent running group commits.",
		}, func() float64 { return w.Stats().Busy.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "jr0185_db_writer_commits_total",
			Help: "Group commits of the database's one writer.",
		}, func() float64 { return float64(w.Stats().Batches) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "jr0185_db_writer_transactions_total",
			Help: "Write transactions the group commits held.",
		}, func() float64 { return float64(w.Stats().Transactions) }),
	)
}

// Observe records one finished API call.
func (m *Metrics) Observe(apiID, uapiID string, status int, code string, d time.Duration) {
	result := "success"
	if status >= 400 {
		result = "failure"
	}
	m.latency.WithLabelValues(apiID, uapiID, result).Observe(d.Seconds())
	m.requests.WithLabelValues(apiID, uapiID, result, code).Inc()
}

// ObserveApp counts one finished call for its App_ID ("" when the caller could not be
// identified).
func (m *Metrics) ObserveApp(appID, uapiID string, status int, code string) {
	result := "success"
	if status >= 400 {
		result = "failure"
	}
	if appID == "" {
		appID = "unidentified"
	}
	m.byApp.WithLabelValues(appID, uapiID, result, code).Inc()
}

// FaultsActive sets the injected-faults gauge.
func (m *Metrics) FaultsActive(n int) { m.faults.Set(float64(n)) }

// InFlight adjusts the in-progress gauge.
func (m *Metrics) InFlight(delta float64) { m.inflight.Add(delta) }

// Alarm is one raised alarm.
type Alarm struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	AppID  string    `json:"app_id,omitempty"`
	Detail string    `json:"detail"`
}

// Alarms keeps the most recent alarms, counts them and logs them.
type Alarms struct {
	mu      sync.Mutex
	ring    []Alarm
	next    int64
	max     int
	metrics *Metrics
	log     *slog.Logger
	now     func() time.Time
	subs    map[chan Alarm]struct{}
	// Silent is the no-alarms mutant (sandbox mode only): Raise does nothing.
	Silent bool
}

// NewAlarms keeps up to max alarms.
func NewAlarms(max int, m *Metrics, log *slog.Logger, now func() time.Time) *Alarms {
	return &Alarms{max: max, metrics: m, log: log, now: now, subs: map[chan Alarm]struct{}{}}
}

// Raise records an alarm (JR/T 0185-2020 10.1.2/1a 告警).
func (a *Alarms) Raise(kind, appID, detail string) {
	if a.Silent {
		return
	}
	a.mu.Lock()
	a.next++
	al := Alarm{Seq: a.next, At: a.now(), Kind: kind, AppID: appID, Detail: detail}
	a.ring = append(a.ring, al)
	if len(a.ring) > a.max {
		a.ring = a.ring[len(a.ring)-a.max:]
	}
	for ch := range a.subs {
		select {
		case ch <- al:
		default:
		}
	}
	a.mu.Unlock()
	a.metrics.alarms.WithLabelValues(kind).Inc()
	a.log.Warn("alarm", "kind", kind, "app_id", appID, "detail", detail, "seq", strconv.FormatInt(al.Seq, 10))
}

// Recent returns alarms after seq (0: all kept), oldest first, optionally for one app.
func (a *Alarms) Recent(after int64, appID string) []Alarm {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []Alarm{}
	for _, al := range a.ring {
		if al.Seq > after && (appID == "" || al.AppID == appID) {
			out = append(out, al)
		}
	}
	return out
}

// Subscribe returns a channel of new alarms and a function that ends the subscription.
func (a *Alarms) Subscribe() (<-chan Alarm, func()) {
	ch := make(chan Alarm, 64)
	a.mu.Lock()
	a.subs[ch] = struct{}{}
	a.mu.Unlock()
	return ch, func() {
		a.mu.Lock()
		delete(a.subs, ch)
		a.mu.Unlock()
	}
}
