package steps

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/cucumber/godog"
)

// The token lifecycle past the first exchange (JR/T 0185-2020 9.2.1 b) 3) 令牌有效期,
// 9.2.1 b) 4) 主动失效令牌, 10.2.2/1): the refresh-token grant rotates, works once and
// only for its App_ID, and the tokens it hands out work; single-use things stay
// single-use when the partner sends them at once (issue 13 item 4: the mutation
// survivors of consent.Service and its store). The concurrent checks are deterministic
// in their verdict: of N requests sent together, exactly one succeeds and every other
// is refused with the catalogued code, however the bank orders them.

func init() { registrars = append(registrars, registerTokens) }

func registerTokens(sc *godog.ScenarioContext) {
	sc.Step(`^the refresh token of "(\w+)" is refused to the other app, rotated on use for the app, and its new tokens work$`, refreshRotates)
	sc.Step(`^the rotated refresh token of "(\w+)" presented again is refused 400 "REFRESH_TOKEN_REUSED" and ends the grant$`, refreshReuseEndsGrant)
	sc.Step(`^the app revokes "(\w+)"'s access token alone, which is then refused 401 "TOKEN_REVOKED" while a refresh still works$`, revokeAccessAlone)
	sc.Step(`^(\d+) redemptions of "(\w+)"'s authorization code sent together: exactly one gets tokens, every other is refused 400 "AUTH_CODE_USED"$`, raceCode)
	sc.Step(`^every malformed authorization request is sent back to the app with error "invalid_request" and its state, before any login$`, malformedAuthorizations)
	sc.Step(`^the token endpoint refuses codes the bank never issued with 400 "AUTH_CODE_INVALID" and refresh tokens it never issued with 400 "REFRESH_TOKEN_INVALID"$`, neverIssued)
	sc.Step(`^(\d+) refreshes with "(\w+)"'s refresh token sent together: exactly one gets tokens, every other is refused$`, raceRefresh)
}

type tokenState struct {
	rotated map[string]string // user → a refresh token already rotated
}

func tokState(w *World) *tokenState {
	return areaState(w, func() *tokenState { return &tokenState{rotated: map[string]string{}} })
}

// tokenCall posts a form to the token or revocation endpoint as role.
func tokenCall(ctx context.Context, role, uri string, form url.Values) (*Exchange, error) {
	w := W(ctx)
	a, err := w.App(role)
	if err != nil {
		return nil, err
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "POST", URI: uri, Body: []byte(form.Encode()), ContentType: formContentType}, nil)
	if err != nil {
		return nil, err
	}
	w.record(x)
	return x, nil
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

// accountsWith calls GET /a2/v1/accounts as the app with an access token.
func accountsWith(ctx context.Context, access string) (*Exchange, error) {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return nil, err
	}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "GET", URI: "/a2/v1/accounts", Header: map[string][]string{"X-Jr-Access-Token": {access}}}, nil)
	if err != nil {
		return nil, err
	}
	w.record(x)
	return x, nil
}

func userToken(w *World, user string) (*Token, error) {
	tok, ok := w.Tokens[user]
	if !ok || tok.Refresh == "" {
		return nil, fmt.Errorf("%s has no refresh token in this scenario", user)
	}
	return tok, nil
}

func refreshRotates(ctx context.Context, user string) error {
	w := W(ctx)
	old, err := userToken(w, user)
	if err != nil {
		return err
	}
	x, err := tokenCall(ctx, "the other app", "/a2/v1/oauth/token", refreshForm(old.Refresh))
	if err != nil {
		return err
	}
	if err := refusedWith(x, 400, "REFRESH_TOKEN_INVALID"); err != nil {
		return fmt.Errorf("another App_ID presenting %s's refresh token: %w", user, err)
	}
	if x, err = tokenCall(ctx, "the app", "/a2/v1/oauth/token", refreshForm(old.Refresh)); err != nil {
		return err
	}
	if x.Status != 200 {
		return fmt.Errorf("the app refreshing with %s's refresh token (after the other App_ID was refused): want 200, got %s", user, x.Evidence())
	}
	tok := tokenFrom(x)
	if tok.Access == "" || tok.Refresh == "" || tok.Access == old.Access || tok.Refresh == old.Refresh {
		return fmt.Errorf("a refresh must hand out a new access token and a new (rotated) refresh token: %s", clip(string(x.Body), 200))
	}
	if x, err = accountsWith(ctx, tok.Access); err != nil {
		return err
	}
	if x.Status != 200 {
		return fmt.Errorf("the access token a refresh handed out: want 200 on GET /a2/v1/accounts, got %s", x.Evidence())
	}
	w.Tokens[user] = tok
	tokState(w).rotated[user] = old.Refresh
	return nil
}

func refreshReuseEndsGrant(ctx context.Context, user string) error {
	w := W(ctx)
	rotated := tokState(w).rotated[user]
	if rotated == "" {
		return fmt.Errorf("%s's refresh token was not rotated in this scenario", user)
	}
	x, err := tokenCall(ctx, "the app", "/a2/v1/oauth/token", refreshForm(rotated))
	if err != nil {
		return err
	}
	if err := refusedWith(x, 400, "REFRESH_TOKEN_REUSED"); err != nil {
		return fmt.Errorf("a rotated refresh token presented again: %w", err)
	}
	tok := w.Tokens[user]
	if x, err = accountsWith(ctx, tok.Access); err != nil {
		return err
	}
	if err := refusedWith(x, 403, "CONSENT_REVOKED"); err != nil {
		return fmt.Errorf("the newest access token after a rotated refresh token was presented again: %w", err)
	}
	if x, err = tokenCall(ctx, "the app", "/a2/v1/oauth/token", refreshForm(tok.Refresh)); err != nil {
		return err
	}
	if x.Status == 200 {
		return fmt.Errorf("the newest refresh token still refreshes after the grant ended: %s", x.Evidence())
	}
	return nil
}

// revokeAccessAlone: RFC 7009 revocation of the access token ends that token and no
// more — the consent and the refresh token stand, so TOKEN_REVOKED is the answer.
func revokeAccessAlone(ctx context.Context, user string) error {
	w := W(ctx)
	tok, err := userToken(w, user)
	if err != nil {
		return err
	}
	x, err := tokenCall(ctx, "the app", "/a2/v1/oauth/revoke", url.Values{"token": {tok.Access}, "token_type_hint": {"access_token"}})
	if err != nil {
		return err
	}
	if x.Status != 200 {
		return fmt.Errorf("revoking the access token: want 200, got %s", x.Evidence())
	}
	if x, err = accountsWith(ctx, tok.Access); err != nil {
		return err
	}
	if err := refusedWith(x, 401, "TOKEN_REVOKED"); err != nil {
		return fmt.Errorf("the revoked access token: %w", err)
	}
	if x, err = tokenCall(ctx, "the app", "/a2/v1/oauth/token", refreshForm(tok.Refresh)); err != nil {
		return err
	}
	if x.Status != 200 {
		return fmt.Errorf("a refresh after only the access token was revoked: want 200, got %s", x.Evidence())
	}
	w.Tokens[user] = tokenFrom(x)
	return nil
}

// together sends n requests at once (send(i) is the i-th) and returns the answers: all
// released by one signal, so the bank sees them as close together as the harness can.
func together(n int, send func(i int) (*Exchange, error)) ([]*Exchange, error) {
	if n < 2 || n > 32 {
		return nil, fmt.Errorf("send 2 to 32 requests together, not %d", n)
	}
	out := make([]*Exchange, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// race sends n copies of one token-endpoint request at once and returns the answers.
func race(ctx context.Context, n int, form url.Values) ([]*Exchange, error) {
	return together(n, func(int) (*Exchange, error) { return tokenCall(ctx, "the app", "/a2/v1/oauth/token", form) })
}

// oneWinner insists exactly one answer is 200 with an access token and every other
// passes refused; it returns the winner.
func oneWinner(xs []*Exchange, what string, refused func(*Exchange) error) (*Exchange, error) {
	var won []*Exchange
	var other []string
	for _, x := range xs {
		if x.Status == 200 {
			won = append(won, x)
			continue
		}
		if err := refused(x); err != nil {
			other = append(other, err.Error())
		}
	}
	if len(won) != 1 || len(other) > 0 {
		sort.Strings(other)
		return nil, fmt.Errorf("%d %s sent together: %d got 200 (want exactly 1); unexpected refusals: %s",
			len(xs), what, len(won), strings.Join(other, "; "))
	}
	if tokenFrom(won[0]).Access == "" {
		return nil, fmt.Errorf("the one accepted of %s answered without an access token: %s", what, clip(string(won[0].Body), 200))
	}
	return won[0], nil
}

func raceCode(ctx context.Context, n int, user string) error {
	w := W(ctx)
	code, ok := cst(w).code[user]
	if !ok {
		return fmt.Errorf("%s has no authorization code in this scenario", user)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {w.Env.T.RedirectURI},
		"code_verifier": {cst(w).auth[user].Verifier}}
	xs, err := race(ctx, n, form)
	if err != nil {
		return err
	}
	won, err := oneWinner(xs, "redemptions of one authorization code", func(x *Exchange) error {
		return refusedWith(x, 400, "AUTH_CODE_USED")
	})
	if err != nil {
		return err
	}
	// A code used twice revokes what it issued (RFC 6749 4.1.2).
	x, err := accountsWith(ctx, tokenFrom(won).Access)
	if err != nil {
		return err
	}
	if err := refusedWith(x, 403, "CONSENT_REVOKED"); err != nil {
		return fmt.Errorf("the token of a code redeemed more than once: %w", err)
	}
	return nil
}

func raceRefresh(ctx context.Context, n int, user string) error {
	w := W(ctx)
	tok, err := userToken(w, user)
	if err != nil {
		return err
	}
	xs, err := race(ctx, n, refreshForm(tok.Refresh))
	if err != nil {
		return err
	}
	// A loser presents a rotated token (REFRESH_TOKEN_REUSED), or arrives after another
	// loser ended the grant (CONSENT_REVOKED).
	_, err = oneWinner(xs, "refreshes with one refresh token", func(x *Exchange) error {
		if refusedWith(x, 403, "CONSENT_REVOKED") == nil {
			return nil
		}
		return refusedWith(x, 400, "REFRESH_TOKEN_REUSED")
	})
	return err
}

// malformedAuthorizations spoils a valid authorization request one parameter at a time
// (the consent type, the payment's amount, the PKCE challenge) and insists each comes
// back to the partner's redirect URI with error=invalid_request and the request's state,
// before the user is asked to log in (RFC 6749 4.1.2.1, RFC 7636 4.4.1; JR/T 0185-2020
// 9.3.2/1b: the user consents only to well-formed terms).
func malformedAuthorizations(ctx context.Context) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	b, err := w.Env.NewBrowser("zhangsan")
	if err != nil {
		return err
	}
	short := base64.RawURLEncoding.EncodeToString(make([]byte, 31)) // well-formed base64url, not a SHA-256 digest
	pay := ConsentRequest{Scopes: []string{"payments:write"}, Payment: true, Amount: "10.00", PayeeName: "王五", PayeeAccount: "6222020200001234"}
	info := ConsentRequest{Scopes: []string{"accounts:read"}, ValidDays: 30}
	cases := []struct {
		name string
		r    ConsentRequest
		set  map[string]string
	}{
		{"an unknown consent_type", info, map[string]string{"consent_type": "transfer"}},
		{"a payment of 0.00", pay, map[string]string{"amount": "0.00"}},
		{"a payment of -1.00", pay, map[string]string{"amount": "-1.00"}},
		{"a payment above the largest amount", pay, map[string]string{"amount": "1000000000000.01"}},
		{"a payee name of 101 bytes", pay, map[string]string{"payee_name": strings.Repeat("赵", 33) + "AB"}},
		{"a code_challenge of 31 bytes (not a SHA-256 digest)", info, map[string]string{"code_challenge": short}},
		{"a code_challenge that is not base64url", info, map[string]string{"code_challenge": strings.Repeat("*", 43)}},
	}
	for _, c := range cases {
		auth := w.Env.AuthorizationURL(a, c.r)
		u, err := url.Parse(auth.URL)
		if err != nil {
			return err
		}
		q := u.Query()
		for k, v := range c.set {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		x, err := b.Do(ctx, "GET", u.String(), nil)
		if err != nil {
			return err
		}
		w.record(x)
		loc := x.Header.Get("Location")
		if x.Status != 302 || !strings.HasPrefix(loc, w.Env.T.RedirectURI) {
			return fmt.Errorf("an authorization request with %s: want a 302 back to the app's redirect URI, got HTTP %d → %q", c.name, x.Status, loc)
		}
		back, err := redirectQuery(x)
		if err != nil {
			return err
		}
		if back.Get("error") != "invalid_request" || back.Get("state") != auth.State || back.Get("code") != "" {
			return fmt.Errorf("an authorization request with %s: want error=invalid_request with the request's state and no code, got %v", c.name, back)
		}
	}
	return nil
}

// neverIssued presents, as the app, grants the bank never issued: text not of the
// bank's form, and "zhangsan"'s real code and refresh token with their last characters
// changed (the bank's form, but unknown). Each is refused, never answered with a token.
func neverIssued(ctx context.Context) error {
	w := W(ctx)
	code := w.Vars["zhangsan.code"]
	if code == "" {
		return fmt.Errorf("zhangsan has no authorization code in this scenario")
	}
	verifier := randomNonce() + randomNonce()
	tok, err := userToken(w, "zhangsan")
	if err != nil {
		return err
	}
	altered := func(s string) string {
		if s[len(s)-1] == 'A' {
			return s[:len(s)-1] + "B"
		}
		return s[:len(s)-1] + "A"
	}
	cases := []struct {
		what, code string
		form       url.Values
	}{
		{"a code not of the bank's form", "AUTH_CODE_INVALID", url.Values{"grant_type": {"authorization_code"}, "code": {"not-a-code"},
			"redirect_uri": {w.Env.T.RedirectURI}, "code_verifier": {verifier}}},
		{"a code of the bank's form it never issued", "AUTH_CODE_INVALID", url.Values{"grant_type": {"authorization_code"}, "code": {altered(code)},
			"redirect_uri": {w.Env.T.RedirectURI}, "code_verifier": {verifier}}},
		{"a refresh token not of the bank's form", "REFRESH_TOKEN_INVALID", refreshForm("not-a-refresh-token")},
		{"a refresh token of the bank's form it never issued", "REFRESH_TOKEN_INVALID", refreshForm(altered(tok.Refresh))},
	}
	for _, c := range cases {
		x, err := tokenCall(ctx, "the app", "/a2/v1/oauth/token", c.form)
		if err != nil {
			return err
		}
		if err := refusedWith(x, 400, c.code); err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
	}
	return nil
}
