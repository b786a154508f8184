package fakedata

import "time"

// Money is always an integer number of fen (分, 0.01 CNY) in an int64: never a float.

// Account kinds and statuses.
const (
	KindDebit  = "debit"
	KindCredit = "credit"

	StatusActive = "active"
	StatusFrozen = "frozen"

	CurrencyCNY = "CNY"
)

// Customer is a retail customer of the sandbox bank with login credentials.
type Customer struct {
	ID         string    `json:"id"`          // "CUST000001"
	Name       string    `json:"name"`        // Chinese name
	ResidentID string    `json:"resident_id"` // GB 11643-1999, valid
	Mobile     string    `json:"mobile"`      // 11 digits, valid
	Username   string    `json:"username"`    // "zhangsan", "lisi", "wangwu", then "user0004" ...
	Password   string    `json:"password"`    // always TestPassword
	Accounts   []Account `json:"accounts"`
}

// Account is a card account. A debit account's balance is never negative. A credit
// account starts at zero; purchases make it negative (the amount owed) down to
// -CreditLimitFen and repayments bring it back up.
type Account struct {
	Number         string        `json:"number"` // card number, Luhn-valid, on a real BIN
	CustomerID     string        `json:"customer_id"`
	Kind           string        `json:"kind"`     // KindDebit or KindCredit
	Currency       string        `json:"currency"` // CurrencyCNY
	BalanceFen     int64         `json:"balance_fen"`
	Status         string        `json:"status"` // StatusActive or StatusFrozen
	DailyLimitFen  int64         `json:"daily_limit_fen"`
	PerTxnLimitFen int64         `json:"per_txn_limit_fen"`
	CreditLimitFen int64         `json:"credit_limit_fen"` // 0 for debit accounts
	OpenedAt       time.Time     `json:"opened_at"`
	Transactions   []Transaction `json:"transactions"` // oldest first
}

// Transaction is one posting on an account. The first transaction of an account starts
// from a zero balance, and BalanceAfterFen of each is the previous one plus AmountFen;
// the last equals the account's BalanceFen.
type Transaction struct {
	ID              string    `json:"id"` // "TXN0000000001", unique in a Dataset
	AccountNumber   string    `json:"account_number"`
	Time            time.Time `json:"time"`
	AmountFen       int64     `json:"amount_fen"` // signed: negative is a debit
	Currency        string    `json:"currency"`
	Counterparty    string    `json:"counterparty"`
	Memo            string    `json:"memo"`
	BalanceAfterFen int64     `json:"balance_after_fen"`
}

// Product categories, statuses and risk levels.
const (
	CategoryDeposit = "deposit" // 存款
	CategoryWealth  = "wealth"  // 理财
	CategoryFund    = "fund"    // 基金
	CategoryLoan    = "loan"    // 贷款

	ProductOnSale  = "on_sale"
	ProductSoldOut = "sold_out"
	ProductClosed  = "closed"
)

// Product is a deposit, wealth-management, fund or loan product.
//
// RiskLevel is the investor-suitability rating R1 (lowest) to R5 (highest) of the
// product; loans are credit products, not investments, and carry "". AnnualYieldBP is
// in basis points (235 = 2.35%): the interest rate for deposits, the performance
// benchmark for wealth products, the trailing annualised return for funds, and the
// annual interest rate charged for loans. TermDays is 0 for open-ended products
// (demand-style wealth products, funds). MinAmountFen is the minimum subscription, or
// the minimum loan amount.
type Product struct {
	Code          string `json:"code"` // DEP0001, WMP0001, FND0001, LON0001
	Name          string `json:"name"`
	Category      string `json:"category"`
	Issuer        string `json:"issuer"`
	RiskLevel     string `json:"risk_level"`
	AnnualYieldBP int    `json:"annual_yield_bp"`
	TermDays      int    `json:"term_days"`
	MinAmountFen  int64  `json:"min_amount_fen"`
	Currency      string `json:"currency"`
	Status        string `json:"status"`
	Description   string `json:"description"`
}

// Dataset is everything Generate produces for one seed.
type Dataset struct {
	Seed      int64      `json:"seed"`
	Customers []Customer `json:"customers"`
	Products  []Product  `json:"products"`
}

// Customer returns the customer with the given username. The pointer refers to the
// dataset's own slice element, as do those of Account and Product.
func (d Dataset) Customer(username string) (*Customer, bool) {
	for i := range d.Customers {
		if d.Customers[i].Username == username {
			return &d.Customers[i], true
		}
	}
	return nil, false
}

// Account returns the account with the given number.
func (d Dataset) Account(number string) (*Account, bool) {
	for i := range d.Customers {
		for j := range d.Customers[i].Accounts {
			if d.Customers[i].Accounts[j].Number == number {
				return &d.Customers[i].Accounts[j], true
			}
		}
	}
	return nil, false
}

// Product returns the product with the given code.
func (d Dataset) Product(code string) (*Product, bool) {
	for i := range d.Products {
		if d.Products[i].Code == code {
			return &d.Products[i], true
		}
	}
	return nil, false
}
