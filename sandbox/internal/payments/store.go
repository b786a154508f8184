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
type querier = store.Querier

func (s *SQLStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return store.WriterFor(s.W, s.DB).Tx(ctx, fn)
}

// txRelaxed is tx for a write that need not wait for fsync (store.Relaxed): it survives
// a killed process, but a power loss may undo it. Only for writes whose loss is
// harmless: the bank recovers from it without breaking a promise made to anyone.
func (s *SQLStore) txRelaxed(ctx context.Context, fn func(*sql.Tx) error) error {
	return store.Relaxed(store.WriterFor(s.W, s.DB)).Tx(ctx, fn)
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

// transition moves a payment from one status to another, only if it is still in from,
// and moves its amount between the daily-limit running totals accordingly. It reports
// whether it did.
func (s *Service) transition(ctx context.Context, q querier, id string, from, to Status, now time.Time, set map[string]any) (bool, error) {
	query := `UPDATE payments SET status = $1, updated_at = $2`
	args := []any{string(to), now.UnixNano()}
	for _, col := range []string{"failure_code", "failure_detail", "risk_reason", "reviewed_by", "review_note", "posting_id", "finished_at"} {
		if v, ok := set[col]; ok {
			args = append(args, v)
			query += `, ` + col + ` = $` + strconv.Itoa(len(args))
		}
	}
	args = append(args, id, string(from))
	query += ` WHERE payment_id = $` + strconv.Itoa(len(args)-1) + ` AND status = $` + strconv.Itoa(len(args)) +
		` RETURNING app_id, customer_id, payer_account, amount_fen, created_at`
	var p Payment
	var created int64
	err := q.QueryRowContext(ctx, query, args...).Scan(&p.AppID, &p.CustomerID, &p.PayerAccount, &p.AmountFen, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	p.CreatedAt = time.Unix(0, created)
	c0, e0 := usageWeights(from)
	c1, e1 := usageWeights(to)
	if err := s.addUsage(ctx, q, p, (c1-c0)*p.AmountFen, (e1-e0)*p.AmountFen); err != nil {
		return false, err
	}
	p.ID, p.Status = id, to
	return true, s.journal(ctx, q, p, now)
}

// usageWeights says whether a payment in status st counts against daily limits at
// creation and at execution (usageAtCreate, usageAtExecute): 1 if it does, 0 if not.
func usageWeights(st Status) (atCreate, atExecute int64) {
	switch st {
	case StatusProcessing, StatusSucceeded:
		return 1, 1
	case StatusPendingConfirmation, StatusRiskReview:
		return 1, 0
	}
	return 0, 0
}

// addUsage adds to the running totals (table payment_usage) of p's payer account,
// App_ID and customer on the calendar day p was created.
func (s *Service) addUsage(ctx context.Context, q querier, p Payment, atCreate, atExecute int64) error {
	if atCreate == 0 && atExecute == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `INSERT INTO payment_usage (dim, key, day, created_fen, executed_fen)
		VALUES ('payer_account', $1, $4, $5, $6), ('app_id', $2, $4, $5, $6), ('customer_id', $3, $4, $5, $6)
		ON CONFLICT (dim, key, day) DO UPDATE SET created_fen = payment_usage.created_fen + excluded.created_fen,
		executed_fen = payment_usage.executed_fen + excluded.executed_fen`,
		p.PayerAccount, p.AppID, p.CustomerID, s.dayStart(p.CreatedAt).UnixNano(), atCreate, atExecute)
	return err
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

// usageAt says which statuses count against daily limits: at creation, every payment
// not yet ended (pending confirmation, held for review, processing, succeeded); at
// execution, those that move money (processing, succeeded).
type usageAt bool

const (
	usageAtCreate  usageAt = false
	usageAtExecute usageAt = true
)

// dailyUsage is what the day's payments used up, per limit.
type dailyUsage struct{ payer, app, customer int64 }

// usage reads the running totals of p's payer account, App_ID and customer for the
// payments created since `since` (a day start) whose status counts at `at`.
func usage(ctx context.Context, q querier, p Payment, since time.Time, at usageAt) (dailyUsage, error) {
	col := "created_fen"
	if at == usageAtExecute {
		col = "executed_fen"
	}
	// One row (QueryRowContext: the Committer's prepared-statement cache serves it).
	var u dailyUsage
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN dim = 'payer_account' THEN `+col+` END), 0),
		COALESCE(SUM(CASE WHEN dim = 'app_id' THEN `+col+` END), 0),
		COALESCE(SUM(CASE WHEN dim = 'customer_id' THEN `+col+` END), 0)
		FROM payment_usage WHERE day >= $1 AND
		((dim = 'payer_account' AND key = $2) OR (dim = 'app_id' AND key = $3) OR (dim = 'customer_id' AND key = $4))`,
		since.UnixNano(), p.PayerAccount, p.AppID, p.CustomerID).Scan(&u.payer, &u.app, &u.customer)
	return u, err
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
