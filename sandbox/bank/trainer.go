package bank

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/dashboard"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/store"
	"github.com/jr0185/harness/sandbox/sdk"
)

// The trainer partner: an A2 app the sandbox registers for the dashboard's guided flows
// (sandbox mode only). Its redirect URI is the dashboard's callback on this bank, so it
// is registered again when the bank's address changes. Its rate limit is low on purpose:
// the rate-limiting flow's burst reaches it with a dozen calls.
const (
	trainerDir = "trainer-partner"
	trainerOrg = "Trainer Demo Partner Co., Ltd."
)

var trainerLimits = apps.Limits{RPS: 2, Burst: 4, MaxConcurrent: 4}

// newConsole builds the dashboard (sandbox mode; nil otherwise). The trainer partner is
// registered by ensureTrainerPartner at the first flow (Trainer.Setup, set once the bank
// listens).
func newConsole(cfg Config, f *faults.Registry, db *store.DB, ids accounts.IDs) *dashboard.Console {
	if !cfg.Sandbox() {
		return nil
	}
	t := &dashboard.Trainer{Faults: f, PaymentFor: func(ctx context.Context) (dashboard.Payment, error) {
		return trainerPayment(ctx, db, ids)
	}}
	return &dashboard.Console{Sessions: dashboard.NewSessions(nil), Trainer: t}
}

// trainerPayment is the payment flow's payment: 1.00 from zhangsan's first card to
// lisi's, looked up in the data set in force when the flow starts (a reseed changes
// the card numbers).
func trainerPayment(ctx context.Context, db *store.DB, ids accounts.IDs) (dashboard.Payment, error) {
	spec, err := seed.Current(ctx, db)
	if err != nil {
		return dashboard.Payment{}, err
	}
	users := seed.TestUsers(spec)
	ds := fakedata.Dataset{Customers: users}
	payer, ok1 := ds.Customer("zhangsan")
	payee, ok2 := ds.Customer("lisi")
	if !ok1 || !ok2 || len(payer.Accounts) == 0 || len(payee.Accounts) == 0 {
		return dashboard.Payment{}, fmt.Errorf("the test users zhangsan and lisi are missing from seed %d", spec.Seed)
	}
	return dashboard.Payment{User: "zhangsan", DebitAccount: payer.Accounts[0].Number, DebitID: ids.For(payer.Accounts[0].Number),
		PayeeAccount: payee.Accounts[0].Number, PayeeName: payee.Name, Amount: "1.00"}, nil
}

// ensureTrainerPartner registers (or reuses) the trainer partner and returns its SDK
// client for the dashboard (Trainer.Setup: at the first flow).
func ensureTrainerPartner(ctx context.Context, db *store.DB, svc *apps.Service, pk *pki.Bank, cat *apis.Catalogue, b *Bank) (dashboard.Partner, error) {
	dir := filepath.Join(b.DataDir, trainerDir)
	redirect := b.URL + "/dashboard/callback"
	id, ok, err := db.GetMeta(ctx, "trainer_app_id")
	if err != nil {
		return dashboard.Partner{}, err
	}
	if ok {
		if cfg, cr, err := sdk.LoadDir(dir); err == nil && cr.AppID == id && cr.BaseURL == b.URL {
			return trainerPartner(cfg, id, redirect, dir)
		}
		// The bank's address changed (or the folder is gone): the old registration's
		// redirect URI is stale; retire it and register afresh.
		if _, err := svc.Exit(ctx, id, "trainer partner replaced: the bank's address changed"); err != nil {
			b.log.Warn("retiring the old trainer partner failed", "app_id", id, "err", err)
		}
	}
	limits := trainerLimits
	// No App_Secret in the folder: the trainer partner signs every call with SM2, so
	// the inspector shows the certificate and signature steps on A1 calls too.
	appID, err := onboardInHouse(ctx, svc, pk, b.URL, apps.Registration{
		Name: trainerOrg, Level: apps.LevelA2, Scopes: cat.Scopes(), RedirectURIs: []string{redirect}, Limits: &limits,
	}, "trainer partner for the dashboard's guided flows", dir, false)
	if err != nil {
		return dashboard.Partner{}, err
	}
	if err := db.SetMeta(ctx, "trainer_app_id", appID); err != nil {
		return dashboard.Partner{}, err
	}
	cfg, _, err := sdk.LoadDir(dir)
	if err != nil {
		return dashboard.Partner{}, err
	}
	return trainerPartner(cfg, appID, redirect, dir)
}

func trainerPartner(cfg sdk.Config, appID, redirect, dir string) (dashboard.Partner, error) {
	// Every attempt shows in the inspector: no retries, and the circuit breaker never
	// hides the rate-limiting flow's burst.
	cfg.Resilience = sdk.Resilience{MaxAttempts: 1, FailureThreshold: 1 << 20}
	cfg.RefreshBankKeys = true // follow a bank key rotation
	cfg.AppSecret = ""
	client, err := sdk.New(cfg)
	if err != nil {
		return dashboard.Partner{}, fmt.Errorf("trainer partner client: %w", err)
	}
	_, enc, err := sdk.LoadSM2Cert(filepath.Join(dir, "bank-enc.crt"))
	if err != nil {
		return dashboard.Partner{}, fmt.Errorf("trainer partner: bank-enc.crt: %w", err)
	}
	return dashboard.Partner{Client: client, AppID: appID, RedirectURI: redirect, BankEnc: enc}, nil
}
