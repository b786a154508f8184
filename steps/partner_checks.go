package steps

// Judging the partner: its answers compared with the bank's truth, what the bank
// observed it send, and its own log.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/driver"
)

func registerPartnerChecks(sc *godog.ScenarioContext) {
	sc.Step(`^every call the partner made used TLS 1\.2 or later(?: and every A2 call its registered client certificate)?$`, partnerTLS)
	sc.Step(`^the bank refused no TLS handshake during the scenario$`, noRefusedHandshake)
	sc.Step(`^every request the partner made carried a (signature|MAC or signature) the bank verified$`, partnerSigned)
	sc.Step(`^the partner never reused a nonce$`, partnerNonces)
	sc.Step(`^no account call reached the bank$`, func(ctx context.Context) error { return noAccountCallAfter(ctx, time.Time{}, "") })
	sc.Step(`^no account call reached the bank after the partner first answered "([a-z_]+)"$`, func(ctx context.Context, code string) error {
		for _, a := range pst(W(ctx)).answers {
			if driver.Code(a.Err) == code {
				return noAccountCallAfter(ctx, a.End, "after the partner answered "+code)
			}
		}
		return fmt.Errorf("the partner never answered %q", code)
	})
	sc.Step(`^the partner called only "([^"]+)"$`, partnerCalledOnly)
	sc.Step(`^the bank refused none of the partner's calls$`, partnerNoRefusals)
	sc.Step(`^the partner sent the payment (\d+) times or more, every time with the same idempotency key$`, partnerSameKey)
	sc.Step(`^the bank moved "([\d.]+)" from the user's first account exactly once$`, partnerMovedOnce)
	sc.Step(`^after each 429 the partner waited at least (\d+) seconds? before calling again$`, partnerWaited)
	sc.Step(`^the partner refreshed its access token at the bank$`, partnerRefreshed)
	sc.Step(`^the partner revoked its token at the bank$`, func(ctx context.Context) error {
		obs, err := seen(ctx)
		if err != nil {
			return err
		}
		for _, o := range obs {
			if o.API == "a2.oauth.revoke" && o.Status == 200 {
				return nil
			}
		}
		return fmt.Errorf("the bank saw no accepted a2.oauth.revoke call from the partner: %v", obs)
	})
	sc.Step(`^the partner's log holds no full account, card, ID or phone number$`, partnerLogClean)
	sc.Step(`^the partner's log names the request id of every call the bank answered it$`, partnerLogComplete)
	sc.Step(`^the partner's log holds none of the user's holdings$`, partnerLogNoHoldings)
	sc.Step(`^the partner's log holds nothing the user entered at the bank$`, partnerLogNoCredentials)
	sc.Step(`^the bank answered the partner "([a-z0-9.]+)" (\d+) times$`, func(ctx context.Context, api string, n int) error {
		obs, err := apiCalls(ctx)
		if err != nil {
			return err
		}
		got := 0
		for _, o := range obs {
			if o.API == api && o.Status == 200 {
				got++
			}
		}
		if got != n {
			return fmt.Errorf("the bank answered the partner %s %d times, want %d (one fresh call per request, nothing served from a local copy)", api, got, n)
		}
		return nil
	})
}

// ---- answers

func lastOK(ctx context.Context, action string) (actionAnswer, error) {
	s := pst(W(ctx))
	for i := len(s.answers) - 1; i >= 0; i-- {
		if a := s.answers[i]; a.Action == action {
			if a.Err != nil {
				return a, fmt.Errorf("the partner refused %s: %v", action, a.Err)
			}
			return a, nil
		}
	}
	return actionAnswer{}, fmt.Errorf("the partner was not asked to %s", action)
}

func partnerProductsMatch(ctx context.Context) error {
	a, err := lastOK(ctx, driver.ListProducts)
	if err != nil {
		return err
	}
	got := a.Result.(*driver.ProductsResult).Products
	if len(got) == 0 {
		return errors.New("the partner listed no product")
	}
	w := W(ctx)
	if _, ok := w.Apps["the other app"]; !ok {
		if err := registerRole(ctx, "the other app", "A1", nil); err != nil {
			return err
		}
	}
	other, _ := w.App("the other app")
	names := map[string]string{}
	for page := 1; page <= 50; page++ {
		x, err := w.Env.Do(ctx, Call{App: other, Method: "GET", URI: fmt.Sprintf("/a1/v1/products?page=%d&page_size=50", page)}, nil)
		if err != nil {
			return err
		}
		if x.Status != 200 {
			return fmt.Errorf("the harness's own product query: HTTP %d %s", x.Status, clip(string(x.Body), 200))
		}
		list, _ := x.JSON()["items"].([]any)
		for _, it := range list {
			m, _ := it.(map[string]any)
			code, _ := m["code"].(string)
			names[code], _ = m["name"].(string)
		}
		if total, _ := x.JSON()["total"].(float64); len(list) == 0 || len(names) >= int(total) {
			break
		}
	}
	for _, p := range got {
		name, ok := names[p.ProductID]
		if !ok || name != p.Name {
			return fmt.Errorf("the partner lists product %q %q, which the bank does not publish under that code and name", p.ProductID, p.Name)
		}
	}
	w.Note("the partner listed %d products, all as the bank publishes them", len(got))
	return nil
}

func partnerBalanceMatches(ctx context.Context) error {
	a, err := lastOK(ctx, driver.Balance)
	if err != nil {
		return err
	}
	s := pst(W(ctx))
	got := a.Result.(*driver.BalanceResult)
	id := W(ctx).Vars["partner.account"]
	if got.AccountID != id {
		return fmt.Errorf("the partner answered the balance of %q, asked for %q", got.AccountID, id)
	}
	partner, err := fen(got.Available)
	if err != nil {
		return fmt.Errorf("the partner's balance: %w", err)
	}
	truth, err := truthBalance(ctx, s.user, id)
	if err != nil {
		return err
	}
	if partner != truth {
		return fmt.Errorf("the partner says the available balance is %s; the bank holds %s", got.Available, yuan(truth))
	}
	return nil
}

func yuan(f int64) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}

// truthHoldings decrypts the user's holdings as the harness's own app receives them.
func truthHoldings(ctx context.Context, user string) ([]map[string]any, error) {
	w := W(ctx)
	_, x, err := truthGet(ctx, user, "/a2/v1/holdings")
	if err != nil {
		return nil, err
	}
	a, _ := w.App("the app")
	var ans struct {
		Encrypted *envelope `json:"encrypted"`
	}
	if err := json.Unmarshal(x.Body, &ans); err != nil || ans.Encrypted == nil {
		return nil, fmt.Errorf("the holdings answer is not an encrypted envelope: %s", clip(string(x.Body), 300))
	}
	plain, err := open(a.EncKey, *ans.Encrypted, []byte(holdingsAAD))
	if err != nil {
		return nil, err
	}
	var hs struct {
		Holdings []map[string]any `json:"holdings"`
	}
	if err := json.Unmarshal(plain, &hs); err != nil {
		return nil, err
	}
	return hs.Holdings, nil
}

func holdingKey(h map[string]any) string {
	return fmt.Sprintf("%v|%v|%v", h["account_id"], h["product_code"], h["market_value"])
}

func partnerHoldingsMatch(ctx context.Context) error {
	a, err := lastOK(ctx, driver.Holdings)
	if err != nil {
		return err
	}
	got := a.Result.(*driver.HoldingsResult).Holdings
	truth, err := truthHoldings(ctx, pst(W(ctx)).user)
	if err != nil {
		return err
	}
	if len(truth) == 0 {
		return errors.New("the bank holds no holdings for the user: the scenario proves nothing")
	}
	want, have := map[string]bool{}, map[string]bool{}
	for _, h := range truth {
		want[holdingKey(h)] = true
	}
	for _, h := range got {
		have[holdingKey(h)] = true
	}
	if len(want) != len(have) {
		return fmt.Errorf("the partner answered %d holdings; the bank sent %d", len(have), len(want))
	}
	for k := range want {
		if !have[k] {
			return fmt.Errorf("the partner's holdings lack %s (account|product|market value)", k)
		}
	}
	return nil
}

func partnerRefused(ctx context.Context, code string) error {
	return partnerRefusedEither(ctx, code, code)
}

func partnerRefusedEither(ctx context.Context, a, b string) error {
	last, err := pst(W(ctx)).last()
	if err != nil {
		return err
	}
	got := driver.Code(last.Err)
	if got == a || got == b {
		return nil
	}
	if last.Err == nil {
		r, _ := json.Marshal(last.Result)
		return fmt.Errorf("the partner answered %s with a result (%s) instead of refusing with %q", last.Action, clip(string(r), 200), a)
	}
	return fmt.Errorf("the partner refused %s with %v, want %q", last.Action, last.Err, a)
}

func partnerRefusedSome(ctx context.Context, code string) error {
	for _, a := range pst(W(ctx)).answers {
		if driver.Code(a.Err) == code {
			return nil
		}
	}
	var got []string
	for _, a := range pst(W(ctx)).answers {
		got = append(got, a.Action+":"+orOK(driver.Code(a.Err)))
	}
	return fmt.Errorf("no answer was %q: %v", code, got)
}

func orOK(code string) string {
	if code == "" {
		return "ok"
	}
	return code
}

func partnerPaymentStatus(ctx context.Context, status string) error {
	s := pst(W(ctx))
	last, err := s.last()
	if err != nil {
		return err
	}
	if last.Action != driver.FinishPayment && last.Action != driver.PaymentStatus {
		return fmt.Errorf("the partner's last action was %s, not a payment", last.Action)
	}
	if last.Err != nil {
		return fmt.Errorf("the partner's payment failed: %v", last.Err)
	}
	got := last.Result.(*driver.PaymentResult)
	if got.Status != status || got.PaymentID == "" {
		return fmt.Errorf("the partner reports payment %q as %q, want %q", got.PaymentID, got.Status, status)
	}
	return nil
}

var maskedRE = regexp.MustCompile(`^\d{4}[ *]+\d{4}$`)

func partnerAccountsMasked(ctx context.Context) error {
	s := pst(W(ctx))
	if len(s.accounts) == 0 {
		return errors.New("the partner listed no account")
	}
	for _, a := range s.accounts {
		if !maskedRE.MatchString(a.Masked) || longDigits.MatchString(a.Masked) {
			return fmt.Errorf("the partner shows account %s as %q, not masked (first and last four digits only)", a.AccountID, a.Masked)
		}
	}
	return nil
}

func partnerKeysDiffer(ctx context.Context) error {
	return distinctKeys(W(ctx).Env.partner.hello)
}

func partnerHistory(ctx context.Context, k1, k2, k3 string) error {
	kinds := []string{k1, k2, k3}
	var r driver.HistoryResult
	if err := W(ctx).Env.Partner.Do(ctx, driver.History, struct{}{}, &r); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	have := map[string]bool{}
	for _, e := range r.Events {
		have[e.Kind] = true
	}
	for _, k := range kinds {
		if k != "" && !have[k] {
			return fmt.Errorf("the partner's history of its user's operations has no %q event: %+v", k, r.Events)
		}
	}
	return nil
}

func partnerStatus(ctx context.Context, circuitOpen bool) error {
	var r driver.StatusResult
	if err := W(ctx).Env.Partner.Do(ctx, driver.Status, struct{}{}, &r); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if circuitOpen && r.Circuit != "open" {
		return fmt.Errorf("the partner reports its circuit %q after repeated failures, want open", r.Circuit)
	}
	if len(r.Alarms) == 0 {
		return errors.New("the partner raised no alarm (JR/T 0185-2020 10.1.2/2b: an alarm on abnormal calls)")
	}
	W(ctx).Note("partner alarm: %s", r.Alarms[0].Message)
	return nil
}

// ---- what the bank observed

// apiCalls are the scenario's observed API calls (not notifications).
func apiCalls(ctx context.Context) ([]observation, error) {
	obs, err := seen(ctx)
	if err != nil {
		return nil, err
	}
	var out []observation
	for _, o := range obs {
		if o.Kind != "notification" {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the bank observed no call from the partner in this scenario")
	}
	return out, nil
}

func partnerTLS(ctx context.Context) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.TLSVersion != "TLS 1.2" && o.TLSVersion != "TLS 1.3" {
			return fmt.Errorf("%v came over %q", o, o.TLSVersion)
		}
		if strings.HasPrefix(o.Path, "/a2/") && !o.ClientCertBound {
			return fmt.Errorf("%v did not present the partner's registered client certificate (presented: %q)", o, o.ClientCertSHA256)
		}
	}
	W(ctx).Note("%d calls over TLS 1.2+, A2 calls with the registered client certificate", len(obs))
	return nil
}

func noRefusedHandshake(ctx context.Context) error {
	w := W(ctx)
	hs, err := w.Env.handshakes(ctx, pst(w).hsAfter)
	if err != nil {
		return err
	}
	if len(hs.list) > 0 {
		return fmt.Errorf("the bank refused %d TLS handshakes during the scenario, e.g. %+v", len(hs.list), hs.list[0])
	}
	return nil
}

func partnerSigned(ctx context.Context, what string) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.SignatureValid == nil || !*o.SignatureValid {
			return fmt.Errorf("%v: the bank could not verify the partner's request signature (scheme %q, serial %q)", o, o.Scheme, o.Serial)
		}
		if (what == "signature" || strings.HasPrefix(o.Path, "/a2/")) && o.Scheme != "JR0185-SM2-SM3" {
			return fmt.Errorf("%v: signed with %q, not an SM2 signature", o, o.Scheme)
		}
	}
	return nil
}

func partnerNonces(ctx context.Context) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	seenN := map[string]bool{}
	for _, o := range obs {
		if o.NonceReused || seenN[o.Nonce] {
			return fmt.Errorf("%v reused nonce %q", o, o.Nonce)
		}
		if o.Nonce == "" {
			return fmt.Errorf("%v carried no nonce", o)
		}
		seenN[o.Nonce] = true
	}
	if len(obs) < 2 {
		return fmt.Errorf("only %d call observed: nonce reuse needs at least two", len(obs))
	}
	return nil
}

func accountCall(o observation) bool {
	return strings.HasPrefix(o.API, "a2.accounts.") || strings.HasPrefix(o.API, "a2.holdings.") || strings.HasPrefix(o.API, "a2.payments.") ||
		strings.HasPrefix(o.Path, "/a2/v1/accounts") || strings.HasPrefix(o.Path, "/a2/v1/holdings") || strings.HasPrefix(o.Path, "/a2/v1/payments")
}

func noAccountCallAfter(ctx context.Context, t time.Time, why string) error {
	obs, err := seen(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if accountCall(o) && o.Time.After(t) {
			return fmt.Errorf("an account call reached the bank %s: %v", why, o)
		}
	}
	return nil
}

func partnerCalledOnly(ctx context.Context, list string) error {
	allowed := map[string]bool{}
	for _, a := range strings.Fields(list) {
		allowed[a] = true
	}
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if !allowed[o.API] {
			return fmt.Errorf("the partner called %s (%s %s), which its task did not need and the user did not consent to", orUnknownAPI(o.API), o.Method, o.Path)
		}
	}
	return nil
}

func orUnknownAPI(api string) string {
	if api == "" {
		return "an unknown interface"
	}
	return api
}

func partnerNoRefusals(ctx context.Context) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.Status >= 400 && o.Fault == "" {
			return fmt.Errorf("the bank refused a call of the partner's: %v", o)
		}
	}
	return nil
}

func partnerSameKey(ctx context.Context, n int) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	keys := map[string]int{}
	total := 0
	for _, o := range obs {
		if o.API == "a2.payments.create" {
			keys[o.IdempotencyKey]++
			total++
		}
	}
	if total < n {
		return fmt.Errorf("the partner sent the payment %d times, want at least %d (it must retry a payment whose answer was lost)", total, n)
	}
	if len(keys) != 1 || keys[""] > 0 {
		return fmt.Errorf("the partner's payment attempts carried %d different idempotency keys %v: a retry with a new key pays twice", len(keys), keys)
	}
	return nil
}

func partnerMovedOnce(ctx context.Context, amount string) error {
	moved, want, err := debitMoved(ctx, amount)
	if err != nil {
		return err
	}
	if moved != want {
		s := pst(W(ctx))
		return fmt.Errorf("the user's account moved by %s (from %s to %s), want exactly %s", yuan(moved), yuan(s.truthBefore), yuan(s.truthBefore-moved), amount)
	}
	return nil
}

// debitMoved is how much the user's first account moved since the scenario's payment
// started, and the amount (in fen) it was for.
func debitMoved(ctx context.Context, amount string) (moved, want int64, err error) {
	s := pst(W(ctx))
	if want, err = fen(amount); err != nil {
		return 0, 0, err
	}
	after, err := truthBalance(ctx, s.user, W(ctx).Vars["partner.account"])
	if err != nil {
		return 0, 0, err
	}
	return s.truthBefore - after, want, nil
}

func partnerWaited(ctx context.Context, secs int) error {
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	sort.Slice(obs, func(i, j int) bool { return obs[i].Seq < obs[j].Seq })
	n := 0
	for i, o := range obs {
		if o.Status != 429 {
			continue
		}
		n++
		if i+1 < len(obs) {
			gap := obs[i+1].Time.Sub(o.Time)
			if gap < time.Duration(secs)*time.Second-50*time.Millisecond {
				return fmt.Errorf("the partner called again %v after a 429 with Retry-After %d: %v", gap.Round(time.Millisecond), secs, obs[i+1])
			}
		}
	}
	if n == 0 {
		return errors.New("the bank answered no call with 429: the scenario proves nothing")
	}
	return nil
}

func partnerRefreshed(ctx context.Context) error {
	s := pst(W(ctx))
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.API == "a2.oauth.token" && o.Status == 200 && o.Time.After(s.marks["control"]) {
			return nil
		}
	}
	return errors.New("the partner did not obtain a new token at the token endpoint after its access token expired")
}

// ---- the partner's log

var (
	longDigits = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d{16,19})(?:$|[^0-9A-Za-z])`)
	idNumber   = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d{17}[0-9Xx])(?:$|[^0-9A-Za-z])`)
	phone      = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(1[3-9]\d{9})(?:$|[^0-9A-Za-z])`)
	separators = regexp.MustCompile(`(\d)[ -](\d)`)
	longRun    = regexp.MustCompile(`\d{8,}`)
)

func partnerLog(ctx context.Context) ([]string, error) {
	lines, err := W(ctx).Env.Partner.Log(ctx)
	if err != nil {
		return nil, fmt.Errorf("the partner's log: %w", err)
	}
	return lines, nil
}

// partnerLogClean scans the partner's log for full card, account, ID and phone numbers
// (JR/T 0185-2020 7.3.3/2b: only masked payment accounts; 9.3.3/2a), including every
// full number the harness handed to the partner, with or without separators.
func partnerLogClean(ctx context.Context) error {
	lines, err := partnerLog(ctx)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return errors.New("the partner's log is empty: nothing to judge (it must log its calls: 12.3/4)")
	}
	handed := pst(W(ctx)).handed
	for i, l := range lines {
		joined := separators.ReplaceAllString(separators.ReplaceAllString(l, "$1$2"), "$1$2")
		for _, re := range []*regexp.Regexp{longDigits, idNumber, phone} {
			if m := re.FindStringSubmatch(joined); m != nil {
				return fmt.Errorf("the partner's log line %d holds a full number %s…: %q", i+1, m[1][:6], clip(maskDigits(l), 200))
			}
		}
		for _, h := range handed {
			if strings.Contains(joined, h) {
				return fmt.Errorf("the partner's log line %d holds the full account number it was given: %q", i+1, clip(maskDigits(l), 200))
			}
		}
	}
	W(ctx).Note("%d log lines scanned: no full account, card, ID or phone number", len(lines))
	return nil
}

// maskDigits keeps evidence from repeating the leak.
func maskDigits(s string) string {
	return longRun.ReplaceAllStringFunc(s, func(d string) string {
		return d[:4] + strings.Repeat("*", len(d)-8) + d[len(d)-4:]
	})
}

func partnerLogComplete(ctx context.Context) error {
	lines, err := partnerLog(ctx)
	if err != nil {
		return err
	}
	obs, err := apiCalls(ctx)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.RequestID == "" {
			return fmt.Errorf("%v: the bank recorded no request id", o)
		}
		line := ""
		for _, l := range lines {
			if strings.Contains(l, o.RequestID) {
				line = l
				break
			}
		}
		if line == "" {
			return fmt.Errorf("the partner's log does not record its call %v (request id %s)", o, o.RequestID)
		}
		if o.UAPIID != "" && !strings.Contains(line, o.UAPIID) {
			return fmt.Errorf("the partner's log entry for request %s does not name the interface's U_API_ID %s: %q", o.RequestID, o.UAPIID, clip(line, 200))
		}
	}
	W(ctx).Note("the partner's log names all %d calls the bank answered it", len(obs))
	return nil
}

func partnerLogNoHoldings(ctx context.Context) error {
	lines, err := partnerLog(ctx)
	if err != nil {
		return err
	}
	truth, err := truthHoldings(ctx, pst(W(ctx)).user)
	if err != nil {
		return err
	}
	all := strings.Join(lines, "\n")
	for _, h := range truth {
		for _, f := range []string{"market_value", "principal"} {
			if v, ok := h[f].(string); ok && len(v) >= 4 && strings.Contains(all, v) {
				return fmt.Errorf("the partner's log holds the user's holding %s %s = %s (7.2.2/3c: query results are not kept at the partner)", h["product_code"], f, v)
			}
		}
	}
	return nil
}

// partnerLogNoCredentials: the user's password and one-time codes are entered only at the
// bank (JR/T 0185-2020 9.3.1/1); none of it may reach the partner's log.
func partnerLogNoCredentials(ctx context.Context) error {
	lines, err := partnerLog(ctx)
	if err != nil {
		return err
	}
	w := W(ctx)
	user := w.Env.T.Users[pst(w).user]
	all := strings.Join(lines, "\n")
	if user.Password != "" && strings.Contains(all, user.Password) {
		return errors.New("the partner's log holds the user's bank password")
	}
	if user.Username != "" && strings.Contains(all, user.Username) {
		return fmt.Errorf("the partner's log holds the user's bank login name %q", user.Username)
	}
	return nil
}
