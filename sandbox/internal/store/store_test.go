package store

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "bank.db")
	db, err := OpenSQLite(ctx, file, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(ctx, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = OpenSQLite(ctx, file, false)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer db.Close()
	if v, ok, err := db.GetMeta(ctx, "k"); err != nil || !ok || v != "v2" {
		t.Fatalf("meta = %q %v %v", v, ok, err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n < 1 {
		t.Fatalf("schema_migrations = %d %v", n, err)
	}
	if _, err := db.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
}
