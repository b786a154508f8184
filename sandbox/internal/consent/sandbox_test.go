package consent

import (
	"context"
	"testing"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

func TestExpireAccessTokensLeavesRefreshWorking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	set := e.tokens(t, infoRequest(), "lisi")
	n, err := e.s.ExpireAccessTokens(ctx, appID)
	if err != nil || n != 1 {
		t.Fatalf("ExpireAccessTokens = %d, %v; want 1", n, err)
	}
	_, err = e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
	expect(t, err, problem.TokenExpired)
	fresh, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA)
	if err != nil {
		t.Fatalf("refresh after expiry: %v", err)
	}
	_, err = e.s.Authorize(ctx, fresh.AccessToken, appID, certA, "accounts:read", "")
	expect(t, err, nil)
	if n, err := e.s.ExpireAccessTokens(ctx, otherApp); err != nil || n != 0 {
		t.Fatalf("another app: %d, %v", n, err)
	}
}

func TestWithdrawAllForAppIsTheUsersRevocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	set := e.tokens(t, infoRequest(), "zhangsan")
	n, err := e.s.WithdrawAllForApp(ctx, appID)
	if err != nil || n != 1 {
		t.Fatalf("WithdrawAllForApp = %d, %v; want 1", n, err)
	}
	_, err = e.s.Authorize(ctx, set.AccessToken, appID, certA, "accounts:read", "")
	expect(t, err, problem.ConsentRevoked)
	list, err := e.s.ListConsents(ctx, "CUST000001")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.AppID == appID && (c.Status != StatusRevoked || c.RevokedBy != ByUser) {
			t.Errorf("consent shows %s by %q, want revoked by the user", c.Status, c.RevokedBy)
		}
	}
}
