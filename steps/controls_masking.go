package steps

// ANSWER-MASKED (JR/T 0185-2020 7.2.2/3b: 若确需使用商业银行应用程序接口将账号、卡号、姓名向
// 应用方进行反馈，应脱敏或去标识化处理): every answer of every A2 interface, accepted and
// refused, and the bank's login code page, consent page and portal are judged against
// the seeded truth — no full number in any spelling, no full name where a partner reads
// it, and every masked value exactly the published form with the real digits.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

func init() { controlProbes["ANSWER-MASKED"] = probeAnswerMasked }

// probeAnswerMasked judges the surface's accepted answer (after a payment to the probe
// payee, so that histories and payment answers name one) and a refused one.
func probeAnswerMasked(ctx context.Context, p *prober, s surface) error {
	m, err := moneyOf(ctx)
	if err != nil {
		return err
	}
	sec := newSecrets().user(m.zhangsan).payee(probePayee, probePayeeName)
	if s.Page != "" {
		return maskedPage(ctx, p, m, sec, s.Page)
	}
	a, err := p.appFor(ctx, s, false)
	if err != nil {
		return err
	}
	if s.API.UserToken || s.API.Scope == "payments:read" {
		if _, err := p.payment(ctx, a); err != nil {
			return err
		}
	}
	return acceptedAndRefused(ctx, p, a, s, FaultUnsigned, func(x *Exchange, _ time.Time, _ time.Duration) error {
		if err := maskedAnswer(a, x, m, sec); err != nil {
			return fmt.Errorf("%s: %w", x.Evidence(), err)
		}
		return nil
	})
}

// acceptedAndRefused sends the surface's correct request as app a, then the same with
// fault (which the bank must refuse 4xx), and judges each answer with check, given when
// it was sent and how long its round trip took.
func acceptedAndRefused(ctx context.Context, p *prober, a *App, s surface, fault Fault,
	check func(x *Exchange, sent time.Time, rtt time.Duration) error) error {
	c, err := p.valid(ctx, a, s)
	if err != nil {
		return err
	}
	refused := c
	refused.Fault = fault
	for _, call := range []Call{c, refused} {
		sent := time.Now()
		x, err := p.send(ctx, call)
		if err != nil {
			return err
		}
		rtt := time.Since(sent)
		if call.Fault == FaultNone {
			err = admitted(x)
		} else if x.Status/100 != 4 {
			err = fmt.Errorf("%s: want a 4xx refusal, got %s", fault, x.Evidence())
		}
		if err == nil {
			err = check(x, sent, rtt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maskedAnswer judges one answer: no secret in full anywhere (holdings decrypted too),
// and every masked field exactly the published form of the real value.
func maskedAnswer(a *App, x *Exchange, m *moneyProbe, sec *secrets) error {
	text := answerText(x.Header, x.Body)
	if _, sealed := x.JSON()["encrypted"]; sealed && x.Status/100 == 2 {
		plain, err := openHoldings(a, x)
		if err != nil {
			return err
		}
		text += "\n" + answerText(nil, plain)
	}
	problems := sec.leaks(text)
	var v any
	_ = json.Unmarshal(x.Body, &v)
	problems = append(problems, maskedFields(v, m)...)
	if len(problems) > 0 {
		return fmt.Errorf("the answer shows %s", strings.Join(problems, "; "))
	}
	return nil
}

// maskedFields checks the masked values of a decoded answer: an account's masked number
// is the published form of the number of the account id beside it, a payment's payee
// account and name the published forms of the probe payee's.
func maskedFields(v any, m *moneyProbe) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
			id, _ := t["account_id"].(string)
			if got, ok := t["account_number_masked"].(string); ok {
				if n := m.zhangsan.account(id); n == "" {
					out = append(out, fmt.Sprintf("a masked number for account %s, which is not the user's", id))
				} else if want := m.masks.account(n); got != want {
					out = append(out, fmt.Sprintf("account %s masked as %q, want %q", id, got, want))
				}
			}
			if got, ok := t["payee_account_masked"].(string); ok {
				if want := m.masks.account(probePayee); got != want {
					out = append(out, fmt.Sprintf("payee_account_masked %q, want %q", got, want))
				}
			}
			if got, ok := t["payee_name_masked"].(string); ok {
				if want := m.masks.name(probePayeeName); got != want {
					out = append(out, fmt.Sprintf("payee_name_masked %q, want %q", got, want))
				}
			}
		}
	}
	walk(v)
	return out
}

// maskedPage judges one of the bank's pages as zhangsan sees it: no number in full in
// any spelling (the page is his own, so names are not judged), and the masked forms he
// must recognise — the mobile his code went to, his accounts, the payee's account — are
// exactly the published ones.
func maskedPage(ctx context.Context, p *prober, m *moneyProbe, sec *secrets, page string) error {
	digitsOnly := &secrets{digits: sec.digits}
	var x *Exchange
	var want []string
	var err error
	switch page {
	case "login":
		x, err = loginCodePage(ctx, p.w.Env)
		want = []string{m.masks.mobile(m.zhangsan.Mobile)}
	case "consent":
		a, aerr := p.app(ctx, "A2", false)
		if aerr != nil {
			return aerr
		}
		from := m.zhangsan.Accounts[0].ID
		b, berr := browserOf(ctx, proberUser)
		if berr != nil {
			return berr
		}
		x, err = b.openAuthorization(ctx, p.w.Env.AuthorizationURL(a, ConsentRequest{Scopes: []string{"payments:write"}, Payment: true,
			Amount: probeAmount, PayeeAccount: probePayee, PayeeName: probePayeeName, DebitAccount: from}).URL)
		want = []string{m.masks.account(probePayee)}
		for _, acct := range m.zhangsan.Accounts {
			want = append(want, m.masks.account(acct.Number))
		}
	case "portal":
		a, aerr := p.app(ctx, "A2", false)
		if aerr != nil {
			return aerr
		}
		if _, err := p.token(ctx, a); err != nil { // a consent to list, on every account
			return err
		}
		b, berr := browserOf(ctx, proberUser)
		if berr != nil {
			return berr
		}
		x, err = b.Do(ctx, "GET", "/portal", nil)
		for _, acct := range m.zhangsan.Accounts {
			want = append(want, m.masks.account(acct.Number))
		}
	default:
		return fmt.Errorf("the suite knows no way to judge the bank's %s page", page)
	}
	if err != nil {
		return err
	}
	if x.Status != 200 {
		return fmt.Errorf("%s %s: HTTP %d, want the page", x.Method, x.URI, x.Status)
	}
	text := answerText(x.Header, []byte(pageText(x)))
	var problems []string
	problems = append(problems, digitsOnly.leaks(text)...)
	for _, w := range want {
		if !strings.Contains(text, w) {
			problems = append(problems, fmt.Sprintf("does not show %q, the published masked form", w))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the %s page %s", page, strings.Join(problems, "; "))
	}
	return nil
}

// loginCodePage logs zhangsan's password in from a fresh browser and returns the page
// asking for the code, which names the mobile it went to. The user's lock is held:
// the code this sends must not be read by a scenario logging him in meanwhile.
func loginCodePage(ctx context.Context, e *Env) (*Exchange, error) {
	b, err := e.NewBrowser(proberUser)
	if err != nil {
		return nil, err
	}
	l := e.userLock(b.User.Username)
	l.Lock()
	defer l.Unlock()
	x, err := b.Do(ctx, "GET", "/login?next=%2Fportal", nil)
	if err != nil {
		return nil, err
	}
	x, err = b.Do(ctx, "POST", "/login", url.Values{"csrf": {field(x.Body, "csrf")}, "next": {"/portal"},
		"username": {b.User.Username}, "password": {b.User.Password}})
	if err != nil {
		return nil, err
	}
	if err := b.expect(x, 303, "/login/otp"); err != nil {
		return nil, fmt.Errorf("password step: %w", err)
	}
	return b.Do(ctx, "GET", x.Header.Get("Location"), nil)
}
