package fakedata

import (
	"sort"
	"time"
)

// Limits, in fen.
const (
	defaultPerTxnFen  = 5_000_000  // ¥50,000
	defaultDailyFen   = 20_000_000 // ¥200,000
	generousPerTxnFen = 50_000_000 // ¥500,000
	generousDailyFen  = 100_000_000
	creditPerTxnFen   = 2_000_000 // ¥20,000
	creditDailyFen    = 5_000_000 // ¥50,000
)

// accountPlan says what kind of account to build. Zero values mean "draw at random".
type accountPlan struct {
	bin        string // BIN prefix; "" for a random BIN of kind
	kind       CardKind
	status     string
	openingFen int64 // debit: first deposit
	floorFen   int64 // debit: the balance never goes below this
	ceilFen    int64 // debit: nor above this (0: no ceiling)
	perTxnFen  int64
	dailyFen   int64
	txns       int // number of transactions
}

type fixedUser struct {
	username, name string
	male           bool
	accounts       []accountPlan
}

// fixedUsers are customers 1-3; keep the package documentation in step.
var fixedUsers = []fixedUser{
	{"zhangsan", "张三", true, []accountPlan{
		{bin: "622202", kind: Debit, status: StatusActive, openingFen: 200_000_000, floorFen: 150_000_000,
			perTxnFen: generousPerTxnFen, dailyFen: generousDailyFen, txns: 16},
		{bin: "622588", kind: Debit, status: StatusActive, openingFen: 30_000_000, floorFen: 20_000_000,
			perTxnFen: generousPerTxnFen, dailyFen: generousDailyFen, txns: 10},
	}},
	{"lisi", "李四", true, []accountPlan{
		{bin: "621700", kind: Debit, status: StatusActive, openingFen: 800_000, floorFen: 300_000, ceilFen: 3_000_000,
			perTxnFen: defaultPerTxnFen, dailyFen: defaultDailyFen, txns: 12},
	}},
	{"wangwu", "王五", true, []accountPlan{
		{bin: "622848", kind: Debit, status: StatusFrozen, openingFen: 8_000_000, floorFen: 1_000_000,
			perTxnFen: defaultPerTxnFen, dailyFen: defaultDailyFen, txns: 8},
	}},
}

// randomPlans draws the accounts of an ordinary customer: one debit account and,
// for about a third of customers, a second (credit or debit) account.
func (b *builder) randomPlans() []accountPlan {
	g := b.g
	status := func() string {
		if g.intn(20) == 0 {
			return StatusFrozen
		}
		return StatusActive
	}
	plans := []accountPlan{{kind: Debit, status: status(), openingFen: b.openingAmount()}}
	if g.intn(100) < 35 {
		p := accountPlan{kind: Credit, status: status()}
		if g.intn(100) < 40 {
			p = accountPlan{kind: Debit, status: status(), openingFen: b.openingAmount()}
		}
		plans = append(plans, p)
	}
	return plans
}

// openingAmount draws a first deposit between ¥500 and ¥500,000.
func (b *builder) openingAmount() int64 {
	g := b.g
	switch r := g.intn(10); {
	case r < 4:
		return g.between(50_000, 500_000)
	case r < 8:
		return g.between(500_000, 5_000_000)
	default:
		return g.between(5_000_000, 50_000_000)
	}
}

// account builds an account from its plan, with a transaction history.
func (b *builder) account(customerID string, p accountPlan) Account {
	g := b.g
	bin, ok := LookupBIN(p.bin)
	if !ok {
		pool := binsByKind[p.kind]
		bin = pool[g.intn(len(pool))]
	}
	a := Account{
		Number:     b.unique(b.cards, func() string { return g.CardNumberOn(bin) }),
		CustomerID: customerID,
		Kind:       bin.Kind.String(),
		Currency:   CurrencyCNY,
		Status:     p.status,
	}
	// Opened 1 to 10 years before the reference time, on the second.
	span := int64(9 * 365 * 24 * 3600)
	a.OpenedAt = ReferenceTime.AddDate(-1, 0, 0).Add(-time.Duration(g.between(0, span)) * time.Second)
	n := p.txns
	if n == 0 {
		n = int(g.between(5, 16))
	}
	times := b.txnTimes(a.OpenedAt, n)
	if bin.Kind == Credit {
		a.CreditLimitFen = []int64{1_000_000, 2_000_000, 5_000_000, 10_000_000}[g.intn(4)]
		a.PerTxnLimitFen, a.DailyLimitFen = creditPerTxnFen, creditDailyFen
		a.Transactions = b.creditHistory(a.Number, a.CreditLimitFen, times)
	} else {
		a.PerTxnLimitFen, a.DailyLimitFen = p.perTxnFen, p.dailyFen
		if a.PerTxnLimitFen == 0 {
			a.PerTxnLimitFen, a.DailyLimitFen = defaultPerTxnFen, defaultDailyFen
		}
		a.Transactions = b.debitHistory(a.Number, p, times)
	}
	if k := len(a.Transactions); k > 0 {
		a.BalanceFen = a.Transactions[k-1].BalanceAfterFen
	}
	return a
}

// txnTimes returns n strictly increasing times: the first shortly after opening, the
// rest between 07:00 and 23:00 on days in the 180 days before ReferenceTime (or after
// opening, if later).
func (b *builder) txnTimes(opened time.Time, n int) []time.Time {
	g := b.g
	first := opened.Add(time.Duration(g.between(5*60, 2*3600)) * time.Second)
	from := ReferenceTime.AddDate(0, 0, -180)
	if from.Before(first) {
		from = first
	}
	// Midnight starting the first whole day after from.
	day0 := time.Date(from.Year(), from.Month(), from.Day()+1, 0, 0, 0, 0, chinaTime)
	days := int64(ReferenceTime.Sub(day0) / (24 * time.Hour))
	offsets := make([]int64, max(n-1, 0))
	for i := range offsets {
		offsets[i] = g.between(0, days-1)*24*3600 + g.between(7*3600, 23*3600-1)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	times := []time.Time{first}
	for _, o := range offsets {
		t := day0.Add(time.Duration(o) * time.Second)
		if prev := times[len(times)-1]; !t.After(prev) {
			t = prev.Add(time.Second)
		}
		times = append(times, t)
	}
	return times
}
