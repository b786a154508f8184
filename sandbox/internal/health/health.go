// Package health tells the truth about the bank's running state (JR/T 0185-2020
// 10.1.1/2a: 服务器运行状态) from real probes, not cached flags: the storage takes a
// real write (a file in the data folder, written and synced, and a row of the business
// database), the disk keeps a reserve of free space, the audit log's writer is writing,
// and notifications reach partners without lag. /readyz, /admin/v1/health, a Prometheus
// gauge per check and an alarm per failure come from the same Report.
//
// While a check that guards durability is down (storage, disk, audit), the bank refuses
// every call that could change state with 503 STORAGE_UNAVAILABLE and Retry-After
// (Refusal): nothing changes that the bank could not record (12.3/1).
package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// Statuses of a check and of the bank.
const (
	OK       = "ok"
	Degraded = "degraded"
	Down     = "down"
)

// Check names.
const (
	CheckStorage       = "storage"
	CheckDisk          = "disk"
	CheckAudit         = "audit"
	CheckNotifications = "notifications"
)

// Check is one probe's outcome.
type Check struct {
	Name   string    `json:"name"`
	Status string    `json:"status"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"` // when it entered Status
}

// Report is the outcome of one round of probes.
type Report struct {
	Status  string    `json:"status"`
	Reasons []string  `json:"reasons"`
	Checks  []Check   `json:"checks"`
	At      time.Time `json:"at"`
	// FreeBytes is the data folder's free space; LagSeconds the notification lag per App_ID.
	FreeBytes  uint64             `json:"disk_free_bytes"`
	LagSeconds map[string]float64 `json:"notification_lag_seconds"`
}

// Check returns the named check.
func (r Report) Check(name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{Name: name, Status: OK}
}

// Alarms receives an alarm when a check fails (10.1.2/1a: 告警).
type Alarms interface {
	Raise(kind, appID, detail string)
}

// AuditLog is what the audit check reads.
type AuditLog interface {
	Stats() audit.Stats
}

// Options configure a Monitor.
type Options struct {
	DataDir string
	// MinFreeBytes: below this much free space in the data folder the disk check is
	// down (default 32 MiB).
	MinFreeBytes uint64
	// Write makes one real write of a row in the business database.
	Write func(ctx context.Context) error
	Audit AuditLog
	// NotificationLag returns, per App_ID, how long its oldest due notification has
	// been waiting; MaxLag is the lag beyond which the check is degraded (default 60s).
	NotificationLag func(ctx context.Context) (map[string]time.Duration, error)
	MaxLag          time.Duration
	Alarms          Alarms
	Registry        prometheus.Registerer
	// Every is the background probe interval (default 1s).
	Every time.Duration
}

// Monitor runs the probes.
type Monitor struct {
	opts Options

	mu     sync.Mutex // serializes probes
	last   atomic.Pointer[Report]
	since  map[string]time.Time // check → when it entered its status
	status map[string]string

	gauge *prometheus.GaugeVec
	free  prometheus.Gauge
	lag   *prometheus.GaugeVec
	lagOf map[string]bool // App_IDs with a lag gauge
}

// New builds a Monitor; call Run for background probes.
func New(o Options) *Monitor {
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = 32 << 20
	}
	if o.MaxLag <= 0 {
		o.MaxLag = time.Minute
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	m := &Monitor{opts: o, since: map[string]time.Time{}, status: map[string]string{}, lagOf: map[string]bool{},
		gauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jr0185_health_check",
			Help: "Health probes (JR/T 0185-2020 10.1.1/2a): 1 ok, 0.5 degraded, 0 down, by check (storage, disk, audit, notifications).",
		}, []string{"check"}),
		free: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jr0185_disk_free_bytes",
			Help: "Free space in the data folder.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jr0185_notification_lag_seconds",
			Help: "How long the oldest due notification of each App_ID has been waiting.",
		}, []string{"app_id"}),
	}
	if o.Registry != nil {
		o.Registry.MustRegister(m.gauge, m.free, m.lag)
	}
	return m
}

// Run probes every Options.Every until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	t := time.NewTicker(m.opts.Every)
	defer t.Stop()
	for {
		m.Probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fresh is how old a report may be and still answer Probe: a readiness check polled
// many times a second costs one real write per fresh period.
const fresh = 200 * time.Millisecond

// Probe runs every check now and returns the report — or the report of a probe that
// ended within the last 200 ms, or of the probe in progress when it is called.
func (m *Monitor) Probe(ctx context.Context) Report {
	if !m.mu.TryLock() {
		m.mu.Lock() // wait for the probe in progress, and take its report
		defer m.mu.Unlock()
		return m.Last()
	}
	defer m.mu.Unlock()
	if r := m.last.Load(); r != nil && time.Since(r.At) < fresh {
		return *r
	}
	now := time.Now()
	r := Report{At: now, Reasons: []string{}}
	var checks []Check
	checks = append(checks, m.storage(ctx))
	disk, free := m.disk()
	r.FreeBytes = free
	checks = append(checks, disk)
	if m.opts.Audit != nil {
		checks = append(checks, m.audit())
	}
	if m.opts.NotificationLag != nil {
		c, lags := m.notifications(ctx)
		r.LagSeconds = lags
		checks = append(checks, c)
	}
	r.Status = OK
	for i := range checks {
		c := &checks[i]
		if m.status[c.Name] != c.Status {
			m.status[c.Name], m.since[c.Name] = c.Status, now
			if c.Status != OK && m.opts.Alarms != nil {
				m.opts.Alarms.Raise(alarmKind(c.Name), "", c.Reason)
			}
		}
		c.Since = m.since[c.Name]
		m.gauge.WithLabelValues(c.Name).Set(gaugeValue(c.Status))
		switch {
		case c.Status == Down:
			r.Status = Down
		case c.Status == Degraded && r.Status == OK:
			r.Status = Degraded
		}
		if c.Status != OK {
			r.Reasons = append(r.Reasons, c.Name+": "+c.Reason)
		}
	}
	r.Checks = checks
	m.free.Set(float64(free))
	m.last.Store(&r)
	return r
}

// Last returns the latest report (an empty OK report before the first probe).
func (m *Monitor) Last() Report {
	if r := m.last.Load(); r != nil {
		return *r
	}
	return Report{Status: OK, Reasons: []string{}}
}

// Refusal says why a call that could change state must be refused now ("" if it may
// go ahead): a durability check (storage, disk, audit) was down at the last probe. The
// words are for the partner: no path, no internal detail (7.1/7).
func (m *Monitor) Refusal() string {
	r := m.last.Load()
	if r == nil {
		return ""
	}
	for _, c := range r.Checks {
		if c.Status != Down {
			continue
		}
		switch c.Name {
		case CheckStorage:
			return "its storage takes no writes"
		case CheckDisk:
			return "its storage is below its free-space reserve"
		case CheckAudit:
			return "its audit log is not writing"
		}
	}
	return ""
}

func alarmKind(check string) string {
	switch check {
	case CheckStorage:
		return "storage-unavailable"
	case CheckDisk:
		return "disk-space-low"
	case CheckAudit:
		return "audit-writer-failing"
	}
	return "notification-lag"
}

func gaugeValue(status string) float64 {
	switch status {
	case OK:
		return 1
	case Degraded:
		return 0.5
	}
	return 0
}

// storage writes and syncs a probe file in the data folder, then a row of the business
// database: both must succeed.
func (m *Monitor) storage(ctx context.Context) Check {
	c := Check{Name: CheckStorage, Status: OK}
	if err := probeFile(m.opts.DataDir); err != nil {
		c.Status, c.Reason = Down, fmt.Sprintf("the data folder %s takes no write (%s)", m.opts.DataDir, describe(err))
		return c
	}
	if m.opts.Write != nil {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := m.opts.Write(wctx); err != nil {
			c.Status, c.Reason = Down, "the business database takes no write ("+describe(err)+")"
		}
	}
	return c
}

// probeFile creates, writes, syncs and removes a 4 KiB file in dir.
func probeFile(dir string) error {
	f, err := os.CreateTemp(dir, ".health-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	defer os.Remove(name)
	var buf [4096]byte
	_, werr := f.Write(buf[:])
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(werr, serr, cerr)
}

// describe names a storage failure without internal detail.
func describe(err error) string {
	switch store.StorageKind(err) {
	case "full":
		return "disk full"
	case "read-only":
		return "read-only"
	case "io":
		return "I/O error"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within 5s"
	}
	return "write failed"
}

func (m *Monitor) disk() (Check, uint64) {
	c := Check{Name: CheckDisk, Status: OK}
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Clean(m.opts.DataDir), &st); err != nil {
		c.Status, c.Reason = Down, "cannot read the free space of "+m.opts.DataDir
		return c, 0
	}
	free := st.Bavail * uint64(st.Bsize) // #nosec G115 -- a block size is positive
	if free < m.opts.MinFreeBytes {
		c.Status = Down
		c.Reason = fmt.Sprintf("%s has %s free, below the %s reserve", m.opts.DataDir, mib(free), mib(m.opts.MinFreeBytes))
	}
	return c, free
}

func mib(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

func (m *Monitor) audit() Check {
	c := Check{Name: CheckAudit, Status: OK}
	st := m.opts.Audit.Stats()
	switch {
	case st.Err != nil:
		c.Status, c.Reason = Down, "the audit log stopped writing"
	case st.Failing != nil:
		c.Status = Down
		c.Reason = fmt.Sprintf("the audit writer has been refused by the storage for %s (%s); it holds %d records and retries",
			time.Since(st.FailingSince).Round(time.Second), describe(st.Failing), st.Queued)
	}
	return c
}

func (m *Monitor) notifications(ctx context.Context) (Check, map[string]float64) {
	c := Check{Name: CheckNotifications, Status: OK}
	lags, err := m.opts.NotificationLag(ctx)
	if err != nil {
		c.Status, c.Reason = Degraded, "the notification outbox cannot be read ("+describe(err)+")"
		return c, map[string]float64{}
	}
	out := make(map[string]float64, len(lags))
	var worst []string
	for app, d := range lags {
		out[app] = d.Seconds()
		m.lag.WithLabelValues(app).Set(d.Seconds())
		m.lagOf[app] = true
		if d > m.opts.MaxLag {
			worst = append(worst, fmt.Sprintf("%s %.0fs", app, d.Seconds()))
		}
	}
	for app := range m.lagOf {
		if _, ok := lags[app]; !ok {
			m.lag.WithLabelValues(app).Set(0)
		}
	}
	if len(worst) > 0 {
		sort.Strings(worst)
		c.Status = Degraded
		c.Reason = fmt.Sprintf("notifications lag more than %s for %d App_ID(s): %v", m.opts.MaxLag, len(worst), worst)
	}
	return c, out
}
