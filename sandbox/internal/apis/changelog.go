package apis

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Change is one entry of the published change log (JR/T 0185-2020 7.1/6: 就接口废止、
// 变更等情况与应用方保持信息同步; 10.3/1; 11/1).
type Change struct {
	Seq       int64     `json:"-"`
	Version   string    `json:"version"` // the catalogue and OpenAPI version this change produced
	At        time.Time `json:"date"`
	APIID     string    `json:"api_id,omitempty"`
	UAPIID    string    `json:"u_api_id,omitempty"`
	Change    string    `json:"change"`
	From      State     `json:"from_state,omitempty"`
	To        State     `json:"to_state,omitempty"`
	Effective time.Time `json:"effective_date"`
	Notice    string    `json:"notice,omitempty"`
}

// VersionOf is the document version after the change with this sequence number: the
// first publication is 1.0.0, each change after it adds one to the minor version.
func VersionOf(seq int64) string { return fmt.Sprintf("1.%d.0", seq-1) }

func appendChange(ctx context.Context, tx *sql.Tx, c Change) (int64, error) {
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(seq) FROM api_changes`).Scan(&last); err != nil {
		return 0, err
	}
	seq := last.Int64 + 1
	_, err := tx.ExecContext(ctx, `INSERT INTO api_changes (seq, at, api_id, u_api_id, change, from_state, to_state, effective, notice)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, seq, c.At.UnixNano(), c.APIID, c.UAPIID, c.Change,
		string(c.From), string(c.To), c.Effective.UnixNano(), c.Notice)
	return seq, err
}

// firstPublication records the catalogue's first publication (version 1.0.0).
func (l *Lifecycle) firstPublication(ctx context.Context) error {
	var n int64
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_changes`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	now := l.clock.Now()
	_, err := l.db.ExecContext(ctx, `INSERT INTO api_changes (seq, at, change, effective, notice) VALUES (1, $1, 'published', $2, $3)`,
		now.UnixNano(), now.UnixNano(), fmt.Sprintf("first publication of the API catalogue: %d APIs", len(l.cat.APIs)))
	return err
}

const changeCols = `seq, at, api_id, u_api_id, change, from_state, to_state, effective, notice`

func scanChanges(rows *sql.Rows) ([]Change, error) {
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var at, eff int64
		var from, to string
		if err := rows.Scan(&c.Seq, &at, &c.APIID, &c.UAPIID, &c.Change, &from, &to, &eff, &c.Notice); err != nil {
			return nil, err
		}
		c.At, c.Effective, c.From, c.To, c.Version = time.Unix(0, at).UTC(), time.Unix(0, eff).UTC(), State(from), State(to), VersionOf(c.Seq)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Changes is the change log, newest first.
func (l *Lifecycle) Changes(ctx context.Context) ([]Change, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+changeCols+` FROM api_changes ORDER BY seq DESC`)
	if err != nil {
		return nil, err
	}
	return scanChanges(rows)
}

// version reads the current document version from the change log.
func (l *Lifecycle) version(ctx context.Context) (string, error) {
	var last sql.NullInt64
	if err := l.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM api_changes`).Scan(&last); err != nil {
		return "", err
	}
	if !last.Valid {
		return VersionOf(1), nil
	}
	return VersionOf(last.Int64), nil
}

// Notices are the changes an app was notified of, newest first.
func (l *Lifecycle) Notices(ctx context.Context, appID string) ([]Change, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+changeCols+` FROM api_changes WHERE seq IN
		(SELECT change_seq FROM api_notices WHERE app_id = $1) ORDER BY seq DESC`, appID)
	if err != nil {
		return nil, err
	}
	return scanChanges(rows)
}
