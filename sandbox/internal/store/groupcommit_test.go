package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openCommitter(t *testing.T) (*DB, *Committer) {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "bank.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCommitter(db.DB, 0)
	t.Cleanup(func() {
		c.Close()
		_ = db.Close()
	})
	return db, c
}

func setMeta(key string) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO meta (key, value) VALUES ($1, 'v')`, key)
		return err
	}
}

func metaKeys(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT key FROM meta`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out[k] = true
	}
	return out
}

// inOneBatch holds the committer's goroutine with a first job until the given
// functions are all queued behind it, so that they run as one batch. It returns each
// function's answer (a panic's value as an error) and the transactions they ran in.
func inOneBatch(t *testing.T, c *Committer, fns ...func(*sql.Tx) error) ([]error, []*sql.Tx) {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- c.Tx(context.Background(), func(*sql.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	errs, txs := make([]error, len(fns)), make([]*sql.Tx, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = c.Tx(context.Background(), func(tx *sql.Tx) error {
				if txs[i] == nil { // the first run (a rerun alone gets another tx)
					txs[i] = tx
				}
				return fn(tx)
			})
		}()
		// Queue in order, so that the batch is the functions in order.
		for deadline := time.Now().Add(10 * time.Second); len(c.jobs) < i+1; {
			if time.Now().After(deadline) {
				t.Fatal("jobs not queued")
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(hold)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	return errs, txs
}

func TestCommitterBatchesConcurrentTransactions(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	errs, txs := inOneBatch(t, c, setMeta("a"), setMeta("b"), setMeta("c"))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	if txs[0] != txs[1] || txs[1] != txs[2] {
		t.Error("queued transactions did not share one database transaction (no group commit)")
	}
	if got := metaKeys(t, db); !got["a"] || !got["b"] || !got["c"] {
		t.Fatalf("committed keys = %v", got)
	}
}

// A failing transaction in a batch is rolled back alone: the others commit.
func TestCommitterOneFailureDoesNotFailTheBatch(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	refused := errors.New("refused")
	errs, txs := inOneBatch(t, c,
		setMeta("ok1"),
		func(tx *sql.Tx) error {
			if err := setMeta("bad")(tx); err != nil {
				return err
			}
			return refused // after writing: the write must be rolled back
		},
		setMeta("ok1"), // a constraint violation (duplicate key), also its own failure
		setMeta("ok2"),
	)
	if errs[0] != nil || errs[3] != nil {
		t.Fatalf("good transactions failed: %v", errs)
	}
	if !errors.Is(errs[1], refused) || errs[2] == nil {
		t.Fatalf("bad transactions: %v, %v", errs[1], errs[2])
	}
	if txs[0] != txs[3] {
		t.Error("expected one shared transaction")
	}
	got := metaKeys(t, db)
	if !got["ok1"] || !got["ok2"] || got["bad"] {
		t.Fatalf("committed keys = %v; want ok1 and ok2 only", got)
	}
}

// A panicking transaction is rolled back and its caller panics; the others commit.
func TestCommitterPanicIsTheCallersOnly(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	errs, _ := inOneBatch(t, c,
		setMeta("p1"),
		func(tx *sql.Tx) error { _ = setMeta("boom")(tx); panic("boom") },
		setMeta("p2"),
	)
	if errs[0] != nil || errs[2] != nil || errs[1] == nil || errs[1].Error() != "panic: boom" {
		t.Fatalf("errs = %v", errs)
	}
	if got := metaKeys(t, db); !got["p1"] || !got["p2"] || got["boom"] {
		t.Fatalf("committed keys = %v", got)
	}
}

// A function that breaks the shared transaction (here: ends it) fails the batch; every
// function is then run again alone, so only the culprit fails.
func TestCommitterBrokenBatchIsRerunAlone(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	errs, _ := inOneBatch(t, c,
		setMeta("r1"),
		func(tx *sql.Tx) error {
			_, err := tx.Exec(`ROLLBACK`) // ends the surrounding transaction
			return err
		},
		setMeta("r2"),
	)
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("innocent transactions failed: %v", errs)
	}
	if errs[1] == nil {
		t.Error("the transaction that broke the batch reported success")
	}
	if got := metaKeys(t, db); !got["r1"] || !got["r2"] {
		t.Fatalf("committed keys = %v", got)
	}
}

func TestCommitterCancelledWhileQueuedDoesNotRun(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	hold, held := make(chan struct{}), make(chan struct{})
	go func() { _ = c.Tx(context.Background(), func(*sql.Tx) error { close(held); <-hold; return nil }) }()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Tx(ctx, setMeta("cancelled")) }()
	for len(c.jobs) < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	close(hold)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if metaKeys(t, db)["cancelled"] {
		t.Fatal("a transaction cancelled in the queue ran")
	}
}

func TestCommitterClosed(t *testing.T) {
	t.Parallel()
	_, c := openCommitter(t)
	if err := c.Tx(context.Background(), setMeta("x")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close() // idempotent
	if err := c.Tx(context.Background(), setMeta("y")); !errors.Is(err, ErrCommitterClosed) {
		t.Fatalf("err = %v", err)
	}
}

// Many concurrent writers: every acknowledged write is there.
func TestCommitterConcurrentWriters(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Tx(context.Background(), setMeta(fmt.Sprint("k", i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := metaKeys(t, db); len(got) != 200 {
		t.Fatalf("%d keys committed, want 200", len(got))
	}
}

// A query first run inside a transaction is prepared between batches and later
// transactions run the prepared statement, with the same results.
func TestCommitterPreparesStatementsBetweenBatches(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	const insert = `INSERT INTO meta (key, value) VALUES ($1, $2)`
	const read = `SELECT value FROM meta WHERE key = $1`
	for i := 0; i < 3; i++ {
		err := c.Tx(context.Background(), func(tx *sql.Tx) error {
			q := On(c, tx)
			if _, err := q.ExecContext(context.Background(), insert, fmt.Sprint("s", i), fmt.Sprint("v", i)); err != nil {
				return err
			}
			var v string
			if err := q.QueryRowContext(context.Background(), read, fmt.Sprint("s", i)).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
				return fmt.Errorf("read back %q, %v", v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		// Tx answers before the committer prepares (after the batch): wait for it.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			c.stmts.mu.Lock()
			_, ready := c.stmts.ready[insert]
			c.stmts.mu.Unlock()
			if ready {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after transaction %d the insert is not prepared", i)
			}
		}
	}
	if got := metaKeys(t, db); !got["s0"] || !got["s1"] || !got["s2"] {
		t.Fatalf("keys = %v", got)
	}
	// A failing prepared statement fails its transaction only.
	err := c.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := On(c, tx).ExecContext(context.Background(), insert, "s1", "dup")
		return err
	})
	if err == nil {
		t.Fatal("duplicate key accepted through the prepared statement")
	}
}

// Relaxed writes commit with synchronous=NORMAL, ordinary ones with FULL, even when
// they were submitted together (the relaxed ones first, in a transaction of their own);
// the connection is FULL again afterwards.
func TestCommitterRelaxedBatches(t *testing.T) {
	t.Parallel()
	db, c := openCommitter(t)
	level := func(q interface {
		QueryRow(string, ...any) *sql.Row
	}) int {
		var n int
		if err := q.QueryRow(`PRAGMA synchronous`).Scan(&n); err != nil {
			t.Error(err)
		}
		return n
	}
	if got := level(db); got != syncFull {
		t.Fatalf("durable database at synchronous=%d", got)
	}
	var seen int
	if err := Relaxed(c).Tx(context.Background(), func(tx *sql.Tx) error { seen = level(tx); return setMeta("n1")(tx) }); err != nil {
		t.Fatal(err)
	}
	if seen != syncNormal {
		t.Errorf("relaxed write alone committed at synchronous=%d, want NORMAL", seen)
	}
	if got := level(db); got != syncFull {
		t.Fatalf("after a relaxed batch the connection is at synchronous=%d", got)
	}
	// A relaxed and an ordinary write in one batch: NORMAL for the one, FULL for the other.
	hold, held := make(chan struct{}), make(chan struct{})
	go func() { _ = c.Tx(context.Background(), func(*sql.Tx) error { close(held); <-hold; return nil }) }()
	<-held
	var wg sync.WaitGroup
	var relaxedSaw, fullSaw int
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := Relaxed(c).Tx(context.Background(), func(tx *sql.Tx) error { relaxedSaw = level(tx); return setMeta("n2")(tx) }); err != nil {
			t.Error(err)
		}
	}()
	for len(c.jobs) < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		defer wg.Done()
		if err := c.Tx(context.Background(), func(tx *sql.Tx) error { fullSaw = level(tx); return setMeta("f2")(tx) }); err != nil {
			t.Error(err)
		}
	}()
	for len(c.jobs) < 2 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	if relaxedSaw != syncNormal || fullSaw != syncFull {
		t.Errorf("mixed batch ran its relaxed and ordinary writes at synchronous=%d/%d, want NORMAL/FULL", relaxedSaw, fullSaw)
	}
	if got := level(db); got != syncFull {
		t.Fatalf("after a mixed batch the connection is at synchronous=%d", got)
	}
	if got := metaKeys(t, db); !got["n1"] || !got["n2"] || !got["f2"] {
		t.Fatalf("keys = %v", got)
	}
	if Relaxed(Direct{DB: db.DB}) != (Direct{DB: db.DB}) {
		t.Error("Relaxed changed a writer that is not a Committer")
	}
}
