package accounts_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

func setup(t *testing.T) (*accounts.Service, fakedata.Dataset, accounts.IDs) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	size := fakedata.Size{Customers: 6, Products: 16}
	if _, err := seed.IfEmpty(ctx, db, 7, size); err != nil {
		t.Fatal(err)
	}
	ids, err := seed.AccountIDs(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.Holdings(ctx, db, 7); err != nil {
		t.Fatal(err)
	}
	if err := seed.Holdings(ctx, db, 7); err != nil { // idempotent
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return accounts.NewService(&accounts.SQLStore{DB: db.DB}, func() time.Time { return now }), fakedata.Generate(7, size), ids
}

func TestOnlyConsentedAccountsOfTheCustomer(t *testing.T) {
	t.Parallel()
	svc, ds, ids := setup(t)
	ctx := context.Background()
	zs, _ := ds.Customer("zhangsan")
	ls, _ := ds.Customer("lisi")
	zs1, zs2 := ids.For(zs.Accounts[0].Number), ids.For(zs.Accounts[1].Number)
	lisi1 := ids.For(ls.Accounts[0].Number)
	scope := accounts.Scope{CustomerID: zs.ID, AccountIDs: []string{zs1}}

	list, err := svc.List(ctx, scope)
	if err != nil || len(list) != 1 || list[0].ID != zs1 {
		t.Fatalf("List = %+v, %v (want only the consented account)", list, err)
	}
	if strings.Contains(list[0].Masked, zs.Accounts[0].Number[6:12]) || !strings.Contains(list[0].Masked, "****") {
		t.Errorf("number not masked: %q", list[0].Masked)
	}
	tests := []struct {
		name  string
		scope accounts.Scope
		id    string
	}{
		{"404/own account outside the consent", scope, zs2},
		{"404/another customer's account", scope, lisi1},
		{"404/another customer's account even if listed in the scope", accounts.Scope{CustomerID: zs.ID, AccountIDs: []string{lisi1}}, lisi1},
		{"404/no such account", scope, "ac_000000000000000000000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, call := range []func() error{
				func() error { _, err := svc.Get(ctx, tc.scope, tc.id); return err },
				func() error { _, err := svc.Balance(ctx, tc.scope, tc.id); return err },
				func() error { _, err := svc.Limits(ctx, tc.scope, tc.id); return err },
				func() error { _, err := svc.Transactions(ctx, tc.scope, tc.id, accounts.TxFilter{}); return err },
			} {
				if err := call(); !errors.Is(err, accounts.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			}
		})
	}
	bal, err := svc.Balance(ctx, scope, zs1)
	if err != nil || bal.Available == "" || bal.Currency != "CNY" {
		t.Fatalf("balance = %+v, %v", bal, err)
	}
}

func TestTransactionsPageAndDateFilter(t *testing.T) {
	t.Parallel()
	svc, ds, ids := setup(t)
	ctx := context.Background()
	zs, _ := ds.Customer("zhangsan")
	acct := zs.Accounts[0]
	id := ids.For(acct.Number)
	scope := accounts.Scope{CustomerID: zs.ID, AccountIDs: []string{id}}
	all, err := svc.Transactions(ctx, scope, id, accounts.TxFilter{PageSize: 100})
	if err != nil || all.Total != len(acct.Transactions) {
		t.Fatalf("total = %d, want %d (%v)", all.Total, len(acct.Transactions), err)
	}
	p1, _ := svc.Transactions(ctx, scope, id, accounts.TxFilter{Page: 1, PageSize: 3})
	p2, _ := svc.Transactions(ctx, scope, id, accounts.TxFilter{Page: 2, PageSize: 3})
	if len(p1.Items) != 3 || len(p2.Items) == 0 || p1.Items[2].ID == p2.Items[0].ID || p1.Items[0].Time.Before(p1.Items[2].Time) {
		t.Fatalf("pages overlap or are not newest first: %+v / %+v", p1.Items, p2.Items)
	}
	mid := acct.Transactions[len(acct.Transactions)/2].Time
	page, _ := svc.Transactions(ctx, scope, id, accounts.TxFilter{From: mid, PageSize: 100})
	for _, tx := range page.Items {
		if tx.Time.Before(mid) {
			t.Fatalf("transaction %s at %s is before From %s", tx.ID, tx.Time, mid)
		}
	}
	if page.Total == 0 || page.Total >= all.Total {
		t.Fatalf("date filter total = %d of %d", page.Total, all.Total)
	}
}

func TestHoldingsOnlyOnConsentedAccounts(t *testing.T) {
	t.Parallel()
	svc, ds, ids := setup(t)
	ctx := context.Background()
	zs, _ := ds.Customer("zhangsan") // customer 1 of every 3 holds products
	all, err := svc.Holdings(ctx, accounts.Scope{CustomerID: zs.ID, AccountIDs: []string{ids.For(zs.Accounts[0].Number), ids.For(zs.Accounts[1].Number)}})
	if err != nil || len(all) == 0 {
		t.Fatalf("holdings = %+v, %v", all, err)
	}
	none, _ := svc.Holdings(ctx, accounts.Scope{CustomerID: zs.ID})
	if len(none) != 0 {
		t.Fatalf("holdings without consented accounts = %+v", none)
	}
}
