package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// Faults without silent damage (issue 15): the wiring of the audit outbox, the start-up
// check of the data folder and the audit log's completeness check.

// metaOutboxSince is the business database's meta key holding when (Unix ns) the audit
// outbox started recording payments: payments created before it (by an older build)
// have no business record to look for.
const metaOutboxSince = "audit_outbox_since"

// journal writes each change of a payment's status into the audit outbox, inside the
// payment's own transaction (JR/T 0185-2020 7.3.3/1, 12.3/1).
type journal struct{}

var _ payments.Journal = journal{}

func (journal) PaymentChanged(ctx context.Context, q store.Querier, p payments.Payment, at time.Time) error {
	return audit.WriteChange(ctx, q, audit.Change{At: at, RequestID: audit.RequestIDFrom(ctx), AppID: p.AppID,
		APIID: "payments.status", Ref: "payment:" + p.ID, Status: string(p.Status), AmountFen: p.AmountFen})
}

// healthWrite is the health monitor's real write: one row of the business database's
// meta table, through its one writer (relaxed: it need not wait for fsync, the file
// probe syncs).
func healthWrite(w *store.Committer) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return store.Relaxed(w).Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, "health_probe", strconv.FormatInt(time.Now().UnixNano(), 10))
			return err
		})
	}
}

// markOutboxSince records, once, when the audit outbox started.
func markOutboxSince(ctx context.Context, db *store.DB, clk clock.Clock) error {
	if _, ok, err := db.GetMeta(ctx, metaOutboxSince); err != nil || ok {
		return err
	}
	return db.SetMeta(ctx, metaOutboxSince, strconv.FormatInt(clk.Now().UnixNano(), 10))
}

// checkDataDir makes one real write in the data folder before anything else, so that a
// read-only or full folder is named as such, not as the first internal step that fails.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return dataDirError(dir, err)
	}
	f, err := os.CreateTemp(dir, ".start-probe-*")
	if err != nil {
		return dataDirError(dir, err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, werr := f.Write(make([]byte, 4096))
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return dataDirError(dir, err)
	}
	return nil
}

// dataFolderError is a start-up failure of the data folder, named.
type dataFolderError struct{ err error }

func (e *dataFolderError) Error() string { return e.err.Error() }
func (e *dataFolderError) Unwrap() error { return errors.Unwrap(e.err) }

// dataDirError names the data folder and what is wrong with it.
func dataDirError(dir string, err error) error {
	what := "cannot be written"
	switch store.StorageKind(err) {
	case "full":
		what = "is on a full disk"
	case "read-only":
		what = "is read-only (or not writable by this user)"
	case "io":
		what = "has an I/O error"
	}
	abs, aerr := filepath.Abs(dir)
	if aerr != nil {
		abs = dir
	}
	return &dataFolderError{fmt.Errorf("data folder %s %s: %w", abs, what, err)}
}

// startError names the data folder when a start-up step failed on its storage.
func startError(dir string, err error) error {
	var named *dataFolderError
	if err == nil || store.StorageKind(err) == "" || errors.As(err, &named) {
		return err
	}
	return dataDirError(dir, err)
}

// auditCompleteness checks the audit log at dataDir against the business database:
// every payment created since the outbox started has a business record showing its
// current status, or its record is still pending in the outbox (folded at the next
// start, or within a moment by a running bank).
func auditCompleteness(ctx context.Context, dataDir string) ([]audit.Problem, int, error) {
	dbFile := filepath.Join(dataDir, dbFile)
	if _, err := os.Stat(dbFile); err != nil {
		return nil, 0, nil // an audit log on its own (a copy): nothing to compare with
	}
	db, err := openBusinessReadOnly(ctx, dbFile)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	var since int64
	var raw string
	switch err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, metaOutboxSince).Scan(&raw); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, 0, nil // never started with the outbox
	case err != nil:
		return nil, 0, err
	}
	if since, err = strconv.ParseInt(raw, 10, 64); err != nil {
		return nil, 0, fmt.Errorf("meta %s: %w", metaOutboxSince, err)
	}
	auditPath := filepath.Join(dataDir, auditFile)
	folded, err := audit.Folded(ctx, auditPath)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.QueryContext(ctx, `SELECT payment_id, status FROM payments WHERE created_at >= $1 AND status <> $2 ORDER BY created_at`,
		since, string(payments.StatusProcessing))
	if err != nil {
		return nil, 0, err
	}
	var want []audit.Expected
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			_ = rows.Close()
			return nil, 0, err
		}
		want = append(want, audit.Expected{Ref: "payment:" + id, Status: st})
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// In this order — folded, payments, pending, records — a running bank's payment is
	// either still pending or already in the log (see audit.Complete).
	pending, err := audit.PendingRefs(ctx, db, folded)
	if err != nil {
		return nil, 0, err
	}
	problems, err := audit.Complete(ctx, auditPath, want, pending)
	return problems, len(pending), err
}

// openBusinessReadOnly opens the business database for reading only; on read-only media,
// where SQLite cannot create the -shm file WAL readers need, as an immutable file.
func openBusinessReadOnly(ctx context.Context, file string) (*sql.DB, error) {
	var errs []error
	dsns := []string{"?mode=ro&_pragma=query_only(1)"}
	if _, err := os.Stat(file + "-wal"); errors.Is(err, os.ErrNotExist) {
		dsns = append(dsns, "?mode=ro&immutable=1&_pragma=query_only(1)") // no -wal to miss
	}
	for _, opts := range dsns {
		db, err := sql.Open("sqlite", "file:"+file+opts)
		if err == nil {
			db.SetMaxOpenConns(1)
			if err = db.PingContext(ctx); err == nil {
				var n int
				if err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM meta`).Scan(&n); err == nil {
					return db, nil
				}
			}
			_ = db.Close()
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
