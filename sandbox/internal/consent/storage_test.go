package consent

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

func TestS256MatchesRFC7636AppendixB(t *testing.T) {
	t.Parallel()
	if got := S256(verifier); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("S256 = %s", got)
	}
	for _, v := range []string{"", strings.Repeat("a", 42), strings.Repeat("a", 129), verifier[:42] + "!"} {
		if verifierOK(v, S256(v)) {
			t.Errorf("malformed verifier %q accepted", v)
		}
	}
}

// JR/T 0185-2020 7.2.2/3: no password, session id, one-time code, authorization code,
// token or payee account number is stored in the clear. The whole database file (and
// its WAL) is scanned after a full run of every flow.
func TestNoSecretIsStoredInTheClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var secrets []string
	note := func(s ...string) { secrets = append(secrets, s...) }

	p, err := e.sessions.Login(ctx, "zhangsan", fakedata.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.sessions.CompleteLogin(ctx, p.Token, e.phone(t, "CUST000001"))
	if err != nil {
		t.Fatal(err)
	}
	note(fakedata.TestPassword, p.Token, sess.Token)
	_, _ = e.sessions.Login(ctx, "lisi", "Wrong#Password1")
	note("Wrong#Password1")

	ar, _ := e.s.StartAuthorization(ctx, payRequest())
	if err := e.s.RequestPaymentCode(ctx, sess.Token, ar.ID); err != nil {
		t.Fatal(err)
	}
	loc, err := e.s.Approve(ctx, sess.Token, ar.ID, e.accounts(t, "CUST000001")[:1], e.phone(t, "CUST000001"))
	if err != nil {
		t.Fatal(err)
	}
	code := loc[strings.Index(loc, "code=")+5:]
	code = code[:strings.IndexByte(code, '&')]
	pay, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
	if err != nil {
		t.Fatal(err)
	}
	note(code, pay.AccessToken, verifier, "6217000011112222333")

	info := e.tokens(t, infoRequest(), "lisi")
	next, err := e.s.Refresh(ctx, appID, info.RefreshToken, certA)
	if err != nil {
		t.Fatal(err)
	}
	note(info.AccessToken, info.RefreshToken, next.AccessToken, next.RefreshToken)

	if _, err := e.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, f := range []string{e.file, e.file + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if len(raw) < 4096 {
		t.Fatalf("database file is only %d bytes", len(raw))
	}
	for _, s := range secrets {
		body := s
		for _, pfx := range []string{"ss_", "at_", "rt_", "ac_"} {
			body = strings.TrimPrefix(body, pfx)
		}
		if bytes.Contains(raw, []byte(body)) {
			t.Errorf("%s…%s is stored in the clear", s[:4], s[len(s)-2:])
		}
	}
	// Six-digit codes are too short to grep a whole file for: check the rows instead.
	for _, m := range append(e.codes.Inbox(ctx, "CUST000001"), e.codes.Inbox(ctx, "CUST000002")...) {
		var n int
		if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM otp_codes WHERE code_mac = $1 OR otp_id = $1 OR purpose LIKE $2`,
			m.Code, "%"+m.Code+"%").Scan(&n); err != nil || n != 0 {
			t.Fatalf("one-time code in the clear (%d, %v)", n, err)
		}
	}
}

func TestConcurrentCodeExchangeIssuesOneTokenSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	code := e.approved(t, infoRequest(), "lisi", e.accounts(t, "CUST000002"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins []TokenSet
	used := 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			set, err := e.s.ExchangeCode(ctx, appID, code, verifier, redirect, certA)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins = append(wins, set)
			case errors.Is(err, problem.AuthCodeUsed):
				used++
			default:
				t.Errorf("exchange: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 || used != 5 {
		t.Fatalf("%d exchanges succeeded and %d saw AUTH_CODE_USED; want 1 and 5", len(wins), used)
	}
}

func TestConcurrentRefreshRotatesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	set := e.tokens(t, infoRequest(), "lisi")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.s.Refresh(ctx, appID, set.RefreshToken, certA)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if !errors.Is(err, problem.RefreshTokenReused) && !errors.Is(err, problem.ConsentRevoked) {
				t.Errorf("refresh: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok > 1 {
		t.Fatalf("%d refreshes succeeded with one refresh token", ok)
	}
}

func TestListConsentsForThePortal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	r := infoRequest()
	r.ValidDays = 30
	a := e.tokens(t, r, "zhangsan")
	e.clock.Advance(time.Minute)
	b := e.tokens(t, payRequest(), "zhangsan")
	_ = e.tokens(t, infoRequest(), "lisi")
	if err := e.s.RevokeConsent(ctx, "CUST000001", b.ConsentID); err != nil {
		t.Fatal(err)
	}
	list, err := e.s.ListConsents(ctx, "CUST000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != b.ConsentID || list[1].ID != a.ConsentID {
		t.Fatalf("list = %+v", list)
	}
	if list[0].Status != StatusRevoked || list[0].RevokedBy != ByUser || list[0].Payment == nil || list[0].Payment.PayeeMasked == "" {
		t.Fatalf("payment consent = %+v", list[0])
	}
	if list[1].Status != StatusActive || list[1].AppName != "Wallet 钱包" || len(list[1].Accounts) != 1 ||
		!list[1].ExpiresAt.Equal(list[1].CreatedAt.Add(30*24*time.Hour)) {
		t.Fatalf("account consent = %+v", list[1])
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if err := e.s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	list, _ = e.s.ListConsents(ctx, "CUST000001")
	if list[1].Status != StatusExpired {
		t.Fatalf("after 31 days: %s", list[1].Status)
	}
	var stored string
	if err := e.db.QueryRowContext(ctx, `SELECT status FROM consents WHERE consent_id = $1`, a.ConsentID).Scan(&stored); err != nil || stored != "expired" {
		t.Fatalf("swept status %q, %v", stored, err)
	}
}

// The consent flow works against the real app registry.
func TestAppRegistryAdapter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	reg := apps.NewService(&apps.SQLStore{DB: e.db.DB}, clock.New(), apps.Options{})
	a, _, err := reg.Register(ctx, apps.Registration{Name: "Real Wallet", Level: apps.LevelA2, Scopes: []string{"accounts:read"},
		RedirectURIs: []string{"https://real.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	e.s.Apps = AppRegistry{Registry: reg}
	r := infoRequest()
	r.AppID, r.RedirectURI = a.ID, "https://real.example/cb"
	_, err = e.s.StartAuthorization(ctx, r)
	expect(t, err, problem.AppPending)
	if _, err := reg.Apply(ctx, a.ID, apps.Approve, "test"); err != nil {
		t.Fatal(err)
	}
	ar, err := e.s.StartAuthorization(ctx, r)
	if err != nil || ar.AppName != "Real Wallet" {
		t.Fatalf("request = %+v, %v", ar, err)
	}
	r.Scopes = []string{"payments:write"}
	_, err = e.s.StartAuthorization(ctx, r)
	expect(t, err, problem.ScopeNotGranted)
}
