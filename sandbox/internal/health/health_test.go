package health

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/audit"
)

type fakeAudit struct{ st audit.Stats }

func (f fakeAudit) Stats() audit.Stats { return f.st }

type alarms struct{ kinds []string }

func (a *alarms) Raise(kind, _, _ string) { a.kinds = append(a.kinds, kind) }

func TestMonitor(t *testing.T) {
	t.Parallel()
	full := fmt.Errorf("commit: %w", syscall.ENOSPC)
	tests := []struct {
		name    string
		minFree uint64
		write   error
		audit   audit.Stats
		lag     time.Duration
		status  string
		refusal bool
		alarm   string
	}{
		{"ok/everything writes", 1, nil, audit.Stats{}, 0, OK, false, ""},
		{"down/below the free-space reserve", 1 << 62, nil, audit.Stats{}, 0, Down, true, "disk-space-low"},
		{"down/the database takes no write", 1, full, audit.Stats{}, 0, Down, true, "storage-unavailable"},
		{"down/the audit writer is refused", 1, nil, audit.Stats{Failing: full, FailingSince: time.Now()}, 0, Down, true, "audit-writer-failing"},
		{"down/the audit log stopped", 1, nil, audit.Stats{Err: errors.New("closed")}, 0, Down, true, "audit-writer-failing"},
		{"degraded/a partner's notifications lag", 1, nil, audit.Stats{}, 2 * time.Minute, Degraded, false, "notification-lag"},
		{"ok/a lag just inside a minute", 1, nil, audit.Stats{}, time.Minute, OK, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			al := &alarms{}
			m := New(Options{DataDir: t.TempDir(), MinFreeBytes: tc.minFree, Alarms: al, Audit: fakeAudit{tc.audit},
				Write: func(context.Context) error { return tc.write },
				NotificationLag: func(context.Context) (map[string]time.Duration, error) {
					return map[string]time.Duration{"APP1": tc.lag}, nil
				}})
			if got := m.Refusal(); got != "" {
				t.Fatalf("refusal before any probe: %q", got)
			}
			r := m.Probe(context.Background())
			if r.Status != tc.status {
				t.Errorf("status %s, want %s: %v", r.Status, tc.status, r.Reasons)
			}
			if got := m.Refusal() != ""; got != tc.refusal {
				t.Errorf("refusal %q, want one: %v", m.Refusal(), tc.refusal)
			}
			want := []string(nil)
			if tc.alarm != "" {
				want = []string{tc.alarm}
			}
			if fmt.Sprint(al.kinds) != fmt.Sprint(want) {
				t.Errorf("alarms %v, want %v", al.kinds, want)
			}
			time.Sleep(fresh)
			m.Probe(context.Background())
			if len(al.kinds) > len(want) {
				t.Errorf("a check still failing raised its alarm again: %v", al.kinds)
			}
		})
	}
}
