package consent

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/sessions"
	"github.com/jr0185/harness/sandbox/internal/store"
	"github.com/jr0185/harness/sandbox/protocol"
)

var (
	_ Sessions = (*sessions.Service)(nil)
	_ Codes    = (*otp.Service)(nil)
)

// fakeApps is an in-memory app registry.
type fakeApps map[string]Client

func (f fakeApps) Client(_ context.Context, id string) (Client, bool, error) {
	c, ok := f[id]
	return c, ok, nil
}

const (
	appID    = "APPWALLET0001"
	otherApp = "APPOTHER00002"
	redirect = "https://wallet.example/oauth/callback"
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
)

var (
	certA = protocol.SM3Hex([]byte("client certificate A (DER)"))
	certB = protocol.SM3Hex([]byte("client certificate B (DER)"))
)

type env struct {
	s        *Service
	sessions *sessions.Service
	codes    *otp.Service
	st       *SQLStore
	clock    *clock.Manual
	db       *store.DB
	file     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "bank.db")
	db, err := store.OpenSQLite(ctx, file, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := seed.IfEmpty(ctx, db, 1, fakedata.Size{Customers: 3, Products: 1}); err != nil {
		t.Fatal(err)
	}
	c := clock.NewManual(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	codes := otp.NewService(&otp.SQLStore{DB: db.DB}, c, otp.Options{})
	sess := sessions.NewService(&sessions.SQLStore{DB: db.DB}, codes, c, sessions.Options{})
	st := &SQLStore{DB: db.DB}
	scopes := []string{"accounts:read", "transactions:read", "payments:write"}
	apps := fakeApps{
		appID:           {ID: appID, Name: "Wallet 钱包", Status: "active", Scopes: scopes, RedirectURIs: []string{redirect, "https://wallet.example/cb?x=1"}},
		otherApp:        {ID: otherApp, Name: "Other", Status: "active", Scopes: scopes, RedirectURIs: []string{"https://other.example/cb"}},
		"APPSUSPENDED1": {ID: "APPSUSPENDED1", Name: "S", Status: "suspended", Scopes: scopes, RedirectURIs: []string{redirect}},
	}
	s := NewService(Deps{Store: st, Apps: apps, Sessions: sess, Codes: codes, Accounts: st, Clock: c}, Options{})
	return &env{s: s, sessions: sess, codes: codes, st: st, clock: c, db: db, file: file}
}

// login logs username in with both factors, reading the code from the simulated phone.
func (e *env) login(t *testing.T, username string) string {
	t.Helper()
	ctx := context.Background()
	p, err := e.sessions.Login(ctx, username, fakedata.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.sessions.CompleteLogin(ctx, p.Token, e.phone(t, p.CustomerID))
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

func (e *env) phone(t *testing.T, customerID string) string {
	t.Helper()
	msgs := e.codes.Inbox(context.Background(), customerID)
	if len(msgs) == 0 {
		t.Fatal("no code on the phone")
	}
	return msgs[0].Code
}

func (e *env) accounts(t *testing.T, customerID string) []string {
	t.Helper()
	a, err := e.st.AccountsOf(context.Background(), customerID)
	if err != nil || len(a) == 0 {
		t.Fatalf("accounts of %s: %v %v", customerID, a, err)
	}
	return a
}

func infoRequest(scopes ...string) Request {
	if len(scopes) == 0 {
		scopes = []string{"accounts:read"}
	}
	return Request{AppID: appID, RedirectURI: redirect, Scopes: scopes, State: "xyz-state", CodeChallenge: S256(verifier),
		CodeChallengeMethod: MethodS256, Kind: KindAccountInfo, ValidDays: 90}
}

func payRequest() Request {
	return Request{AppID: appID, RedirectURI: redirect, Scopes: []string{"payments:write"}, State: "pay-state",
		CodeChallenge: S256(verifier), CodeChallengeMethod: MethodS256, Kind: KindPayment,
		Payment: &Payment{AmountFen: 12_345, PayeeName: "李四", PayeeAccount: "6217 0000 1111 2222 333"}}
}

// approved runs the browser part: request, login, consent. It returns the code.
func (e *env) approved(t *testing.T, r Request, username string, accounts []string) string {
	t.Helper()
	ctx := context.Background()
	ar, err := e.s.StartAuthorization(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	sess := e.login(t, username)
	otpCode := ""
	if r.Kind == KindPayment {
		if err := e.s.RequestPaymentCode(ctx, sess, ar.ID); err != nil {
			t.Fatal(err)
		}
		sv, _ := e.sessions.Get(ctx, sess)
		otpCode = e.phone(t, sv.CustomerID)
	}
	loc, err := e.s.Approve(ctx, sess, ar.ID, accounts, otpCode)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("state"); got != r.State {
		t.Fatalf("state %q, want %q", got, r.State)
	}
	return u.Query().Get("code")
}

// tokens runs the whole flow for username with the given accounts (default: the first).
func (e *env) tokens(t *testing.T, r Request, username string, accounts ...string) TokenSet {
	t.Helper()
	if len(accounts) == 0 {
		accounts = e.accounts(t, customerOf(username))[:1]
	}
	code := e.approved(t, r, username, accounts)
	set, err := e.s.ExchangeCode(context.Background(), appID, code, verifier, r.RedirectURI, certA)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func customerOf(username string) string {
	return map[string]string{"zhangsan": "CUST000001", "lisi": "CUST000002", "wangwu": "CUST000003"}[username]
}

// expect checks err against a catalogue entry (nil: success).
func expect(t *testing.T, err error, want *problem.Error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != want.Code || pe.Status != want.Status {
		t.Fatalf("want %s (%d), got %v", want.Code, want.Status, err)
	}
}
