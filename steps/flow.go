package steps

import (
	"context"
	"fmt"
	"net/url"

	"github.com/cucumber/godog"
)

// The concurrent-call limit (JR/T 0185-2020 10.1.2 1) a): 最大允许商业银行应用程序接口调
// 用并发数): calls held in flight by the sandbox's slow-answer fault (POST
// /admin/v1/faults, kind "slow", scoped to the App_ID), so that the verdict does not
// depend on timing — of n calls all in flight at once under a limit of n−1, exactly n−1
// are admitted and one is refused, whatever order the bank sees them in.

func init() { registrars = append(registrars, registerFlow) }

func registerFlow(sc *godog.ScenarioContext) {
	sc.Step(`^of (\d+) calls the app holds in flight at once under a limit of (\d+) concurrent calls, exactly (\d+) are admitted and the rest refused 429 "CONCURRENCY_LIMITED"$`, concurrentCalls)
	sc.Step(`^once they have finished, the app's next call is admitted under a limit of 1 concurrent call$`, slotsFreed)
}

// inFlightMS is how long each call is held at the bank: far longer than the time the
// harness takes to send all of them.
const inFlightMS = 1500

func concurrentCalls(ctx context.Context, n, limit, want int) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	if n < 2 || n > 16 || limit < 1 || limit >= n || want != limit {
		return fmt.Errorf("send 2 to 16 calls over a limit below their number, and expect the limit admitted (got %d, %d, %d)", n, limit, want)
	}
	id := url.PathEscape(a.ID)
	if _, err := w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+id+"/limits",
		map[string]any{"rate_rps": 1000, "rate_burst": 1000, "max_concurrent": limit}, 200); err != nil {
		return err
	}
	if _, err := w.Env.adminOK(ctx, "POST", "/admin/v1/faults",
		map[string]any{"kind": "slow", "app_id": a.ID, "delay_ms": inFlightMS, "duration_seconds": 60}, 201); err != nil {
		return err
	}
	xs, err := together(n, func(int) (*Exchange, error) {
		return w.Env.Do(ctx, Call{App: a, Method: "GET", URI: "/a1/v1/products"}, nil)
	})
	if err != nil {
		return err
	}
	if _, err := w.Env.adminOK(ctx, "DELETE", "/admin/v1/faults?app_id="+url.QueryEscape(a.ID), nil, 200); err != nil {
		return err
	}
	admitted, refused := 0, 0
	for _, x := range xs {
		w.record(x)
		switch {
		case x.Status == 200:
			admitted++
		case refusedWith(x, 429, "CONCURRENCY_LIMITED") == nil:
			refused++
			if err := w.Env.VerifyAnswer(ctx, nil, x); err != nil {
				return fmt.Errorf("the refusal %s: %w", x.Evidence(), err)
			}
		default:
			return fmt.Errorf("a call among %d in flight under a limit of %d: want 200 or 429 CONCURRENCY_LIMITED, got %s", n, limit, x.Evidence())
		}
	}
	if admitted != limit || refused != n-limit {
		return fmt.Errorf("%d calls in flight at once under a limit of %d concurrent calls: %d admitted and %d refused, want %d and %d",
			n, limit, admitted, refused, limit, n-limit)
	}
	return nil
}

// slotsFreed: admitted and refused calls alike gave their concurrency slots back.
func slotsFreed(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	if _, err := w.Env.adminOK(ctx, "PUT", "/admin/v1/apps/"+url.PathEscape(a.ID)+"/limits",
		map[string]any{"rate_rps": 1000, "rate_burst": 1000, "max_concurrent": 1}, 200); err != nil {
		return err
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "GET", URI: "/a1/v1/products"}, nil)
	if err != nil {
		return err
	}
	w.record(x)
	if x.Status != 200 {
		return fmt.Errorf("the first call after the concurrent ones finished, under a limit of 1 call in flight: want 200, got %s", x.Evidence())
	}
	return nil
}
