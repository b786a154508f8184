package consent

import (
	"context"
	"errors"
	"testing"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// JR/T 0185-2020 9.4/1: when an app exits, its customers' consents end and its tokens
// stop working; other apps' consents are untouched.
func TestEndAllForAppEndsTheAppsConsentsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	mine := e.tokens(t, infoRequest(), "zhangsan")
	other := infoRequest()
	other.AppID, other.RedirectURI = otherApp, "https://other.example/cb"
	code := e.approved(t, other, "zhangsan", e.accounts(t, "CUST000001")[:1])
	theirs, err := e.s.ExchangeCode(ctx, otherApp, code, verifier, other.RedirectURI, certB)
	if err != nil {
		t.Fatal(err)
	}

	n, err := e.s.EndAllForApp(ctx, appID, "partner exited")
	if err != nil || n != 1 {
		t.Fatalf("EndAllForApp = %d, %v; want 1 consent ended", n, err)
	}
	if _, err := e.s.Authorize(ctx, mine.AccessToken, appID, certA, "accounts:read", ""); !errors.Is(err, problem.ConsentRevoked) {
		t.Errorf("the exited app's token: %v, want CONSENT_REVOKED", err)
	}
	if _, err := e.s.Authorize(ctx, theirs.AccessToken, otherApp, certB, "accounts:read", ""); err != nil {
		t.Errorf("another app's token stopped working: %v", err)
	}
	list, err := e.s.ListConsents(ctx, "CUST000001")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		switch {
		case c.AppID == appID && (c.Status != StatusRevoked || c.RevokedBy != ByBank || c.RevokeReason != "partner exited"):
			t.Errorf("the exited app's consent shows %s by %q (%q), want revoked by the bank", c.Status, c.RevokedBy, c.RevokeReason)
		case c.AppID == otherApp && c.Status != StatusActive:
			t.Errorf("another app's consent shows %s", c.Status)
		}
	}
	if n, err := e.s.EndAllForApp(ctx, appID, "again"); err != nil || n != 0 {
		t.Errorf("ending again = %d, %v; want 0, nil", n, err)
	}
}
