package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Tampering kinds of a drill (JR/T 0185-2020 12.3/3: 确保日志不被篡改、删除、覆盖).
const (
	TamperAlter     = "alter"     // change a field of the record, leaving its stored hash
	TamperDelete    = "delete"    // remove the record
	TamperOverwrite = "overwrite" // replace the record's content and recompute its hash, as an attacker who knows the scheme would
)

// ErrNoSuchRecord is returned by Drill when the record to tamper with is not in the log.
var ErrNoSuchRecord = errors.New("audit: no record with that seq")

// Snapshot copies the committed log into a new file at dst (which must not exist),
// consistent even while the writer appends. Records still queued are flushed first.
func (l *Log) Snapshot(ctx context.Context, dst string) error {
	if err := l.Flush(); err != nil {
		return err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	_, err := l.db.ExecContext(ctx, `VACUUM INTO $1`, dst)
	return err
}

// Drill shows that tampering is detected without touching the live log: it copies the
// log to a temporary folder, tampers with record seq in the copy the way kind says,
// verifies the copy and returns the report, which names the record.
func (l *Log) Drill(ctx context.Context, seq int64, kind string, lookup VerifierLookup) (Report, error) {
	if kind != TamperAlter && kind != TamperDelete && kind != TamperOverwrite {
		return Report{}, fmt.Errorf("audit: unknown tampering %q", kind)
	}
	dir, err := os.MkdirTemp("", "audit-drill-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(dir)
	copyPath := filepath.Join(dir, "audit.db")
	// Sign the head first, as the writer does at every checkpoint: without a signed
	// checkpoint after it, deleting or rewriting the newest record is indistinguishable
	// from it never having been written.
	if err := l.Checkpoint(); err != nil {
		return Report{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if err := l.Snapshot(ctx, copyPath); err != nil {
		return Report{}, fmt.Errorf("audit: snapshot: %w", err)
	}
	if err := tamper(ctx, copyPath, seq, kind); err != nil {
		return Report{}, err
	}
	return Verify(ctx, copyPath, lookup)
}

// tamper edits record seq of the file at path.
func tamper(ctx context.Context, path string, seq int64, kind string) error {
	db, err := sql.Open("sqlite", writerDSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT `+recordColumns+` FROM records WHERE seq = $1`, seq)
	if err != nil {
		return err
	}
	var st storedRecord
	found := rows.Next()
	if found {
		err = scanRecord(rows, &st)
	}
	_ = rows.Close()
	if err != nil {
		return err
	}
	if !found {
		return ErrNoSuchRecord
	}
	switch kind {
	case TamperAlter:
		_, err = db.ExecContext(ctx, `UPDATE records SET result = CASE result WHEN 'success' THEN 'failure' ELSE 'success' END WHERE seq = $1`, seq)
	case TamperDelete:
		_, err = db.ExecContext(ctx, `DELETE FROM records WHERE seq = $1`, seq)
	case TamperOverwrite:
		r := st.rec
		r.Path, r.Status, r.Result, r.Code = "/overwritten", 200, ResultSuccess, ""
		h := HashRecord(seq, r, st.prev)
		_, err = db.ExecContext(ctx, `UPDATE records SET path = $1, status = $2, result = $3, code = $4, hash = $5 WHERE seq = $6`,
			r.Path, r.Status, r.Result, r.Code, encodeHash(h), seq)
	}
	return err
}
