package store

import (
	"errors"
	"io/fs"
	"syscall"

	"modernc.org/sqlite"
)

// SQLite primary result codes that mean the storage under the database failed, not the
// statement (https://sqlite.org/rescode.html): the disk is full, read-only, or failing.
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// StorageError marks a failure of the storage itself (disk full, read-only, I/O error):
// the request was right and may be retried once the storage recovers. The HTTP layer
// answers it with 503 STORAGE_UNAVAILABLE and Retry-After, never a bare 500.
type StorageError struct {
	Kind string // "full", "read-only" or "io"
	Err  error
}

func (e *StorageError) Error() string { return "storage " + e.Kind + ": " + e.Err.Error() }

// Unwrap exposes the cause.
func (e *StorageError) Unwrap() error { return e.Err }

// StorageFailure marks the error for problem.From.
func (e *StorageError) StorageFailure() bool { return true }

// StorageKind classifies err: "full", "read-only", "io", or "" when err is not a
// failure of the storage (a constraint, a refusal, a bug).
func StorageKind(err error) string {
	if err == nil {
		return ""
	}
	var se *StorageError
	if errors.As(err, &se) {
		return se.Kind
	}
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() & 0xff {
		case sqliteFull:
			return "full"
		case sqliteReadOnly:
			return "read-only"
		case sqliteIOErr, sqliteCantOpen:
			return "io"
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "full"
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return "read-only"
	case errors.Is(err, syscall.EIO):
		return "io"
	}
	return ""
}

// Classify wraps err in a *StorageError when it is a failure of the storage; any other
// error (or nil) is returned as it is.
func Classify(err error) error {
	if k := StorageKind(err); k != "" {
		var se *StorageError
		if errors.As(err, &se) {
			return err
		}
		return &StorageError{Kind: k, Err: err}
	}
	return err
}
