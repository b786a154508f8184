package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/cucumber/godog"
)

func init() { registrars = append(registrars, registerUsers) }

func registerUsers(sc *godog.ScenarioContext) {
	sc.Step(`^"(\w+)" has consented to the app for "([^"]*)"$`, func(ctx context.Context, user, scopes string) error {
		return consentAndToken(ctx, user, ConsentRequest{Scopes: strings.Fields(scopes), ValidDays: 30})
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" for "(\w+)"$`, func(ctx context.Context, method, uri, user string) error {
		return call(ctx, "the app", method, uri, nil, FaultNone, user)
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" for "(\w+)" with body:$`, func(ctx context.Context, method, uri, user string, body *godog.DocString) error {
		return call(ctx, "the app", method, uri, []byte(body.Content), FaultNone, user)
	})
	sc.Step(`^the app (?:calls|sends) "([A-Z]+) ([^"]+)" for "(\w+)" `+faultPattern()+`$`, func(ctx context.Context, method, uri, user, fault string) error {
		return call(ctx, "the app", method, uri, nil, Fault(fault), user)
	})
	sc.Step(`^the other app (?:calls|sends) "([A-Z]+) ([^"]+)" for "(\w+)"$`, func(ctx context.Context, method, uri, user string) error {
		return call(ctx, "the other app", method, uri, nil, FaultNone, user)
	})
}

// consentAndToken plays the user through the bank's pages, redeems the code at the
// token endpoint (mTLS + SM2), and learns the user's account ids as
// {user.account} (the first) and {user.account2}.
func consentAndToken(ctx context.Context, user string, r ConsentRequest) error {
	w := W(ctx)
	a, err := w.App("the app")
	if err != nil {
		return err
	}
	tok, code, err := obtainToken(ctx, a, user, r)
	if err != nil {
		return err
	}
	w.Tokens[user] = tok
	w.Vars[user+".code"] = code
	if r.Payment || !slices.Contains(r.Scopes, "accounts:read") {
		return nil
	}
	h := map[string][]string{"X-Jr-Access-Token": {tok.Access}}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "GET", URI: "/a2/v1/accounts", Header: h}, nil)
	if err != nil {
		return err
	}
	w.Note("%s", x.Evidence())
	list, _ := x.JSON()["accounts"].([]any)
	for i, it := range list {
		m, _ := it.(map[string]any)
		id, _ := m["account_id"].(string)
		key := user + ".account"
		if i > 0 {
			key += fmt.Sprint(i + 1)
		}
		w.Vars[key] = id
	}
	if _, ok := w.Vars[user+".account"]; !ok {
		return fmt.Errorf("GET /a2/v1/accounts for %s listed no account: HTTP %d %s", user, x.Status, clip(string(x.Body), 300))
	}
	return nil
}

// obtainToken plays the user through the bank's consent pages for app a and redeems the
// code at the token endpoint (mTLS + SM2): the token set and the code it came from.
func obtainToken(ctx context.Context, a *App, user string, r ConsentRequest) (*Token, string, error) {
	w := W(ctx)
	b, err := browserOf(ctx, user)
	if err != nil {
		return nil, "", err
	}
	auth := w.Env.AuthorizationURL(a, r)
	q, err := b.Consent(ctx, auth, r.Payment, true)
	if err != nil {
		return nil, "", fmt.Errorf("%s at the bank's consent pages: %w", user, err)
	}
	if q.Get("code") == "" || q.Get("state") != auth.State {
		return nil, "", fmt.Errorf("the bank's redirect has no code or the wrong state: %v", q)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {w.Env.T.RedirectURI},
		"code_verifier": {auth.Verifier}}
	x, err := w.Env.Do(ctx, Call{App: a, Method: "POST", URI: "/a2/v1/oauth/token", Body: []byte(form.Encode()),
		ContentType: "application/x-www-form-urlencoded"}, nil)
	if err != nil {
		return nil, "", err
	}
	w.Note("%s", x.Evidence())
	if x.Status != 200 {
		return nil, "", fmt.Errorf("token endpoint: HTTP %d %s", x.Status, clip(string(x.Body), 300))
	}
	tok := tokenFrom(x)
	if tok.Access == "" {
		return nil, "", errors.New("token endpoint answered without access_token")
	}
	return tok, q.Get("code"), nil
}

// tokenFrom reads the token set from a token endpoint answer.
func tokenFrom(x *Exchange) *Token {
	tok := &Token{}
	tok.Access, _ = x.JSON()["access_token"].(string)
	tok.Refresh, _ = x.JSON()["refresh_token"].(string)
	if f, ok := x.JSON()["expires_in"].(float64); ok {
		tok.ExpiresIn = int(f)
	}
	tok.Consent, _ = x.JSON()["consent_id"].(string)
	return tok
}
