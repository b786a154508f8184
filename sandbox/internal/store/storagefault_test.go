package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestStorageKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"full/ENOSPC", fmt.Errorf("write: %w", syscall.ENOSPC), "full"},
		{"read-only/EROFS", &fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, "read-only"},
		{"io/EIO", syscall.EIO, "io"},
		{"full/already classified", &StorageError{Kind: "full", Err: errors.New("x")}, "full"},
		{"none/a constraint", errors.New("UNIQUE constraint failed"), ""},
		{"none/nil", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := StorageKind(tc.err); got != tc.want {
				t.Errorf("StorageKind = %q, want %q", got, tc.want)
			}
			if got := Classify(tc.err); (tc.want != "") != errors.As(got, new(*StorageError)) {
				t.Errorf("Classify = %v", got)
			}
		})
	}
}
