package payments

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/jr0185/harness/sandbox/internal/store"
)

// SQLStore keeps payments, idempotency reservations and notifications in the business
// database, with portable SQL ($n placeholders; SQLite and PostgreSQL). Reads use DB;
// every write goes through W (a store.Committer: group commit), or, when W is nil, a
// transaction of its own on DB.
type SQLStore struct {
	DB *sql.DB
	W  store.Writer
}

// errNotFound is returned for an unknown payment.
var errNotFound = errors.New("payment not found")

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *SQLStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return store.WriterFor(s.W, s.DB).Tx(ctx, fn)
}

// q is tx with the writer's prepared statements (when W is a store.Committer).
func (s *SQLStore) q(tx *sql.Tx) querier { return store.On(s.W, tx) }

const paymentCols = `payment_id, app_id, idem_key, consent_id, customer_id, payer_account, payee_account, payee_name,
	payee_external, amount_fen, currency, memo, status, failure_code, failure_detail, risk_reason, reviewed_by, review_note,
	posting_id, created_at, updated_at, finished_at`

func scanPayment(row interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var external int
	var created, updated, finished int64
	err := row.Scan(&p.ID, &p.AppID, &p.IdempotencyKey, &p.ConsentID, &p.CustomerID, &p.PayerAccount, &p.PayeeAccount, &p.PayeeName,
		&external, &p.AmountFen, &p.Currency, &p.Memo, &p.Status, &p.FailureCode, &p.FailureDetail, &p.RiskReason, &p.ReviewedBy,
		&p.ReviewNote, &p.PostingID, &created, &updated, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errNotFound
	}
	p.PayeeExternal = external == 1
	p.CreatedAt, p.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	if finished != 0 {
		p.FinishedAt = time.Unix(0, finished)
	}
	return p, err
}

func getPayment(ctx context.Context, q querier, id string) (Payment, error) {
	return scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM payments WHERE payment_id = $1`, id))
}

func paymentByKey(ctx context.Context, q querier, appID, key string) (Payment, error) {
	return scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM payments WHERE app_id = $1 AND idem_key = $2`, appID, key))
}

func insertPayment(ctx context.Context, tx querier, p Payment) error {
	external := 0
	if p.PayeeExternal {
		external = 1
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO payments (`+paymentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		p.ID, p.AppID, p.IdempotencyKey, p.ConsentID, p.CustomerID, p.PayerAccount, p.PayeeAccount, p.PayeeName, external,
		p.AmountFen, p.Currency, p.Memo, string(p.Status), p.FailureCode, p.FailureDetail, p.RiskReason, p.ReviewedBy, p.ReviewNote,
		p.PostingID, p.CreatedAt.UnixNano(), p.UpdatedAt.UnixNano(), 0)
	return err
}

// transition moves a payment from one status to another, only if it is still in from.
// It reports whether it did.
func transition(ctx context.Context, q querier, id string, from, to Status, now time.Time, set map[string]any) (bool, error) {
	query := `UPDATE payments SET status = $1, updated_at = $2`
	args := []any{string(to), now.UnixNano()}
	for _, col := range []string{"failure_code", "failure_detail", "risk_reason", "reviewed_by", "review_note", "posting_id", "finished_at"} {
		if v, ok := set[col]; ok {
			args = append(args, v)
			query += `, ` + col + ` = $` + strconv.Itoa(len(args))
		}
	}
	args = append(args, id, string(from))
	query += ` WHERE payment_id = $` + strconv.Itoa(len(args)-1) + ` AND status = $` + strconv.Itoa(len(args))
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// accountInfo is what payments needs to know about an account.
type accountInfo struct {
	No             string
	CustomerID     string
	HolderName     string
	Kind           string
	Currency       string
	Status         string
	DailyLimitFen  int64
	PerTxnLimitFen int64
}

func loadAccount(ctx context.Context, q querier, no string) (accountInfo, bool, error) {
	a := accountInfo{No: no}
	err := q.QueryRowContext(ctx, `SELECT a.customer_id, COALESCE(c.name, ''), a.kind, a.currency, a.status, a.daily_limit_fen, a.per_txn_limit_fen
		FROM accounts a LEFT JOIN customers c ON c.customer_id = a.customer_id WHERE a.account_no = $1`, no).
		Scan(&a.CustomerID, &a.HolderName, &a.Kind, &a.Currency, &a.Status, &a.DailyLimitFen, &a.PerTxnLimitFen)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	return a, err == nil, err
}

func customerName(ctx context.Context, q querier, customerID string) (string, error) {
	var n string
	err := q.QueryRowContext(ctx, `SELECT name FROM customers WHERE customer_id = $1`, customerID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return n, err
}

// lockAccount takes the payer's row lock for the rest of the transaction (a no-op
// update: portable, unlike SELECT ... FOR UPDATE), so that on PostgreSQL two
// executions from one account serialize their limit checks.
func lockAccount(ctx context.Context, tx querier, no string) error {
	_, err := tx.ExecContext(ctx, `UPDATE accounts SET balance_fen = balance_fen WHERE account_no = $1`, no)
	return err
}

// Statuses that count against daily limits.
var (
	usageAtCreate  = []Status{StatusPendingConfirmation, StatusRiskReview, StatusProcessing, StatusSucceeded}
	usageAtExecute = []Status{StatusProcessing, StatusSucceeded}
)

// usage sums the amounts of payments created since `since` whose column equals value
// and whose status is one of statuses, leaving out payment `except`.
func usage(ctx context.Context, q querier, column, value string, since time.Time, statuses []Status, except string) (int64, error) {
	query := `SELECT COALESCE(SUM(amount_fen), 0) FROM payments WHERE ` + column + ` = $1 AND created_at >= $2 AND payment_id <> $3 AND status IN (`
	args := []any{value, since.UnixNano(), except}
	for i, st := range statuses {
		if i > 0 {
			query += `, `
		}
		args = append(args, string(st))
		query += `$` + strconv.Itoa(len(args))
	}
	var sum int64
	err := q.QueryRowContext(ctx, query+`)`, args...).Scan(&sum)
	return sum, err
}

func listByStatus(ctx context.Context, q querier, st Status, limit int) ([]Payment, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+paymentCols+` FROM payments WHERE status = $1 ORDER BY created_at, payment_id LIMIT $2`, string(st), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
