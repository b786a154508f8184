// Package accounts answers the A2 account-information queries: accounts, balances,
// transaction history, limits and product holdings (JR/T 0185-2020 6.2 A2). It only
// ever returns what belongs to the customer and is inside the consent the caller holds;
// anything else is "not found", indistinguishable from an account that does not exist
// (9.3.2/1a: 对于未授权的资源禁止访问).
package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/protocol"
)

// ErrNotFound is returned for an account that does not exist, is not the customer's,
// or is outside the consent. The HTTP layer renders it as the catalogued 404.
var ErrNotFound = errors.New("account not found")

// Account is one account as a partner sees it: the number masked (7.2.2/3b).
type Account struct {
	ID             string    `json:"account_id"`
	Masked         string    `json:"account_number_masked"`
	Kind           string    `json:"kind"`
	Currency       string    `json:"currency"`
	Status         string    `json:"status"`
	OpenedAt       time.Time `json:"opened_at"`
	Number         string    `json:"-"` // full number: never rendered in clear
	CustomerID     string    `json:"-"`
	BalanceFen     int64     `json:"-"`
	DailyLimitFen  int64     `json:"-"`
	PerTxnLimitFen int64     `json:"-"`
	CreditLimitFen int64     `json:"-"`
}

// Balance of one account.
type Balance struct {
	AccountID string    `json:"account_id"`
	Currency  string    `json:"currency"`
	Available string    `json:"available"` // yuan, decimal string
	Ledger    string    `json:"ledger"`
	Credit    string    `json:"credit_limit,omitempty"`
	AsOf      time.Time `json:"as_of"`
}

// Limits of one account (6.2 A2: 账户限额).
type Limits struct {
	AccountID   string `json:"account_id"`
	Currency    string `json:"currency"`
	PerTxn      string `json:"per_transaction"`
	Daily       string `json:"daily"`
	CreditLimit string `json:"credit_limit,omitempty"`
}

// Transaction is one entry of the history (6.2 A2: 交易历史).
type Transaction struct {
	ID           string    `json:"transaction_id"`
	Time         time.Time `json:"time"`
	Amount       string    `json:"amount"` // signed decimal string; negative is a debit
	Currency     string    `json:"currency"`
	Counterparty string    `json:"counterparty"`
	Memo         string    `json:"memo"`
	BalanceAfter string    `json:"balance_after"`
}

// TxFilter selects transactions: [From, To) and a page.
type TxFilter struct {
	From, To       time.Time
	Page, PageSize int
}

// TxPage is one page of history.
type TxPage struct {
	Items    []Transaction `json:"items"`
	Page     int           `json:"page"`
	PageSize int           `json:"page_size"`
	Total    int           `json:"total"`
}

// Holding is a product the customer holds (6.2 A2: 金融产品和服务持有情况).
type Holding struct {
	ID          string    `json:"holding_id"`
	AccountID   string    `json:"account_id"`
	ProductCode string    `json:"product_code"`
	Principal   string    `json:"principal"`
	Value       string    `json:"market_value"`
	Since       time.Time `json:"since"`
}

// Store is what the service needs.
type Store interface {
	AccountsOf(ctx context.Context, customerID string) ([]Account, error)
	Transactions(ctx context.Context, accountNo string, f TxFilter) ([]Transaction, int, error)
	Holdings(ctx context.Context, customerID string) ([]Holding, error)
}

// Service answers account-information queries for one customer within a consent.
type Service struct {
	store  Store
	now    func() time.Time
	mutant mutant.Set
}

// WithMutant makes this a mutant bank's service (sandbox mode only).
func (s *Service) WithMutant(m mutant.Set) *Service { s.mutant = m; return s }

// render is the partner's view of an account: the number masked (7.2.2/3b).
func (s *Service) render(a Account) Account {
	switch {
	case s.mutant.Is(mutant.FullAccountNumbers):
		a.Masked = a.Number
	case s.mutant.Is(mutant.GroupedDigits): // every digit, in groups of four
		var b strings.Builder
		for i := 0; i < len(a.Number); i += 4 {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(a.Number[i:min(i+4, len(a.Number))])
		}
		a.Masked = b.String()
	}
	return a
}

// NewService wires a service.
func NewService(s Store, now func() time.Time) *Service { return &Service{store: s, now: now} }

// Scope is what a consent allows: the customer and the account ids it covers.
type Scope struct {
	CustomerID string
	AccountIDs []string // empty: none
}

func (sc Scope) covers(id string) bool {
	for _, a := range sc.AccountIDs {
		if a == id {
			return true
		}
	}
	return false
}

// List returns the consented accounts of the customer.
func (s *Service) List(ctx context.Context, sc Scope) ([]Account, error) {
	all, err := s.store.AccountsOf(ctx, sc.CustomerID)
	if err != nil {
		return nil, err
	}
	out := []Account{}
	for _, a := range all {
		if sc.covers(a.ID) {
			out = append(out, s.render(a))
		}
	}
	return out, nil
}

// Get returns one consented account of the customer, or ErrNotFound.
func (s *Service) Get(ctx context.Context, sc Scope, accountID string) (Account, error) {
	if by, ok := s.store.(byID); ok && s.mutant.Is(mutant.CrossUserAccounts) {
		a, err := by.AccountByID(ctx, accountID)
		return s.render(a), err
	}
	if !sc.covers(accountID) {
		return Account{}, ErrNotFound
	}
	all, err := s.store.AccountsOf(ctx, sc.CustomerID)
	if err != nil {
		return Account{}, err
	}
	for _, a := range all {
		if a.ID == accountID {
			return s.render(a), nil
		}
	}
	return Account{}, ErrNotFound
}

// Balance of a consented account.
func (s *Service) Balance(ctx context.Context, sc Scope, accountID string) (Balance, error) {
	a, err := s.Get(ctx, sc, accountID)
	if err != nil {
		return Balance{}, err
	}
	b := Balance{AccountID: a.ID, Currency: a.Currency, Ledger: money.Format(a.BalanceFen), AsOf: s.now().UTC()}
	b.Available = money.Format(a.BalanceFen)
	if a.Kind == "credit" {
		b.Available = money.Format(a.BalanceFen + a.CreditLimitFen)
		b.Credit = money.Format(a.CreditLimitFen)
	}
	return b, nil
}

// Limits of a consented account.
func (s *Service) Limits(ctx context.Context, sc Scope, accountID string) (Limits, error) {
	a, err := s.Get(ctx, sc, accountID)
	if err != nil {
		return Limits{}, err
	}
	l := Limits{AccountID: a.ID, Currency: a.Currency, PerTxn: money.Format(a.PerTxnLimitFen), Daily: money.Format(a.DailyLimitFen)}
	if a.Kind == "credit" {
		l.CreditLimit = money.Format(a.CreditLimitFen)
	}
	return l, nil
}

// Transactions of a consented account, newest first.
func (s *Service) Transactions(ctx context.Context, sc Scope, accountID string, f TxFilter) (TxPage, error) {
	a, err := s.Get(ctx, sc, accountID)
	if by, ok := s.store.(byID); ok && s.mutant.Is(mutant.TransactionsAnyAccount) {
		a, err = by.AccountByID(ctx, accountID) // 9.3.2/1a broken on this interface only
	}
	if err != nil {
		return TxPage{}, err
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	if f.PageSize <= 0 {
		f.PageSize = 20
	}
	items, total, err := s.store.Transactions(ctx, a.Number, f)
	if f.Page > 1 && err == nil && s.mutant.Is(mutant.PagingLeaksAccounts) {
		items, err = s.pageAcross(ctx, a.CustomerID, f)
	}
	if err != nil {
		return TxPage{}, err
	}
	if items == nil {
		items = []Transaction{}
	}
	return TxPage{Items: items, Page: f.Page, PageSize: f.PageSize, Total: total}, nil
}

// pageAcross is the paging-leaks-accounts mutant bank's later pages: drawn from the
// histories of every account of the customer, not only the one asked for.
func (s *Service) pageAcross(ctx context.Context, customerID string, f TxFilter) ([]Transaction, error) {
	all, err := s.store.AccountsOf(ctx, customerID)
	if err != nil {
		return nil, err
	}
	var items []Transaction
	for _, a := range all {
		g := f
		g.Page, g.PageSize = 1, 1_000_000
		txs, _, err := s.store.Transactions(ctx, a.Number, g)
		if err != nil {
			return nil, err
		}
		items = append(items, txs...)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Time.After(items[j].Time) })
	from := min((f.Page-1)*f.PageSize, len(items))
	return items[from:min(from+f.PageSize, len(items))], nil
}

// Holdings of the customer on consented accounts.
func (s *Service) Holdings(ctx context.Context, sc Scope) ([]Holding, error) {
	hs, err := s.store.Holdings(ctx, sc.CustomerID)
	if err != nil {
		return nil, err
	}
	out := []Holding{}
	for _, h := range hs {
		if sc.covers(h.AccountID) {
			out = append(out, h)
		}
	}
	return out, nil
}

// IDs derives opaque account ids: HMAC-SM3 of the number under a bank secret, so the id
// reveals nothing about the number and cannot be brute-forced from the BIN.
type IDs struct{ secret []byte }

// NewIDs uses secret (at least 16 bytes).
func NewIDs(secret []byte) IDs { return IDs{secret: secret} }

// For returns the account id of a number.
func (i IDs) For(number string) string {
	return "ac_" + hex.EncodeToString(protocol.MAC(i.secret, []byte(number)))[:24]
}

// NewSecret returns a random id secret.
func NewSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// SQLStore implements Store.
type SQLStore struct{ DB *sql.DB }

var _ Store = (*SQLStore)(nil)

// byID finds any account by id, whoever holds it: only the cross-user-accounts mutant
// bank asks (the correct service looks only among the consenting customer's accounts).
type byID interface {
	AccountByID(ctx context.Context, accountID string) (Account, error)
}

var _ byID = (*SQLStore)(nil)

// AccountByID finds an account by id (ErrNotFound if none).
func (s *SQLStore) AccountByID(ctx context.Context, accountID string) (Account, error) {
	var customer string
	err := s.DB.QueryRowContext(ctx, `SELECT customer_id FROM accounts WHERE account_id = $1`, accountID).Scan(&customer)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	all, err := s.AccountsOf(ctx, customer)
	if err != nil {
		return Account{}, err
	}
	for _, a := range all {
		if a.ID == accountID {
			return a, nil
		}
	}
	return Account{}, ErrNotFound
}

// AccountsOf lists a customer's accounts.
func (s *SQLStore) AccountsOf(ctx context.Context, customerID string) ([]Account, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT account_id, account_no, customer_id, kind, currency, status, balance_fen,
		daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at FROM accounts WHERE customer_id = $1 ORDER BY opened_at, account_no`, customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var opened int64
		if err := rows.Scan(&a.ID, &a.Number, &a.CustomerID, &a.Kind, &a.Currency, &a.Status, &a.BalanceFen,
			&a.DailyLimitFen, &a.PerTxnLimitFen, &a.CreditLimitFen, &opened); err != nil {
			return nil, err
		}
		a.OpenedAt = time.Unix(0, opened).UTC()
		a.Masked = pii.MaskCard(a.Number)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Transactions lists an account's history in [From, To), newest first.
func (s *SQLStore) Transactions(ctx context.Context, accountNo string, f TxFilter) ([]Transaction, int, error) {
	from, to := int64(0), int64(1<<62)
	if !f.From.IsZero() {
		from = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		to = f.To.UnixNano()
	}
	var total int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_transactions WHERE account_no = $1 AND at >= $2 AND at < $3`,
		accountNo, from, to).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT txn_id, at, amount_fen, currency, counterparty, memo, balance_after_fen
		FROM account_transactions WHERE account_no = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, txn_id DESC LIMIT $4 OFFSET $5`,
		accountNo, from, to, f.PageSize, (f.Page-1)*f.PageSize)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Transaction
	for rows.Next() {
		var t Transaction
		var at, amount, after int64
		if err := rows.Scan(&t.ID, &at, &amount, &t.Currency, &t.Counterparty, &t.Memo, &after); err != nil {
			return nil, 0, err
		}
		t.Time, t.Amount, t.BalanceAfter = time.Unix(0, at).UTC(), money.Format(amount), money.Format(after)
		t.Counterparty = pii.Redact(t.Counterparty)
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// Holdings lists a customer's product holdings.
func (s *SQLStore) Holdings(ctx context.Context, customerID string) ([]Holding, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT h.holding_id, a.account_id, h.product_code, h.principal_fen, h.value_fen, h.since
		FROM product_holdings h JOIN accounts a ON a.account_no = h.account_no WHERE h.customer_id = $1 ORDER BY h.since, h.holding_id`, customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Holding
	for rows.Next() {
		var h Holding
		var p, v, since int64
		if err := rows.Scan(&h.ID, &h.AccountID, &h.ProductCode, &p, &v, &since); err != nil {
			return nil, err
		}
		h.Principal, h.Value, h.Since = money.Format(p), money.Format(v), time.Unix(0, since).UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}
