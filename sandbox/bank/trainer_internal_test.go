package bank

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
)

// The dashboard's payment flow looks its accounts up when it runs, so it follows a
// reseed (the card numbers depend on the seed).
func TestTrainerPaymentFollowsAReseed(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "bank.db"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := fakedata.Size{Customers: 4, Products: 4}
	if _, err := seed.IfEmpty(ctx, db, 1, size); err != nil {
		t.Fatal(err)
	}
	ids, err := seed.AccountIDs(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []int64{1, 2} {
		if s != 1 {
			if _, err := seed.Reset(ctx, db, seed.Spec{Seed: s, Size: size}, ids, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		pay, err := trainerPayment(ctx, db, ids)
		if err != nil {
			t.Fatal(err)
		}
		ds := fakedata.Generate(s, size)
		zhang, _ := ds.Customer("zhangsan")
		lisi, _ := ds.Customer("lisi")
		if pay.DebitAccount != zhang.Accounts[0].Number || pay.DebitID != ids.For(zhang.Accounts[0].Number) ||
			pay.PayeeAccount != lisi.Accounts[0].Number || pay.PayeeName != lisi.Name {
			t.Errorf("seed %d: the trainer's payment is %+v, want zhangsan's first card to lisi's", s, pay)
		}
	}
}
