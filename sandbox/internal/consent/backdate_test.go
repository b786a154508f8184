package consent

import (
	"context"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Backdating one app is time passing for that app alone: its token and consent expire
// against the unchanged clock, another app's do not.
func TestBackdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		by        time.Duration
		want      *problem.Error
		validDays int
	}{
		{"ok/four minutes pass: the token still works", 4 * time.Minute, nil, 90},
		{"401 TOKEN_EXPIRED/the token's five minutes pass", 5 * time.Minute, problem.TokenExpired, 90},
		{"401 CONSENT_EXPIRED/the consent's one day passes", 24*time.Hour + time.Second, problem.ConsentExpired, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t)
			r := infoRequest()
			r.ValidDays = tt.validDays
			set := e.tokens(t, r, "lisi")
			if _, err := e.s.Backdate(ctx, appID, tt.by); err != nil {
				t.Fatal(err)
			}
			_, err := e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
			expect(t, err, tt.want)
		})
	}
}

func TestBackdateLeavesOtherAppsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	set := e.tokens(t, infoRequest(), "lisi")
	n, err := e.s.Backdate(ctx, otherApp, time.Hour)
	if err != nil || n != 0 {
		t.Fatalf("backdating another app: %d rows, %v", n, err)
	}
	_, err = e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
	expect(t, err, nil)
}

func TestBackdateRefusesANonPositiveDuration(t *testing.T) {
	t.Parallel()
	_, err := newEnv(t).s.Backdate(context.Background(), appID, 0)
	expect(t, err, problem.ParameterInvalid)
}
