// Package fakedata generates the sandbox bank's deterministic test data: customers with
// valid Chinese resident IDs, mobile numbers and names, card accounts on real mainland
// BINs with consistent transaction histories, and deposit, wealth, fund and loan
// products.
//
// Nothing China-specific is built into gofakeit, which supplies only the random stream:
// the GB 11643-1999 resident ID check character, Luhn card numbers on real BINs,
// carrier mobile segments and Chinese names are implemented here, with their validators.
//
// # Determinism
//
// Generate(seed, size) is a pure function: the same seed and size give the same Dataset
// (reflect.DeepEqual, and byte-identical JSON), independent of the clock, since dates
// are relative to the fixed ReferenceTime (2026-01-01T00:00:00+08:00). Seed 0 is mapped
// to a fixed nonzero seed (gofakeit.New(0) would be random). Customers and products use
// separate streams, and a smaller Size yields a prefix of a larger one, so adding
// products never changes customers and vice versa.
//
// # Test users
//
// The first three customers are fixed; every customer's password is TestPassword
// ("Sandbox#2020"). Other customers are user0004, user0005, ... with random data.
// Card numbers and IDs depend on the seed: look them up with
// Generate(seed, size).Customer("zhangsan") (or the sandbox's seed-data API).
// Amounts are guaranteed bounds that hold for every seed.
//
//	ID          username  name  account (BIN, bank)         status  balance                per txn / daily limit
//	CUST000001  zhangsan  张三   debit 622202 (ICBC), 19 d.  active  ≥ ¥1,500,000.00        ¥500,000 / ¥1,000,000
//	                             debit 622588 (CMB),  16 d.  active  ≥ ¥200,000.00          ¥500,000 / ¥1,000,000
//	CUST000002  lisi      李四   debit 621700 (CCB),  19 d.  active  ¥3,000.00–¥30,000.00   ¥50,000 / ¥200,000
//	CUST000003  wangwu    王五   debit 622848 (ABC),  19 d.  frozen  ≥ ¥10,000.00           ¥50,000 / ¥200,000
//
// So: zhangsan can exceed his per-transaction limit (¥500,000.01) and, within a day,
// his daily limit, with the funds to cover it; lisi has the default limits but a small
// balance, so ¥40,000 is within limits and fails for insufficient funds; wangwu has
// funds and limits but a frozen account. Ordinary customers have one debit account and
// about a third have a second, credit or debit; about one account in twenty is frozen.
//
// # Money and accounts
//
// Money is always int64 fen. A debit account's balance is never negative. A credit
// account's balance is zero or negative (the amount owed), never below -CreditLimitFen.
// Each account's Transactions start from a zero balance with the opening posting, are
// in time order, and BalanceAfterFen accumulates AmountFen up to BalanceFen.
package fakedata
