package problem

import (
	"errors"
	"fmt"
	"testing"
)

type diskFull struct{}

func (diskFull) Error() string        { return "disk full" }
func (diskFull) StorageFailure() bool { return true }

func TestFromStorageFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"503/a storage failure", fmt.Errorf("commit: %w", diskFull{}), StorageUnavailable.Code},
		{"503/a storage failure under Internal", Internal.Wrap(diskFull{}), StorageUnavailable.Code},
		{"catalogued refusal stays/a refusal wrapping a storage failure", InsufficientFunds.Wrap(diskFull{}), InsufficientFunds.Code},
		{"500/anything else", errors.New("boom"), Internal.Code},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := From(tc.err)
			if got.Code != tc.want {
				t.Fatalf("From = %s, want %s", got.Code, tc.want)
			}
			if got.Code == StorageUnavailable.Code && (got.Status != 503 || got.RetryAfter != StorageRetryAfter) {
				t.Errorf("status %d, Retry-After %d", got.Status, got.RetryAfter)
			}
		})
	}
}
