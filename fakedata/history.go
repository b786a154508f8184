package fakedata

import "time"

// Counterparties and memos of generated transactions. Merchants and utilities are
// ordinary payees of a mainland retail account; employers are invented.
var (
	merchants = []string{
		"美团外卖", "京东商城", "天猫超市", "滴滴出行", "星巴克", "肯德基", "盒马鲜生",
		"中国石化加油站", "中国铁路12306", "携程旅行", "永辉超市", "屈臣氏", "麦当劳", "拼多多",
	}
	utilities = []string{"国家电网", "自来水公司", "燃气公司", "中国移动话费", "物业管理费"}
	employers = []string{
		"星河科技有限公司", "恒通物流有限公司", "瑞丰贸易有限公司", "海川建设集团有限公司",
		"博远教育咨询有限公司", "金桥制造有限公司", "青松医疗器械有限公司", "云帆软件有限公司",
	}
)

const (
	memoOpening     = "开户存入"
	memoPurchase    = "消费"
	memoTransferOut = "转账支出"
	memoTransferIn  = "转账收入"
	memoSalary      = "工资"
	memoUtility     = "缴费"
	memoInterest    = "结息"
	memoRepayment   = "还款"

	counterpartyCash = "现金存入"
	counterpartyBank = "本行"
)

// posting is a proposed transaction before its balance is known.
type posting struct {
	amount       int64
	counterparty string
	memo         string
}

func (b *builder) pick(list []string) string { return list[b.g.intn(len(list))] }

// debitOut proposes money leaving a debit account.
func (b *builder) debitOut() posting {
	g := b.g
	switch r := g.intn(70); {
	case r < 45:
		return posting{-g.between(500, 300_000), b.pick(merchants), memoPurchase}
	case r < 60:
		return posting{-g.between(10_000, 2_000_000), g.ChineseName(), memoTransferOut}
	default:
		return posting{-g.between(5_000, 80_000), b.pick(utilities), memoUtility}
	}
}

// debitIn proposes money arriving on a debit account.
func (b *builder) debitIn() posting {
	g := b.g
	switch r := g.intn(30); {
	case r < 15:
		return posting{g.between(300_000, 3_000_000), b.pick(employers), memoSalary}
	case r < 27:
		return posting{g.between(10_000, 2_000_000), g.ChineseName(), memoTransferIn}
	default:
		return posting{g.between(100, 20_000), counterpartyBank, memoInterest}
	}
}

// debitHistory builds a debit account's history: an opening deposit, then postings
// that keep the balance within [p.floorFen, p.ceilFen] (no ceiling when 0). A posting
// that would cross a bound is replaced by one in the other direction, clamped to fit;
// one that cannot fit at all is dropped.
func (b *builder) debitHistory(number string, p accountPlan, times []time.Time) []Transaction {
	g := b.g
	opening := p.openingFen
	if opening <= 0 {
		opening = b.openingAmount()
	}
	if opening < p.floorFen {
		opening = p.floorFen
	}
	if p.ceilFen > 0 && opening > p.ceilFen {
		opening = p.ceilFen
	}
	txns := []Transaction{}
	bal := int64(0)
	add := func(t time.Time, ps posting) {
		bal += ps.amount
		txns = append(txns, Transaction{
			ID: b.txnID(), AccountNumber: number, Time: t, AmountFen: ps.amount, Currency: CurrencyCNY,
			Counterparty: ps.counterparty, Memo: ps.memo, BalanceAfterFen: bal,
		})
	}
	add(times[0], posting{opening, counterpartyCash, memoOpening})
	for _, t := range times[1:] {
		lo := p.floorFen - bal // the amount may not be below lo
		hi := int64(-1)        // nor above hi (-1: unbounded)
		if p.ceilFen > 0 {
			hi = p.ceilFen - bal
		}
		var ps posting
		if g.intn(100) < 60 {
			ps = b.debitOut()
		} else {
			ps = b.debitIn()
		}
		switch {
		case ps.amount < lo:
			ps = b.debitIn()
			ps.amount = clampHi(ps.amount, hi)
		case hi >= 0 && ps.amount > hi:
			ps = b.debitOut()
			ps.amount = max(ps.amount, lo)
		}
		if ps.amount == 0 || ps.amount < lo || (hi >= 0 && ps.amount > hi) {
			continue
		}
		add(t, ps)
	}
	return txns
}

// clampHi caps a positive amount at hi; hi < 0 means no cap.
func clampHi(amount, hi int64) int64 {
	if hi >= 0 && amount > hi {
		return hi
	}
	return amount
}

// creditHistory builds a credit card's history from a zero balance: purchases that keep
// the amount owed within the credit limit, and repayments of part or all of it.
func (b *builder) creditHistory(number string, limit int64, times []time.Time) []Transaction {
	g := b.g
	txns := []Transaction{}
	bal := int64(0) // negative: owed
	for i, t := range times {
		var ps posting
		if i > 0 && bal < 0 && g.intn(100) < 25 {
			owed := -bal
			amt := owed
			if g.intn(2) == 0 {
				amt = g.between(1, owed)
			}
			ps = posting{amt, counterpartyBank, memoRepayment}
		} else {
			amt := g.between(500, 500_000)
			if amt > limit+bal { // would exceed the credit limit
				amt = limit + bal
			}
			if amt <= 0 {
				continue
			}
			ps = posting{-amt, b.pick(merchants), memoPurchase}
		}
		bal += ps.amount
		txns = append(txns, Transaction{
			ID: b.txnID(), AccountNumber: number, Time: t, AmountFen: ps.amount, Currency: CurrencyCNY,
			Counterparty: ps.counterparty, Memo: ps.memo, BalanceAfterFen: bal,
		})
	}
	return txns
}
