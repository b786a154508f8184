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

// The read-only pool sees every committed write, reads while a write transaction is
// open (WAL), and cannot write.
func TestReaderSeesCommitsAndCannotWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "bank.db")
	db, err := OpenSQLite(ctx, file, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := OpenSQLiteReader(ctx, file, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := db.SetMeta(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'k'`).Scan(&v); err != nil || v != "v1" {
		t.Fatalf("reader: %q %v", v, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = 'v2' WHERE key = 'k'`); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'k'`).Scan(&v); err != nil || v != "v1" {
		t.Fatalf("reader during an open write: %q %v (want the committed v1)", v, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'k'`).Scan(&v); err != nil || v != "v2" {
		t.Fatalf("reader after the commit: %q %v", v, err)
	}
	if _, err := r.ExecContext(ctx, `UPDATE meta SET value = 'x'`); err == nil {
		t.Fatal("the reader wrote")
	}
}
