package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The audit outbox: no money moves unrecorded (JR/T 0185-2020 7.3.3/1, 12.3/1).
//
// The log lives in its own file, so a business change and the log's record of it cannot
// share one SQLite transaction. Instead the business transaction writes the record into
// the business database's audit_outbox table (store migration 0051): the change and its
// record commit together, or neither does. The log's writer folds the outbox into the
// chain — in order, each row once: how far it folded is kept in the log's own folds
// table, written in the same log transaction as the folded records — and then prunes the
// folded rows. A record whose row is folded can be found in the chain; one still in the
// outbox is pending, never lost: a killed process folds it at its next start.
//
// Business records are marked Method "COMMIT" and Path "<kind>:<id>" (a payment:
// "payment:PAY…"); their excerpt is a small JSON object with the status the change left
// the resource in and the request id of the call that made it (by_request). Complete checks every resource of the business database against them.

// Kinds of Problem found by Complete.
const (
	KindUnrecorded = "unrecorded" // a business resource with no audit record at all
	KindStale      = "stale"      // no audit record of a business resource's current state
)

// MethodCommit marks a record written in the transaction of the business change it records.
const MethodCommit = "COMMIT"

// foldSource names the business database in the log's folds table.
const foldSource = "business"

// Pending is one outbox row not yet folded into the chain.
type Pending struct {
	ID  int64
	Rec Record
}

// Source is the business database's audit outbox, read by the log's writer.
type Source interface {
	// Pending returns up to limit rows with an id above after, in id order.
	Pending(ctx context.Context, after int64, limit int) ([]Pending, error)
	// Prune removes the rows the log has folded, keeping the last one, marked folded
	// (so that ids keep growing past it).
	Prune(ctx context.Context, through int64) error
}

// Execer is what a business transaction offers to write its record.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Change is the audit record of one business change, written by WriteChange.
type Change struct {
	At        time.Time
	RequestID string // of the call that made the change ("" for the bank's own)
	AppID     string
	APIID     string // the operation, e.g. "payments.status"
	Ref       string // "<kind>:<id>", e.g. "payment:PAY…"
	Status    string // the state the change left the resource in
	AmountFen int64  // for a payment
}

// changeExcerpt is a business record's excerpt. The request id of the call that made
// the change is kept here, not in the record's request_id: that column names the access
// record of each call, exactly one per call.
type changeExcerpt struct {
	Status    string `json:"status"`
	AmountFen int64  `json:"amount_fen,omitempty"`
	ByRequest string `json:"by_request,omitempty"`
}

// WriteChange inserts c's record into the outbox, inside the business transaction q.
func WriteChange(ctx context.Context, q Execer, c Change) error {
	ex, err := json.Marshal(changeExcerpt{Status: c.Status, AmountFen: c.AmountFen, ByRequest: c.RequestID})
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_outbox (ts, request_id, app_id, api_id, method, path, status, result, code, excerpt)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.At.UnixNano(), "", c.AppID, c.APIID, MethodCommit, c.Ref, 200, ResultSuccess, "", string(ex))
	return err
}

// SQLOutbox is the Source on the business database: Read is a reading pool, Write runs
// a write transaction (the business database's writer).
type SQLOutbox struct {
	Read  *sql.DB
	Write func(ctx context.Context, fn func(*sql.Tx) error) error
}

var _ Source = (*SQLOutbox)(nil)

// Pending implements Source.
func (o *SQLOutbox) Pending(ctx context.Context, after int64, limit int) ([]Pending, error) {
	return pendingRows(ctx, o.Read, after, limit)
}

func pendingRows(ctx context.Context, q queryer, after int64, limit int) ([]Pending, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, ts, request_id, app_id, api_id, method, path, status, result, code, excerpt
		FROM audit_outbox WHERE id > $1 AND folded = 0 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("audit outbox: %w", err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		var ts, status int64
		r := &p.Rec
		if err := rows.Scan(&p.ID, &ts, &r.RequestID, &r.AppID, &r.APIID, &r.Method, &r.Path, &status, &r.Result, &r.Code, &r.Excerpt); err != nil {
			return nil, fmt.Errorf("audit outbox: %w", err)
		}
		r.Time, r.Status = time.Unix(0, ts).UTC(), int(status)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Prune implements Source.
func (o *SQLOutbox) Prune(ctx context.Context, through int64) error {
	return o.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_outbox WHERE id < $1`, through); err != nil {
			return err
		}
		// The kept row is marked: it is in the chain, so a log rewritten from scratch (its
		// folds table empty) cannot pass it off as pending.
		_, err := tx.ExecContext(ctx, `UPDATE audit_outbox SET folded = 1 WHERE id = $1`, through)
		return err
	})
}

// readFolded returns how far the log has folded the business outbox.
func readFolded(ctx context.Context, q queryer) (int64, error) {
	var through int64
	err := q.QueryRowContext(ctx, `SELECT through FROM folds WHERE source = $1`, foldSource).Scan(&through)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return through, err
}

func writeFolded(ctx context.Context, tx *sql.Tx, through int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO folds (source, through) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET through = excluded.through`, foldSource, through)
	return err
}

// Expected is a business resource the log must hold a record of: Ref ("payment:PAY…")
// in Status, its current state.
type Expected struct {
	Ref    string
	Status string
}

// Complete checks that the log at path records every resource of want in its current
// state (a business record of each Ref carries its Status). A resource whose record is
// still in the business outbox (pending: Refs of rows the log has not folded) is not a
// gap. It returns one Problem per gap, kind "unrecorded" (no record at all) or "stale"
// (no record of its current state): a business change the log does not hold (7.3.3/1,
// 12.3/1). Read want first, then pending, then call Complete: with a running bank, a
// change is then either pending or in the log.
func Complete(ctx context.Context, path string, want []Expected, pending map[string]bool) ([]Problem, error) {
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT path, excerpt FROM records WHERE method = $1 ORDER BY seq`, MethodCommit)
	if err != nil {
		return nil, fmt.Errorf("audit: read business records: %w", err)
	}
	seen := map[string]map[string]bool{} // ref → statuses recorded
	for rows.Next() {
		var ref, ex string
		if err := rows.Scan(&ref, &ex); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("audit: read business records: %w", err)
		}
		var e changeExcerpt
		_ = json.Unmarshal([]byte(ex), &e)
		if seen[ref] == nil {
			seen[ref] = map[string]bool{}
		}
		seen[ref][e.Status] = true
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Problem
	for _, w := range want {
		sts, ok := seen[w.Ref]
		switch {
		case pending[w.Ref]:
		case !ok:
			out = append(out, Problem{Kind: KindUnrecorded, Message: fmt.Sprintf("%s (%s) has no audit record", w.Ref, w.Status)})
		case !sts[w.Status]:
			out = append(out, Problem{Kind: KindStale, Message: fmt.Sprintf("%s is %s but no audit record shows it so", w.Ref, w.Status)})
		}
	}
	return out, nil
}

// PendingRefs lists the Refs of the outbox rows above folded (read with q, the business
// database), for Complete.
func PendingRefs(ctx context.Context, q queryer, folded int64) (map[string]bool, error) {
	out := map[string]bool{}
	for after := folded; ; {
		ps, err := pendingRows(ctx, q, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(ps) == 0 {
			return out, nil
		}
		for _, p := range ps {
			out[p.Rec.Path] = true
		}
		after = ps[len(ps)-1].ID
	}
}

// Folded reads how far the log at path has folded the business outbox.
func Folded(ctx context.Context, path string) (int64, error) {
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	n, err := readFolded(ctx, db)
	if err != nil && !isNoSuchTable(err) {
		return 0, err
	}
	return n, nil
}

func isNoSuchTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}

type requestIDKey struct{}

// WithRequestID carries the request id (交易流水号) of the call into the business layer,
// so the record of a change it makes names the call that made it.
func WithRequestID(ctx context.Context, rid string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, rid)
}

// RequestIDFrom returns the request id WithRequestID stored in ctx, "" if none.
func RequestIDFrom(ctx context.Context) string {
	rid, _ := ctx.Value(requestIDKey{}).(string)
	return rid
}
