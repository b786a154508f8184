package gateway

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// TestSQLNoncesRememberForTheirMemory: a nonce is single-use per App_ID while it is
// remembered (JR/T 0185-2020 7.2.2/2), another App_ID may use the same nonce, and once its
// memory has passed it is taken as new whether or not Purge has run yet — the gateway
// publishes the memory (nonce_memory_seconds), so the store must neither forget earlier
// nor refuse for longer depending on when the purge last ran.
func TestSQLNoncesRememberForTheirMemory(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	n, err := NewSQLNonces(ctx, db.DB)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	memory := 10 * time.Minute
	use := func(app, nonce string, at time.Time) bool {
		t.Helper()
		fresh, err := n.Use(ctx, app, nonce, at, at.Add(memory))
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	for _, tc := range []struct {
		name  string
		app   string
		at    time.Time
		fresh bool
	}{
		{"fresh/first use", "APP1", t0, true},
		{"replayed/at once", "APP1", t0, false},
		{"replayed/30s before the memory ends", "APP1", t0.Add(memory - 30*time.Second), false},
		{"fresh/another App_ID, same nonce", "APP2", t0.Add(time.Second), true},
		{"fresh/the memory has passed, not purged yet", "APP1", t0.Add(memory + time.Second), true},
		{"replayed/used again after being taken anew", "APP1", t0.Add(memory + 2*time.Second), false},
	} {
		if got := use(tc.app, "n-1", tc.at); got != tc.fresh {
			t.Errorf("%s: fresh = %v, want %v", tc.name, got, tc.fresh)
		}
	}
	if _, err := n.Purge(ctx, t0.Add(3*memory)); err != nil {
		t.Fatal(err)
	}
	if !use("APP1", "n-1", t0.Add(3*memory)) {
		t.Error("fresh/after a purge: a purged nonce is refused")
	}
}
