// Package products is the bank's catalogue of financial products, served by the A1
// "read-only" product query APIs (JR/T 0185-2020 6.2 A1: 银行金融产品和服务的详细信息的
// "只读"查询服务).
package products

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Product is one financial product. Amounts are integer fen; yields in basis points.
type Product struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	Category      string `json:"category"`
	Issuer        string `json:"issuer"`
	RiskLevel     string `json:"risk_level,omitempty"`
	AnnualYieldBP int    `json:"annual_yield_bp"`
	TermDays      int    `json:"term_days"`
	MinAmountFen  int64  `json:"-"`
	MinAmount     string `json:"min_amount"`   // yuan, decimal string, e.g. "50.00"
	AnnualYield   string `json:"annual_yield"` // percent, decimal string, e.g. "2.35"
	Currency      string `json:"currency"`
	Status        string `json:"status"`
	Description   string `json:"description,omitempty"`
}

// Filter selects products. Zero values mean "any".
type Filter struct {
	Category, RiskLevel, Currency, Status string
	Page, PageSize                        int
}

// Page is one page of results.
type Page struct {
	Items    []Product `json:"items"`
	Page     int       `json:"page"`
	PageSize int       `json:"page_size"`
	Total    int       `json:"total"`
}

// Store is what the service needs from storage.
type Store interface {
	List(ctx context.Context, f Filter) ([]Product, int, error)
	Get(ctx context.Context, code string) (Product, bool, error)
}

// Service answers product queries.
type Service struct{ store Store }

// NewService wires a service.
func NewService(s Store) *Service { return &Service{store: s} }

// DefaultPageSize applies when the caller gives none.
const DefaultPageSize = 20

// List returns one page of products matching f, ordered by code.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if f.Page <= 0 {
		f.Page = 1
	}
	if f.PageSize <= 0 {
		f.PageSize = DefaultPageSize
	}
	items, total, err := s.store.List(ctx, f)
	if err != nil {
		return Page{}, problem.Internal.Wrap(err)
	}
	if items == nil {
		items = []Product{}
	}
	return Page{Items: items, Page: f.Page, PageSize: f.PageSize, Total: total}, nil
}

// Get returns one product.
func (s *Service) Get(ctx context.Context, code string) (Product, error) {
	p, ok, err := s.store.Get(ctx, code)
	if err != nil {
		return Product{}, problem.Internal.Wrap(err)
	}
	if !ok {
		return Product{}, problem.ProductNotFound.WithDetail("no product %s", code)
	}
	return p, nil
}

// Rate is the best published annual rate for one deposit term.
type Rate struct {
	TermDays      int    `json:"term_days"`
	AnnualYieldBP int    `json:"annual_yield_bp"`
	AnnualYield   string `json:"annual_yield"`
	Currency      string `json:"currency"`
	Products      int    `json:"products"`
}

// DepositRates lists, per term, the best rate among deposit products on sale.
func (s *Service) DepositRates(ctx context.Context, currency string) ([]Rate, error) {
	if currency == "" {
		currency = "CNY"
	}
	var out []Rate
	byTerm := map[int]int{}
	for page := 1; ; page++ {
		items, total, err := s.store.List(ctx, Filter{Category: "deposit", Status: "on_sale", Currency: currency, Page: page, PageSize: 100})
		if err != nil {
			return nil, problem.Internal.Wrap(err)
		}
		for _, p := range items {
			i, ok := byTerm[p.TermDays]
			if !ok {
				out = append(out, Rate{TermDays: p.TermDays, Currency: p.Currency})
				i = len(out) - 1
				byTerm[p.TermDays] = i
			}
			out[i].Products++
			if p.AnnualYieldBP > out[i].AnnualYieldBP {
				out[i].AnnualYieldBP, out[i].AnnualYield = p.AnnualYieldBP, p.AnnualYield
			}
		}
		if page*100 >= total {
			break
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].TermDays < out[b].TermDays })
	if out == nil {
		out = []Rate{}
	}
	return out, nil
}

// SQLStore implements Store.
type SQLStore struct{ DB *sql.DB }

var _ Store = (*SQLStore)(nil)

const cols = `code, name, category, issuer, risk_level, annual_yield_bp, term_days, min_amount_fen, currency, status, description`

func scan(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	err := row.Scan(&p.Code, &p.Name, &p.Category, &p.Issuer, &p.RiskLevel, &p.AnnualYieldBP, &p.TermDays,
		&p.MinAmountFen, &p.Currency, &p.Status, &p.Description)
	p.MinAmount = money.Format(p.MinAmountFen)
	p.AnnualYield = money.Format(int64(p.AnnualYieldBP))
	return p, err
}

// List queries with bound parameters only.
func (s *SQLStore) List(ctx context.Context, f Filter) ([]Product, int, error) {
	var where []string
	var args []any
	add := func(col, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, fmt.Sprintf("%s = $%d", col, len(args)))
		}
	}
	add("category", f.Category)
	add("risk_level", f.RiskLevel)
	add("currency", f.Currency)
	add("status", f.Status)
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM products`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	args = append(args, f.PageSize, (f.Page-1)*f.PageSize)
	rows, err := s.DB.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM products%s ORDER BY code LIMIT $%d OFFSET $%d`, cols, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// Get loads one product.
func (s *SQLStore) Get(ctx context.Context, code string) (Product, bool, error) {
	p, err := scan(s.DB.QueryRowContext(ctx, `SELECT `+cols+` FROM products WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, false, nil
	}
	return p, err == nil, err
}

// Insert adds products (seeding).
func (s *SQLStore) Insert(ctx context.Context, tx *sql.Tx, ps []Product) error {
	for _, p := range ps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO products (`+cols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			p.Code, p.Name, p.Category, p.Issuer, p.RiskLevel, p.AnnualYieldBP, p.TermDays, p.MinAmountFen, p.Currency, p.Status, p.Description); err != nil {
			return err
		}
	}
	return nil
}
