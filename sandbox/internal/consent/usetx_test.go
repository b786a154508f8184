package consent

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// UseOnceTx consumes the consent in the caller's transaction and, when it cannot,
// explains why through that transaction only: the database has one connection, which
// the transaction holds, so a read on the *sql.DB would wait forever.
func TestUseOnceTxInsideTheCallersTransaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    *problem.Error
		prepare func(*testing.T, *env) string // returns the consent id
	}{
		{"ok/first use", nil, func(t *testing.T, e *env) string { return e.tokens(t, payRequest(), "zhangsan").ConsentID }},
		{"403 CONSENT_USED/second use", problem.ConsentUsed, func(t *testing.T, e *env) string {
			id := e.tokens(t, payRequest(), "zhangsan").ConsentID
			if err := e.s.UseOnce(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			return id
		}},
		{"403 CONSENT_EXPIRED/not used in time", problem.ConsentExpired, func(t *testing.T, e *env) string {
			id := e.tokens(t, payRequest(), "zhangsan").ConsentID
			e.clock.Advance(10 * time.Minute)
			return id
		}},
		{"409 STATE_CONFLICT/periodic consent", problem.StateConflict, func(t *testing.T, e *env) string {
			return e.tokens(t, infoRequest(), "lisi").ConsentID
		}},
		{"404 CONSENT_NOT_FOUND/unknown consent", problem.ConsentNotFound, func(*testing.T, *env) string { return "CNS-none" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			id := tc.prepare(t, e)
			done := make(chan error, 1)
			go func() {
				var used error
				err := store.InTx(context.Background(), e.db.DB, func(tx *sql.Tx) error {
					used = e.s.UseOnceTx(context.Background(), tx, id)
					return used
				})
				if used != nil {
					err = used
				}
				done <- err
			}()
			select {
			case err := <-done:
				expect(t, err, tc.want)
			case <-time.After(30 * time.Second):
				t.Fatal("UseOnceTx waited for the database connection its own transaction holds")
			}
		})
	}
}
