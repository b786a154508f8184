package sessions

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// 9.3.1/3: a backdated session has been idle that long; the unchanged idle check ends it.
func TestBackdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		by   time.Duration
		want *problem.Error
	}{
		{"ok/idle four minutes", 4 * time.Minute, nil},
		{"401 SESSION_EXPIRED/idle five minutes", 5 * time.Minute, problem.SessionExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t)
			s := e.login(t, "zhangsan")
			other := e.login(t, "lisi")
			if err := e.s.Backdate(ctx, s.Token, tt.by); err != nil {
				t.Fatal(err)
			}
			_, err := e.s.Touch(ctx, s.Token)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Touch after %s idle: %v, want %v", tt.by, err, tt.want)
			}
			if _, err := e.s.Touch(ctx, other.Token); err != nil {
				t.Fatalf("another session was affected: %v", err)
			}
		})
	}
}

func TestBackdateUnknownSessionIsInvalid(t *testing.T) {
	t.Parallel()
	err := newEnv(t).s.Backdate(context.Background(), TokenPrefix+"nope", time.Minute)
	if !errors.Is(err, problem.SessionInvalid) {
		t.Fatalf("got %v", err)
	}
}
