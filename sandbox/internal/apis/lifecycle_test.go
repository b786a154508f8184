package apis

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/store"
)

type fixedPartners []string

func (f fixedPartners) GrantedScope(context.Context, string) ([]string, error) { return f, nil }

func newLifecycle(t *testing.T, m mutant.Set) (*Lifecycle, *clock.Manual) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	cat, err := New("C99999")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	l, err := NewLifecycle(ctx, db.DB, clk, cat, LifecycleOptions{Partners: fixedPartners{"APPONE", "APPTWO"}, Mutant: m})
	if err != nil {
		t.Fatal(err)
	}
	return l, clk
}

func TestLifecycleRetiresInOrderAndPublishesEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, clk := newLifecycle(t, mutant.Set{})
	if v := l.CurrentVersion(); v != "1.0.0" {
		t.Fatalf("first publication is version %s, want 1.0.0", v)
	}
	const api = "a1.rates.deposit"
	sunset := clk.Now().Add(30 * 24 * time.Hour)
	if _, err := l.Set(ctx, api, Offline, time.Time{}, ""); err == nil {
		t.Error("409/active straight to offline was allowed")
	}
	if _, err := l.Set(ctx, api, Terminated, time.Time{}, ""); err == nil {
		t.Error("409/active straight to terminated was allowed")
	}
	if _, err := l.Set(ctx, api, Deprecated, sunset, ""); err == nil {
		t.Error("400/deprecation without a notice was allowed")
	}
	for _, to := range []State{Deprecated, Terminated, Offline} {
		if _, err := l.Set(ctx, api, to, sunset, "moving to v2"); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
	}
	if l.Served(api) {
		t.Error("an offline API is still served")
	}
	if v := l.CurrentVersion(); v != "1.3.0" {
		t.Errorf("after three changes the version is %s, want 1.3.0", v)
	}
	changes, err := l.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 4 || changes[0].Change != "offline" || changes[2].Change != "deprecated" || !changes[2].Effective.Equal(sunset) {
		t.Errorf("change log %+v", changes)
	}
	notices, err := l.Notices(ctx, "APPTWO")
	if err != nil || len(notices) != 3 {
		t.Errorf("APPTWO has notices %+v (%v), want the three changes", notices, err)
	}
	if st, err := l.Reinstate(ctx, api); err != nil || st.State != Active || !l.Served(api) {
		t.Errorf("reinstate: %+v %v", st, err)
	}
}

func TestLifecycleMutantsSkipTheChangeLogAndTheNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, m := range []mutant.Name{mutant.NoChangelogEntry, mutant.NoPartnerNotice} {
		set, _ := mutant.Parse(string(m))
		l, clk := newLifecycle(t, set)
		if _, err := l.Set(ctx, "a1.rates.deposit", Deprecated, clk.Now().Add(time.Hour), "n"); err != nil {
			t.Fatal(err)
		}
		changes, _ := l.Changes(ctx)
		notices, _ := l.Notices(ctx, "APPONE")
		if m == mutant.NoChangelogEntry && len(changes) != 1 {
			t.Errorf("%s: change log has %d entries", m, len(changes))
		}
		if len(notices) != 0 {
			t.Errorf("%s: notices %+v", m, notices)
		}
	}
}
