package server

import (
	"context"
	"strconv"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/products"
)

// listProducts serves a1.products.list (JR/T 0185-2020 6.2 A1). Parameters were
// validated by the gateway against the catalogue.
func (s *Server) listProducts(ctx context.Context, in Input) (int, any, error) {
	f := products.Filter{Category: in.Query["category"], RiskLevel: in.Query["risk_level"],
		Currency: in.Query["currency"], Status: in.Query["status"]}
	f.Page, _ = strconv.Atoi(in.Query["page"])
	f.PageSize, _ = strconv.Atoi(in.Query["page_size"])
	page, err := s.d.Products.List(ctx, f)
	return 200, page, err
}

// getProduct serves a1.products.get.
func (s *Server) getProduct(ctx context.Context, in Input) (int, any, error) {
	p, err := s.d.Products.Get(ctx, in.PathParams["code"])
	return 200, p, err
}

// depositRates serves a1.rates.deposit.
func (s *Server) depositRates(ctx context.Context, in Input) (int, any, error) {
	rates, err := s.d.Products.DepositRates(ctx, in.Query["currency"])
	out := map[string]any{"rates": rates}
	if s.d.Mutant.Is(mutant.A1Personalised) && in.Admission != nil {
		out["recommended_for"] = in.Admission.App.ID // breaks 6.2/A1: not tied to a partner or user
	}
	return 200, out, err
}
