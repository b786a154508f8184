package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Prepared answers as the pool does, prepares each query once, keeps at most
// maxCachedStmts, and runs a query it cannot prepare unprepared (so its error is the
// query's own).
func TestPreparedAnswersAsThePoolAndPreparesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "bank.db")
	db, err := OpenSQLite(ctx, file, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	reader, err := OpenSQLiteReader(ctx, file, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	p := NewPrepared(reader)
	defer p.Close()

	const q = `SELECT value FROM meta WHERE key = $1`
	for i := 0; i < 3; i++ {
		var v string
		if err := p.QueryRowContext(ctx, q, "k").Scan(&v); err != nil || v != "v" {
			t.Fatalf("QueryRowContext = %q, %v", v, err)
		}
		rows, err := p.QueryContext(ctx, `SELECT key FROM meta WHERE key = $1`, "k")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n != 1 {
			t.Fatalf("QueryContext rows = %d, %v", n, err)
		}
	}
	if len(p.stmts) != 2 {
		t.Fatalf("%d statements cached for 2 queries run 3 times each", len(p.stmts))
	}
	if _, err := p.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('x', 'y')`); err == nil {
		t.Fatal("a write through the read-only pool succeeded")
	}
	err = p.QueryRowContext(ctx, `SELECT nope FROM meta`).Scan(new(string))
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("an invalid query gave %v, want its own error", err)
	}
	for i := 0; i < maxCachedStmts+10; i++ {
		var n int
		if err := p.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d = %d, %v", i, n, err)
		}
	}
	if len(p.stmts) > maxCachedStmts {
		t.Fatalf("%d statements cached, bound is %d", len(p.stmts), maxCachedStmts)
	}
}
