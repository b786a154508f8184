package server

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/seed"
)

// resetView is the answer of the reset and reseed test controls.
type resetView struct {
	Seed                 int64    `json:"seed"`
	Customers            int      `json:"customers"`
	Accounts             int      `json:"accounts"`
	Products             int      `json:"products"`
	CustomerBalanceTotal string   `json:"customer_balance_total"` // yuan: what the customer accounts hold, as seeded
	TestUsers            []string `json:"test_users"`
	Wiped                []string `json:"wiped"`
	Kept                 string   `json:"kept"`
}

const resetKept = "registered apps, their credentials, limits and registrations; the API lifecycle; replay-protection nonces; the bank's keys; the audit log"

// adminReset: POST /admin/v1/reset (sandbox mode only) puts the business data back to
// the seeded data set in force — the configured seed, or the last reseed's. Partners'
// apps keep working; every consent, token and login session is gone, so users consent
// again. The reset is itself audited.
func (s *Server) adminReset(c *fiber.Ctx) error {
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		var body struct{}
		if err := s.decode(c, &body); err != nil {
			return err
		}
	}
	return s.runReset(c, nil, "admin.testctl.reset")
}

// adminReseed: POST /admin/v1/reseed {"seed": N, "size": M, "products": P} (sandbox mode
// only) loads another data set: seed N with M customers (the first three are always the
// test users zhangsan, lisi and wangwu) and P products (default: as now).
func (s *Server) adminReseed(c *fiber.Ctx) error {
	var body struct {
		Seed     *int64 `json:"seed"`
		Size     *int   `json:"size"`
		Products *int   `json:"products"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	if body.Seed == nil {
		return problem.ParameterInvalid.WithDetail("seed is required (an integer)")
	}
	if body.Size == nil {
		return problem.ParameterInvalid.WithDetail("size (the number of customers, %d to %d) is required", seed.MinCustomers, seed.MaxCustomers)
	}
	spec := seed.Spec{Seed: *body.Seed, Size: fakedata.Size{Customers: *body.Size}} // products 0: as now
	if body.Products != nil {
		spec.Size.Products = *body.Products
	}
	if spec.Size.Customers < seed.MinCustomers || spec.Size.Customers > seed.MaxCustomers {
		return problem.ParameterInvalid.WithDetail("size must be from %d to %d customers (the first three are the test users)", seed.MinCustomers, seed.MaxCustomers)
	}
	if body.Products != nil && (spec.Size.Products < seed.MinProducts || spec.Size.Products > seed.MaxProducts) {
		return problem.ParameterInvalid.WithDetail("products must be from %d to %d", seed.MinProducts, seed.MaxProducts)
	}
	return s.runReset(c, &spec, "admin.testctl.reseed")
}

func (s *Server) runReset(c *fiber.Ctx, to *seed.Spec, apiID string) error {
	res, err := s.d.Reset(c.UserContext(), to)
	if errors.Is(err, seed.ErrSize) {
		return problem.ParameterInvalid.WithDetail("%s", err.Error())
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	v := resetView{Seed: res.Spec.Seed, Customers: res.Customers, Accounts: res.Accounts, Products: res.Products,
		CustomerBalanceTotal: money.Format(res.CustomerBalance), TestUsers: []string{"zhangsan", "lisi", "wangwu"},
		Wiped: seed.Wiped, Kept: resetKept}
	ex, _ := json.Marshal(map[string]any{"seed": v.Seed, "customers": v.Customers, "products": v.Products})
	s.d.Audit.Append(audit.Record{Time: s.d.Clock.Now(), RequestID: requestID(c), APIID: apiID,
		Method: strings.Clone(c.Method()), Path: strings.Clone(c.Path()), Status: 200, Result: audit.ResultSuccess, Excerpt: string(ex)})
	s.d.Log.Warn("sandbox data reset", "api", apiID, "seed", v.Seed, "customers", v.Customers, "products", v.Products)
	return writeJSON(c, 200, v)
}
