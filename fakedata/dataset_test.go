package fakedata

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// goldenSeed and goldenHash pin the data itself: partners write tests against the seeded
// data, so a change in what a seed produces is a breaking change. If you change the
// generator on purpose, update the hash and say so in the change log.
const (
	goldenSeed = 2020
	goldenHash = "f5dcbafcbe763f470aad73d9d648ad28ec22dce279a81be7e18bab7f9f1d2f09"
)

func datasetHash(t *testing.T, ds Dataset) string {
	t.Helper()
	b, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		seed int64
	}{
		{"same data/seed 2020", 2020},
		{"same data/seed 0", 0},
		{"same data/seed -1", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := Generate(tc.seed, DefaultSize), Generate(tc.seed, DefaultSize)
			if !reflect.DeepEqual(a, b) {
				t.Fatal("same seed, different datasets")
			}
			if datasetHash(t, a) != datasetHash(t, b) {
				t.Fatal("same seed, different JSON")
			}
		})
	}
}

func TestGenerateGoldenHash(t *testing.T) {
	t.Parallel()
	if got := datasetHash(t, Generate(goldenSeed, DefaultSize)); got != goldenHash {
		t.Fatalf("Generate(%d, DefaultSize) changed: JSON sha256 %s, want %s", goldenSeed, got, goldenHash)
	}
}

func TestGenerateDifferentSeedsDiffer(t *testing.T) {
	t.Parallel()
	a, b := Generate(1, DefaultSize), Generate(2, DefaultSize)
	if datasetHash(t, a) == datasetHash(t, b) {
		t.Fatal("seeds 1 and 2 give the same dataset")
	}
	if a.Customers[0].Accounts[0].Number == b.Customers[0].Accounts[0].Number {
		t.Fatal("seeds 1 and 2 give zhangsan the same card number")
	}
}

func TestGenerateSmallerSizeIsPrefix(t *testing.T) {
	t.Parallel()
	big := Generate(9, DefaultSize)
	small := Generate(9, Size{Customers: 10, Products: 7})
	if !reflect.DeepEqual(small.Customers, big.Customers[:10]) {
		t.Fatal("customers of a smaller size are not a prefix")
	}
	if !reflect.DeepEqual(small.Products, big.Products[:7]) {
		t.Fatal("products of a smaller size are not a prefix")
	}
	onlyProducts := Generate(9, Size{Products: 40})
	if !reflect.DeepEqual(onlyProducts.Products, big.Products) {
		t.Fatal("products depend on the number of customers")
	}
}

func TestGenerateEmptyAndNegativeSizes(t *testing.T) {
	t.Parallel()
	for name, size := range map[string]Size{"empty/zero": {}, "empty/negative": {Customers: -5, Products: -1}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ds := Generate(1, size)
			if len(ds.Customers) != 0 || len(ds.Products) != 0 || ds.Customers == nil || ds.Products == nil {
				t.Fatalf("got %d customers, %d products (nil slices encode as null)", len(ds.Customers), len(ds.Products))
			}
		})
	}
	if ds := Generate(1, Size{Customers: 2}); ds.Customers[1].Username != "lisi" {
		t.Fatalf("a size below three keeps the first fixed users")
	}
}

func TestFixedTestUsers(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{0, 1, 2020, 987654321} {
		ds := Generate(seed, DefaultSize)
		zhang, ok1 := ds.Customer("zhangsan")
		li, ok2 := ds.Customer("lisi")
		wang, ok3 := ds.Customer("wangwu")
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("seed %d: fixed users missing", seed)
		}
		if zhang.ID != "CUST000001" || li.ID != "CUST000002" || wang.ID != "CUST000003" {
			t.Fatalf("seed %d: fixed users are not the first three customers", seed)
		}
		if zhang.Name != "张三" || li.Name != "李四" || wang.Name != "王五" {
			t.Fatalf("seed %d: names %s %s %s", seed, zhang.Name, li.Name, wang.Name)
		}
		// Guarantees documented in doc.go.
		checks := []struct {
			name        string
			acct        Account
			bin, status string
			minFen      int64
			maxFen      int64 // 0: unbounded
			perTxnFen   int64
			dailyFen    int64
		}{
			{"zhangsan/1", zhang.Accounts[0], "622202", StatusActive, 150_000_000, 0, 50_000_000, 100_000_000},
			{"zhangsan/2", zhang.Accounts[1], "622588", StatusActive, 20_000_000, 0, 50_000_000, 100_000_000},
			{"lisi/1", li.Accounts[0], "621700", StatusActive, 300_000, 3_000_000, 5_000_000, 20_000_000},
			{"wangwu/1", wang.Accounts[0], "622848", StatusFrozen, 1_000_000, 0, 5_000_000, 20_000_000},
		}
		if len(zhang.Accounts) != 2 || len(li.Accounts) != 1 || len(wang.Accounts) != 1 {
			t.Fatalf("seed %d: account counts %d %d %d", seed, len(zhang.Accounts), len(li.Accounts), len(wang.Accounts))
		}
		for _, c := range checks {
			a := c.acct
			if a.Number[:6] != c.bin || a.Status != c.status || a.Kind != KindDebit {
				t.Errorf("seed %d %s: %s %s %s", seed, c.name, a.Number[:6], a.Status, a.Kind)
			}
			if a.BalanceFen < c.minFen || (c.maxFen > 0 && a.BalanceFen > c.maxFen) {
				t.Errorf("seed %d %s: balance %d outside [%d, %d]", seed, c.name, a.BalanceFen, c.minFen, c.maxFen)
			}
			if a.PerTxnLimitFen != c.perTxnFen || a.DailyLimitFen != c.dailyFen {
				t.Errorf("seed %d %s: limits %d/%d", seed, c.name, a.PerTxnLimitFen, a.DailyLimitFen)
			}
		}
		// The documented limit scenarios work: zhangsan can exceed his daily limit with
		// three per-transaction-limit-sized payments from his first account.
		if 3*(zhang.Accounts[0].PerTxnLimitFen-10_000_000) <= zhang.Accounts[0].DailyLimitFen ||
			3*(zhang.Accounts[0].PerTxnLimitFen-10_000_000) > zhang.Accounts[0].BalanceFen {
			t.Errorf("seed %d: three ¥400,000 payments do not hit zhangsan's daily limit within his balance", seed)
		}
	}
}

func TestCustomersValid(t *testing.T) {
	t.Parallel()
	ds := Generate(2020, Size{Customers: 300, Products: 0})
	usernames, ids, mobiles, cards, txnIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var credit, frozen int
	for i, c := range ds.Customers {
		if want := fmt.Sprintf("CUST%06d", i+1); c.ID != want {
			t.Errorf("customer %d ID %s, want %s", i, c.ID, want)
		}
		if want := fmt.Sprintf("user%04d", i+1); i >= 3 && c.Username != want {
			t.Errorf("customer %d username %s, want %s", i, c.Username, want)
		}
		if c.Password != TestPassword {
			t.Errorf("%s: password %q", c.Username, c.Password)
		}
		if err := ValidateResidentIDAt(c.ResidentID, ReferenceTime); err != nil {
			t.Errorf("%s: resident ID: %v", c.Username, err)
		}
		if err := ValidateMobile(c.Mobile); err != nil {
			t.Errorf("%s: mobile: %v", c.Username, err)
		}
		for _, u := range []struct {
			seen  map[string]bool
			value string
		}{{usernames, c.Username}, {ids, c.ResidentID}, {mobiles, c.Mobile}} {
			if u.seen[u.value] {
				t.Errorf("%s: duplicate value %s", c.Username, u.value)
			}
			u.seen[u.value] = true
		}
		if len(c.Accounts) == 0 {
			t.Errorf("%s: no accounts", c.Username)
		}
		for _, a := range c.Accounts {
			if cards[a.Number] {
				t.Errorf("duplicate card number %s", a.Number)
			}
			cards[a.Number] = true
			checkAccount(t, c, a)
			for _, tx := range a.Transactions {
				if txnIDs[tx.ID] {
					t.Errorf("duplicate transaction ID %s", tx.ID)
				}
				txnIDs[tx.ID] = true
			}
			if a.Kind == KindCredit {
				credit++
			}
			if a.Status == StatusFrozen {
				frozen++
			}
		}
	}
	if credit == 0 || frozen < 2 {
		t.Errorf("want some credit accounts and frozen accounts besides wangwu: %d credit, %d frozen", credit, frozen)
	}
}

// checkAccount asserts the invariants documented on Account and Transaction.
func checkAccount(t *testing.T, c Customer, a Account) {
	t.Helper()
	b, ok := BankOf(a.Number)
	if !LuhnValid(a.Number) || !ok || len(a.Number) != b.Length || b.Kind.String() != a.Kind {
		t.Errorf("%s: account %s: luhn=%v bin=%+v kind=%s", c.Username, a.Number, LuhnValid(a.Number), b, a.Kind)
	}
	if a.CustomerID != c.ID || a.Currency != CurrencyCNY || (a.Status != StatusActive && a.Status != StatusFrozen) {
		t.Errorf("%s: account %s fields: %+v", c.Username, a.Number, a)
	}
	if a.PerTxnLimitFen <= 0 || a.DailyLimitFen < a.PerTxnLimitFen {
		t.Errorf("%s: account %s limits %d/%d", c.Username, a.Number, a.PerTxnLimitFen, a.DailyLimitFen)
	}
	if !a.OpenedAt.Before(ReferenceTime) {
		t.Errorf("%s: account %s opened %v", c.Username, a.Number, a.OpenedAt)
	}
	if len(a.Transactions) == 0 {
		t.Errorf("%s: account %s has no history", c.Username, a.Number)
		return
	}
	bal := int64(0)
	prev := a.OpenedAt
	for _, tx := range a.Transactions {
		bal += tx.AmountFen
		if tx.BalanceAfterFen != bal {
			t.Errorf("%s: %s balance after %d, running sum %d", a.Number, tx.ID, tx.BalanceAfterFen, bal)
		}
		if !tx.Time.After(prev) || !tx.Time.Before(ReferenceTime) {
			t.Errorf("%s: %s at %v out of order (previous %v)", a.Number, tx.ID, tx.Time, prev)
		}
		prev = tx.Time
		if tx.AccountNumber != a.Number || tx.Currency != CurrencyCNY || tx.AmountFen == 0 || tx.Memo == "" || tx.Counterparty == "" {
			t.Errorf("%s: transaction %+v", a.Number, tx)
		}
		switch a.Kind {
		case KindDebit:
			if bal < 0 {
				t.Errorf("%s: debit balance %d after %s", a.Number, bal, tx.ID)
			}
		case KindCredit:
			if bal > 0 || bal < -a.CreditLimitFen {
				t.Errorf("%s: credit balance %d outside [-%d, 0] after %s", a.Number, bal, a.CreditLimitFen, tx.ID)
			}
		}
	}
	if bal != a.BalanceFen {
		t.Errorf("%s: history sums to %d, balance %d", a.Number, bal, a.BalanceFen)
	}
	if a.Kind == KindDebit && (a.Transactions[0].Memo != memoOpening || a.CreditLimitFen != 0) {
		t.Errorf("%s: debit account must open with a deposit and have no credit limit", a.Number)
	}
	if a.Kind == KindCredit && a.CreditLimitFen <= 0 {
		t.Errorf("%s: credit account without a credit limit", a.Number)
	}
}

func TestProducts(t *testing.T) {
	t.Parallel()
	ds := Generate(2020, DefaultSize)
	if len(ds.Products) != DefaultSize.Products {
		t.Fatalf("%d products", len(ds.Products))
	}
	prefixes := map[string]string{CategoryDeposit: "DEP", CategoryWealth: "WMP", CategoryFund: "FND", CategoryLoan: "LON"}
	codes, names := map[string]bool{}, map[string]bool{}
	statuses := map[string]map[string]bool{}
	for _, p := range ds.Products {
		prefix, ok := prefixes[p.Category]
		if !ok || len(p.Code) != 7 || p.Code[:3] != prefix {
			t.Errorf("product %s: category %q", p.Code, p.Category)
		}
		if codes[p.Code] || names[p.Name] {
			t.Errorf("product %s %s: duplicate code or name", p.Code, p.Name)
		}
		codes[p.Code], names[p.Name] = true, true
		if p.Category == CategoryLoan {
			if p.RiskLevel != "" {
				t.Errorf("loan %s has risk level %q", p.Code, p.RiskLevel)
			}
		} else if len(p.RiskLevel) != 2 || p.RiskLevel[0] != 'R' || p.RiskLevel[1] < '1' || p.RiskLevel[1] > '5' {
			t.Errorf("product %s risk level %q", p.Code, p.RiskLevel)
		}
		if p.AnnualYieldBP <= 0 || p.AnnualYieldBP > 2000 || p.TermDays < 0 || p.MinAmountFen <= 0 ||
			p.Currency != CurrencyCNY || p.Issuer == "" || p.Name == "" || p.Description == "" {
			t.Errorf("product %+v", p)
		}
		if statuses[p.Category] == nil {
			statuses[p.Category] = map[string]bool{}
		}
		statuses[p.Category][p.Status] = true
	}
	for cat, s := range statuses {
		if !s[ProductOnSale] || !s[ProductSoldOut] || !s[ProductClosed] || len(s) != 3 {
			t.Errorf("category %s statuses %v: want on_sale, sold_out and closed", cat, s)
		}
	}
	if p, ok := ds.Product("DEP0001"); !ok || p.Category != CategoryDeposit {
		t.Fatalf("Product(DEP0001) = %+v, %v", p, ok)
	}
	if _, ok := ds.Product("NOPE"); ok {
		t.Fatal("Product(NOPE) found")
	}
}

func TestDatasetLookups(t *testing.T) {
	t.Parallel()
	ds := Generate(1, Size{Customers: 5})
	num := ds.Customers[0].Accounts[1].Number
	if a, ok := ds.Account(num); !ok || a.CustomerID != "CUST000001" {
		t.Fatalf("Account(%s) = %+v, %v", num, a, ok)
	}
	if _, ok := ds.Account("0"); ok {
		t.Fatal("Account(0) found")
	}
	if _, ok := ds.Customer("nobody"); ok {
		t.Fatal("Customer(nobody) found")
	}
}
