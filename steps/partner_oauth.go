package steps

// The partner's side of OAuth (JR/T 0185-2020 9.3.1/1, 9.3.2/1b): the harness hands the
// partner the bank's redirect with a forged state, without a state, with the state of an
// authorization the partner already finished, to the wrong flow, and with an error, and
// judges that the partner refuses and exchanges no code (no a2.oauth.token call reaches
// the bank); and it judges the states the partner issues — every one different and
// unguessable (at least 128 bits, estimated from length and alphabet over several).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/driver"
)

// oauthState is what the OAuth scenarios keep.
type oauthState struct {
	redirect string    // the bank's redirect for the authorization the user decided on last
	decided  time.Time // when the user decided at the bank (no code exchange after this)
	finished []string  // states of the authorizations the partner finished
	states   []string  // the state of every authorization URL the partner built
}

// minStateBits is the entropy a state must carry (RFC 6749 10.10: guessing it is
// infeasible; 128 bits, as for a CSRF token).
const minStateBits = 128

func registerPartnerOAuth(sc *godog.ScenarioContext) {
	sc.Step(`^"(\w+)" (approved|refused) at the bank an account link the partner started$`, partnerAuthorized)
	sc.Step(`^the partner has started a payment of "([\d.]+)" from the user's first account to "(\d+)" named "([^"]+)"$`, partnerStartsPayment)
	sc.Step(`^the partner is handed the bank's redirect (as it is|with a forged state|without a state|with the state of the authorization it already finished|with "error=access_denied" added)$`,
		func(ctx context.Context, how string) error { return partnerHanded(ctx, how, driver.FinishLink) })
	sc.Step(`^the partner is handed the bank's redirect as it is, to finish the payment$`,
		func(ctx context.Context) error { return partnerHanded(ctx, "as it is", driver.FinishPayment) })
	sc.Step(`^the partner exchanged no code at the bank after the user decided$`, partnerNoExchange)
	sc.Step(`^the partner linked the user's accounts$`, partnerLinked)
	sc.Step(`^the partner is asked to start (\d+) account links$`, func(ctx context.Context, n int) error {
		for i := 0; i < n; i++ {
			if _, err := partnerStartLink(ctx, "accounts:read balances:read"); err != nil {
				return err
			}
		}
		return nil
	})
	sc.Step(`^every authorization the partner started carries a different state of at least 128 bits$`, partnerStatesUnguessable)
}

// partnerStartLink asks the partner to start an account link and keeps its state.
func partnerStartLink(ctx context.Context, scopes string) (string, error) {
	var auth driver.AuthorizationResult
	if err := partnerDoOK(ctx, driver.StartLink, driver.LinkParams{Scopes: strings.Fields(scopes), ValidDays: 30}, &auth); err != nil {
		return "", err
	}
	noteState(ctx, auth.AuthorizationURL)
	return auth.AuthorizationURL, nil
}

// noteState keeps the state of an authorization URL the partner built.
func noteState(ctx context.Context, raw string) {
	if u, err := url.Parse(raw); err == nil {
		s := pst(W(ctx))
		s.oauth.states = append(s.oauth.states, u.Query().Get("state"))
	}
}

// partnerAuthorized: the partner starts an account link and the user consents to it or
// refuses it at the bank; the bank's redirect is kept, not yet handed to the partner.
func partnerAuthorized(ctx context.Context, user, decision string) error {
	s := pst(W(ctx))
	raw, err := partnerStartLink(ctx, "accounts:read balances:read")
	if err != nil {
		return err
	}
	redirect, err := userDecides(ctx, user, raw, false, decision == "approved")
	if err != nil {
		return err
	}
	s.oauth.redirect, s.oauth.decided = redirect, time.Now()
	if s.user == "" {
		s.user = user
	}
	return nil
}

func partnerStartsPayment(ctx context.Context, amount, payee, name string) error {
	w := W(ctx)
	id := w.Vars["partner.account"]
	if id == "" {
		return errors.New("no account: link the user's accounts first")
	}
	pst(w).handed = append(pst(w).handed, payee)
	var auth driver.AuthorizationResult
	if err := partnerDoOK(ctx, driver.StartPayment, driver.PaymentParams{AccountID: id, Amount: amount, PayeeAccount: payee, PayeeName: name,
		Reference: "conformance " + randomNonce()[:8]}, &auth); err != nil {
		return err
	}
	noteState(ctx, auth.AuthorizationURL)
	return nil
}

// partnerHanded hands the partner the kept redirect, changed as the step says.
func partnerHanded(ctx context.Context, how, action string) error {
	s := pst(W(ctx))
	if s.oauth.redirect == "" {
		return errors.New("no redirect to hand: the user has not been at the bank")
	}
	u, err := url.Parse(s.oauth.redirect)
	if err != nil {
		return err
	}
	q := u.Query()
	switch how {
	case "with a forged state":
		q.Set("state", randomNonce()[:22])
	case "without a state":
		q.Del("state")
	case "with the state of the authorization it already finished":
		if len(s.oauth.finished) == 0 {
			return errors.New("the partner finished no authorization in this scenario")
		}
		q.Set("state", s.oauth.finished[0])
	case `with "error=access_denied" added`:
		q.Set("error", "access_denied")
		q.Set("error_description", "the user refused")
	}
	u.RawQuery = q.Encode()
	var out any = &driver.LinkResult{}
	if action == driver.FinishPayment {
		out = &driver.PaymentResult{}
	}
	if err := partnerDo(ctx, action, driver.RedirectParams{RedirectURL: u.String()}, out); err != nil {
		return err
	}
	if a, _ := s.last(); a.Err == nil && action == driver.FinishLink {
		s.oauth.finished = append(s.oauth.finished, q.Get("state"))
	}
	return nil
}

// partnerNoExchange: no call reached the bank's token endpoint since the user decided at
// the bank (JR/T 0185-2020 9.3.1/1: a code is exchanged only for the authorization the
// partner started; 9.3.2/1b: no consent, no token).
func partnerNoExchange(ctx context.Context) error {
	s := pst(W(ctx))
	if s.oauth.decided.IsZero() {
		return errors.New("the user has not been at the bank in this scenario")
	}
	obs, err := seen(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.API == "a2.oauth.token" && o.Time.After(s.oauth.decided) {
			return fmt.Errorf("the partner called the token endpoint with a redirect it had to refuse: %v", o)
		}
	}
	return nil
}

// partnerLinked: the partner's last answer linked the user (a code exchanged at the
// bank after the user decided) and it now lists the user's accounts.
func partnerLinked(ctx context.Context) error {
	w := W(ctx)
	s := pst(w)
	if _, err := lastOK(ctx, driver.FinishLink); err != nil {
		return err
	}
	obs, err := seen(ctx)
	if err != nil {
		return err
	}
	exchanged := false
	for _, o := range obs {
		exchanged = exchanged || (o.API == "a2.oauth.token" && o.Status == 200 && o.Time.After(s.oauth.decided))
	}
	if !exchanged {
		return errors.New("the partner says it linked the user but exchanged no code at the bank")
	}
	var accts driver.AccountsResult
	if err := partnerDoOK(ctx, driver.Accounts, struct{}{}, &accts); err != nil {
		return err
	}
	if len(accts.Accounts) == 0 {
		return errors.New("the partner lists no account after the user linked")
	}
	s.accounts = accts.Accounts
	w.Vars["partner.account"] = accts.Accounts[0].AccountID
	return nil
}

// partnerStatesUnguessable judges the states of the scenario's authorization URLs:
// all different, and their varying part (without what all of them share at the start
// and the end) carries at least 128 bits over the alphabet they use.
func partnerStatesUnguessable(ctx context.Context) error {
	states := pst(W(ctx)).oauth.states
	if len(states) < 3 {
		return fmt.Errorf("only %d states collected: judging a state's entropy needs several", len(states))
	}
	seen := map[string]int{}
	for i, st := range states {
		if st == "" {
			return fmt.Errorf("authorization %d carries no state", i+1)
		}
		if j, dup := seen[st]; dup {
			return fmt.Errorf("authorizations %d and %d carry the same state: a state must be fresh for every authorization", j+1, i+1)
		}
		seen[st] = i
	}
	bits, why := stateEntropy(states)
	if bits < minStateBits {
		return fmt.Errorf("the partner's states carry about %.0f bits (%s), want at least %d: a state must be unguessable", bits, why, minStateBits)
	}
	W(ctx).Note("%d states, all different, about %.0f bits each (%s)", len(states), bits, why)
	return nil
}

// stateEntropy estimates the entropy of one of the states: the length of the part that
// varies between them (the shortest, less the prefix and suffix all share) times log2
// of the alphabet all of them together use (hex, digits, letters, base64 …). Judge a
// dozen: the last base64url character of 16 random bytes takes only four values, and
// among five states it is the same in all of them once in 256 runs.
func stateEntropy(states []string) (float64, string) {
	prefix, suffix := states[0], states[0]
	shortest := len(states[0])
	for _, s := range states[1:] {
		prefix = commonPrefix(prefix, s)
		suffix = commonSuffix(suffix, s)
		shortest = min(shortest, len(s))
	}
	varying := max(0, shortest-len(prefix)-len(suffix))
	size, name := alphabet(strings.Join(states, ""))
	why := fmt.Sprintf("%d varying characters of %s", varying, name)
	return float64(varying) * math.Log2(float64(size)), why
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func commonSuffix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return a[len(a)-n:]
}

// alphabet names the usual alphabet a state is drawn from, judged by the classes of
// characters in s rather than by which characters happened to appear in a few samples
// (five base64url states of 22 characters often miss "-" and "_": counting only the
// characters seen would call 128 random bits 126): hex, digits, base64url, base64, or
// else the letters, digits and other characters seen.
func alphabet(s string) (int, string) {
	var digit, lowerHex, lower, upperHex, upper bool
	others := map[rune]bool{}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'f':
			lowerHex = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'F':
			upperHex = true
		case r >= 'A' && r <= 'Z':
			upper = true
		default:
			others[r] = true
		}
	}
	letters := lower || lowerHex || upper || upperHex
	only := func(allowed string) bool {
		for r := range others {
			if !strings.ContainsRune(allowed, r) {
				return false
			}
		}
		return true
	}
	switch {
	case len(others) == 0 && !lower && !upper && !(lowerHex && upperHex) && (lowerHex || upperHex):
		return 16, "hex"
	case len(others) == 0 && !letters:
		return 10, "digits"
	case (lower || lowerHex) && (upper || upperHex) && digit && only("-_"):
		return 64, "base64url"
	case (lower || lowerHex) && (upper || upperHex) && digit && only("+/="):
		return 64, "base64"
	}
	n := len(others)
	if digit {
		n += 10
	}
	if lower || lowerHex {
		n += 26
	}
	if upper || upperHex {
		n += 26
	}
	return n, fmt.Sprintf("a %d-character alphabet", n)
}
