package payments

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Notification is one outbox row: tell App_ID that a payment reached Status
// (JR/T 0185-2020 10.2.3/4: the decision is reported to the partner).
type Notification struct {
	ID            string    `json:"notification_id"`
	PaymentID     string    `json:"payment_id"`
	AppID         string    `json:"app_id"`
	Status        Status    `json:"status"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero"` // zero until delivered
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Delivery retry policy.
const (
	// MaxNotificationAttempts: after this many failed deliveries a notification is no
	// longer due (the partner can still query the payment).
	MaxNotificationAttempts = 12
	// DueBatch bounds one DueNotifications answer, DuePerApp each App_ID's share of it:
	// an App_ID with a backlog cannot crowd the others out of a pass.
	DueBatch  = 1000
	DuePerApp = 50

	backoffBase = 15 * time.Second
	backoffMax  = time.Hour
)

// Backoff is the wait after the n-th failed delivery (n >= 1): 15 s doubling each time,
// at most an hour (15 s, 30 s, 1 min, 2 min, ... 1 h).
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := backoffBase
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	if d > backoffMax {
		d = backoffMax
	}
	return d
}

// enqueue writes the outbox row in tx, the transaction that sets the final status.
// Magic payees delay the first attempt or exhaust the row at once (package magic).
func (s *Service) enqueue(ctx context.Context, tx querier, p Payment, now time.Time) error {
	next, attempts, lastErr := s.magicNotification(p, now)
	return insertNotification(ctx, tx, ledger.NewID("NTF"), p, attempts, next, lastErr, now)
}

// insertNotification writes outbox row id for p's current status, created at now.
func insertNotification(ctx context.Context, q querier, id string, p Payment, attempts int, next time.Time, lastErr string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO payment_notifications (notification_id, payment_id, app_id, status, attempts, next_attempt_at, last_error, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, p.ID, p.AppID, string(p.Status), attempts, next.UnixNano(), lastErr, now.UnixNano())
	return err
}

// DueNotifications returns up to DueBatch undelivered notifications due at now, oldest
// first, that have not exhausted their attempts: each App_ID's oldest DuePerApp.
func (s *Service) DueNotifications(ctx context.Context, now time.Time) ([]Notification, error) {
	return s.notifications(ctx, `WHERE notification_id IN (SELECT d.notification_id FROM (
			SELECT notification_id, ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY next_attempt_at, notification_id) AS rn
			FROM payment_notifications WHERE delivered_at = 0 AND next_attempt_at <= $1 AND attempts < $2) AS d
		WHERE d.rn <= $3)
		ORDER BY next_attempt_at, notification_id LIMIT $4`, now.UnixNano(), MaxNotificationAttempts, DuePerApp, DueBatch)
}

// Backlog returns, per App_ID, when its oldest undelivered notification that is due or
// was tried was created (one not yet due for its first attempt — a magic delayed
// payee's — and one that exhausted its attempts are left out): the notifications' lag.
func (s *Service) Backlog(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	rows, err := s.store.DB.QueryContext(ctx, `SELECT app_id, MIN(created_at) FROM payment_notifications
		WHERE delivered_at = 0 AND attempts < $1 AND (next_attempt_at <= $2 OR attempts > 0) GROUP BY app_id`,
		MaxNotificationAttempts, now.UnixNano())
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var app string
		var created int64
		if err := rows.Scan(&app, &created); err != nil {
			return nil, problem.Internal.Wrap(err)
		}
		out[app] = time.Unix(0, created)
	}
	return out, rows.Err()
}

// Notifications lists an app's notifications, newest first, for the admin API.
func (s *Service) Notifications(ctx context.Context, appID string, limit int) ([]Notification, error) {
	return s.notifications(ctx, `WHERE app_id = $1 ORDER BY created_at DESC, notification_id LIMIT $2`, appID, limit)
}

func (s *Service) notifications(ctx context.Context, where string, args ...any) ([]Notification, error) {
	rows, err := s.store.DB.QueryContext(ctx, `SELECT notification_id, payment_id, app_id, status, attempts, next_attempt_at, delivered_at, last_error, created_at
		FROM payment_notifications `+where, args...) // #nosec G202 -- where is one of two constant fragments above; values are bound
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var next, delivered, created int64
		if err := rows.Scan(&n.ID, &n.PaymentID, &n.AppID, &n.Status, &n.Attempts, &next, &delivered, &n.LastError, &created); err != nil {
			return nil, problem.Internal.Wrap(err)
		}
		n.NextAttemptAt, n.CreatedAt = time.Unix(0, next), time.Unix(0, created)
		if delivered != 0 {
			n.DeliveredAt = time.Unix(0, delivered)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	return out, nil
}

// MarkDelivered records successful deliveries, in one transaction. Marking a
// delivered one again is a no-op; an unknown id is NOT_FOUND (the others are marked).
func (s *Service) MarkDelivered(ctx context.Context, ids ...string) error {
	now := s.clock.Now().UnixNano()
	marked := make([]bool, len(ids))
	// Relaxed (no wait for fsync): delivery is at least once — a mark lost to a power
	// loss only means the partner gets the notification again, with the same
	// notification id to drop it by.
	err := s.store.txRelaxed(ctx, func(tx *sql.Tx) error {
		q := s.store.q(tx)
		for i, id := range ids {
			res, err := q.ExecContext(ctx, `UPDATE payment_notifications SET delivered_at = $1, attempts = attempts + 1 WHERE notification_id = $2 AND delivered_at = 0`,
				now, id)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			marked[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	for i, id := range ids {
		if !marked[i] {
			if err := s.notificationExists(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// MarkFailed records a failed delivery (reason is kept for the inspector; no personal
// information in it, please) and schedules the next attempt with exponential backoff.
// It returns when the notification is next due.
func (s *Service) MarkFailed(ctx context.Context, id, reason string) (time.Time, error) {
	now := s.clock.Now()
	var attempts int
	err := s.store.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT attempts FROM payment_notifications WHERE notification_id = $1 AND delivered_at = 0`, id).Scan(&attempts); err != nil {
			return err
		}
		attempts++
		_, err := tx.ExecContext(ctx, `UPDATE payment_notifications SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE notification_id = $4`,
			attempts, now.Add(Backoff(attempts)).UnixNano(), clipText(reason, 200), id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, problem.AdminNotFound.WithDetail("no undelivered notification %q", clipText(id, 40))
	}
	if err != nil {
		return time.Time{}, problem.Internal.Wrap(err)
	}
	return now.Add(Backoff(attempts)), nil
}

func (s *Service) notificationExists(ctx context.Context, id string) error {
	var n int
	if err := s.store.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_notifications WHERE notification_id = $1`, id).Scan(&n); err != nil {
		return problem.Internal.Wrap(err)
	}
	if n == 0 {
		return problem.AdminNotFound.WithDetail("no notification %q", clipText(id, 40))
	}
	return nil
}
