package demo

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

const (
	redirectURI = "https://partner.example/callback"
	password    = "Sandbox#2020"        // #nosec G101 -- the published password of the sandbox's test users
	payeeAcct   = "6217000011112222337" // another bank's card number (Luhn-valid)
	payeeName   = "王小二"
)

func (r *run) steps() []step {
	return []step{
		{"Onboard a partner: App_ID, App_Secret, client certificate, SM2 signing and encryption keys", "9.2.1 a) 1)",
			"应用方准入审核通过后，商业银行配置唯一标识App_ID及与之相匹配的应用鉴别密文App_Secret、数字证书（或公私钥对）", (*run).onboard},
		{"A1 product query, MACed with HMAC-SM3", "9.2.2/1",
			"对于A1类应采用MAC校验等手段，保证商业银行与应用方之间数据传输的完整性", (*run).a1Query},
		{"Authorization: the user logs in at the bank (password + one-time code) and consents", "9.3.1",
			"用户身份认证应在商业银行完成", (*run).authorize},
		{"Token over mutual TLS with an SM2-signed request", "9.2.1 b) 2)",
			"对于A2类，应用方身份认证应使用…数字证书（或公私钥对）…进行双向身份认证", (*run).exchange},
		{"Balance, for the user, with the user's token", "9.3.2",
			"对于获取、使用、变更用户信息、账户、资金等接口，应用方调用接口时，应首先取得用户明示同意", (*run).balance},
		{"Payment consent, confirmed by the payer with a code from the bank", "9.3.2",
			"商业银行应对API的调用有效期进行控制（如单次有效、阶段性有效、协议期限内有效）", (*run).paymentConsent},
		{"Payment, the payee encrypted to the bank (SM2 + SM4-GCM)", "7.2.2",
			"账号、卡号…姓名、证件号码、手机号码等个人金融信息在传输过程中应…加密", (*run).pay},
		{"Notification received and its signature verified", "7.2.2",
			"对于A2级别的接口，商业银行和应用方应使用数字签名来保证数据的完整性和不可抵赖性", (*run).notification},
		{"A tampered answer is refused", "9.3.3",
			"应对数据完整性进行校验，并在检测到完整性错误时采取必要的恢复措施（或停止执行请求）", (*run).tampered},
		{"Revocation: the user withdraws the consent at the bank; the next call is refused", "9.3.2",
			"商业银行应为用户提供关闭商业银行应用程序接口相关服务的申请渠道", (*run).revoke},
	}
}

// adminCall plays the bank's operator on the admin API.
func (r *run) adminCall(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.admin.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (r *run) onboard(ctx context.Context) error {
	notifyURL, err := r.listenForNotifications()
	if err != nil {
		return err
	}
	reg := map[string]any{"name": "Demo Wallet", "level": "A2",
		"scopes":        []string{"oauth:token", "products:read", "accounts:read", "balances:read", "payments:write", "payments:read"},
		"redirect_uris": []string{redirectURI}, "notify_url": notifyURL}
	r.sent("POST /admin/v1/apps (the bank's operator registers the reviewed partner) %s", compact(reg))
	var out struct {
		App struct {
			AppID string `json:"app_id"`
		} `json:"app"`
		Credentials *struct {
			Serial    string `json:"serial"`
			AppSecret string `json:"app_secret"`
		} `json:"credentials"`
	}
	if err := r.adminCall(ctx, "POST", "/admin/v1/apps", reg, &out); err != nil {
		return err
	}
	r.appID = out.App.AppID
	if err := r.adminCall(ctx, "POST", "/admin/v1/apps/"+r.appID+"/actions/approve", nil, nil); err != nil {
		return err
	}
	r.checked("App_ID %s registered and approved", r.appID)
	pk, _, err := pki.LoadOrCreateBank(pki.DefaultOptions(filepath.Join(r.dataDir, "pki")))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "demo-partner-")
	if err != nil {
		return err
	}
	pc, err := pk.GeneratePartnerKeys(dir, r.appID, "Demo Wallet", pki.A2KeyValidity)
	if err != nil {
		return err
	}
	for _, c := range [][2]string{{"client_cert", "client.crt"}, {"sm2_sign", "sign.crt"}, {"sm2_enc", "enc.crt"}} {
		raw, err := os.ReadFile(filepath.Join(dir, c[1])) // #nosec G304 -- the file the demo just wrote
		if err != nil {
			return err
		}
		if err := r.adminCall(ctx, "POST", "/admin/v1/apps/"+r.appID+"/credentials", map[string]any{"kind": c[0], "pem": string(raw)}, nil); err != nil {
			return err
		}
	}
	r.sent("POST /admin/v1/apps/%s/credentials ×3: TLS client certificate, SM2 signing certificate (serial %s), SM2 encryption certificate (serial %s)",
		r.appID, pc.SignKeySerial(), pc.EncKeySerial())
	creds := sdk.Credentials{BaseURL: r.url, AppID: r.appID, SignSerial: pc.SignKeySerial(), EncSerial: pc.EncKeySerial()}
	if out.Credentials != nil {
		creds.AppSecret, creds.SecretSerial = out.Credentials.AppSecret, out.Credentials.Serial
	}
	raw, _ := json.Marshal(creds)
	if err := os.WriteFile(filepath.Join(dir, sdk.CredentialsFile), raw, 0o600); err != nil {
		return err
	}
	cfg, _, err := sdk.LoadDir(dir)
	if err != nil {
		return err
	}
	_ = os.RemoveAll(dir) // keys are in memory now; nothing stays on disk
	cfg.Resilience = sdk.Resilience{MaxAttempts: 1, FailureThreshold: 1 << 30}
	if r.client, err = sdk.New(cfg); err != nil {
		return err
	}
	r.secret = creds.AppSecret
	r.checked("signing and encryption use separate SM2 keys; the App_Secret is shown once and the bank keeps only HMAC-SM3(App_Secret, App_ID)")
	return nil
}

func (r *run) a1Query(ctx context.Context) error {
	if r.secret == "" {
		return errors.New("the bank issued no App_Secret for the A1 MAC")
	}
	cfg := r.client.Config()
	var sts []byte
	cfg.Authorize = func(method, path string, body []byte, ts, nonce string) (string, error) {
		sts = protocol.StringToSign(method, path, ts, nonce, body)
		key := protocol.DeriveMACKey(cfg.AppSecret, cfg.AppID)
		return protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: cfg.AppID, Serial: cfg.SecretSerial,
			Timestamp: ts, Nonce: nonce, Signature: protocol.MACBase64(key, sts)}.String(), nil
	}
	a1, err := sdk.New(cfg)
	if err != nil {
		return err
	}
	path := "/a1/v1/products?page_size=2"
	resp, err := a1.Do(ctx, "GET", path, nil, nil)
	if err != nil {
		return err
	}
	r.sent("GET %s", path)
	r.note("string to sign: %q", sts)
	r.note("SM3 of it: %s", protocol.SM3Hex(sts))
	r.note("K = HMAC-SM3(App_Secret, App_ID); signature = base64(HMAC-SM3(K, string to sign))")
	if resp.Status != 200 {
		return sdk.AsAPIError(resp)
	}
	r.checked("HTTP 200, U_API_ID %s, request %s", resp.UAPIID, resp.RequestID)
	r.checked("the bank's answer: SM2 signature by bank key %s verified over %q…; X-JR-MAC verified: %v",
		resp.Integrity.Serial, clip(resp.Integrity.StringToVerify, 60), resp.Integrity.MACVerified)
	if !resp.Integrity.SignatureVerified || !resp.Integrity.MACVerified {
		return errors.New("the answer's integrity was not verified")
	}
	return nil
}

func (r *run) authorize(ctx context.Context) error {
	auth, err := r.client.AuthorizationURL(sdk.AuthRequest{RedirectURI: redirectURI, Scopes: []string{"accounts:read", "balances:read"}, ValidDays: 30})
	if err != nil {
		return err
	}
	r.sent("the app sends the user's browser to %s…", clip(auth.URL, 90))
	r.note("OAuth 2.0 code flow with PKCE S256: the app keeps the verifier, the bank sees only its SHA-256")
	q, err := r.browser.consent(auth.URL, r.o.User, password, false, r.note)
	if err != nil {
		return err
	}
	r.checked("the app receives code %s… with its state (state matches: %v)", clip(q.Get("code"), 12), q.Get("state") == auth.State)
	if q.Get("state") != auth.State {
		return errors.New("state does not match")
	}
	r.pending = pendingAuth{code: q.Get("code"), verifier: auth.Verifier}
	return nil
}

type pendingAuth struct{ code, verifier string }

func (r *run) exchange(ctx context.Context) error {
	r.sent("POST /a2/v1/oauth/token grant_type=authorization_code code=%s… code_verifier=…, over mutual TLS, Authorization: JR0185-SM2-SM3 …", clip(r.pending.code, 12))
	r.note("SM2 with SM3, distinguishing ID %s, DER signature over method, path, timestamp, nonce and body", protocol.DefaultUID)
	tok, err := r.client.ExchangeCode(ctx, r.pending.code, r.pending.verifier, redirectURI)
	if err != nil {
		return err
	}
	r.token, r.user = tok, r.client.ForUser(tok)
	r.checked("access token for consent %s, scopes %q, expires in %ds; bound to the client certificate", tok.ConsentID, tok.Scope, tok.ExpiresIn)
	r.checked("the token answer was SM2-signed by the bank and verified before use")
	return nil
}

func (r *run) balance(ctx context.Context) error {
	resp, err := r.user.Do(ctx, "GET", "/a2/v1/accounts", nil, nil)
	if err != nil {
		return err
	}
	if resp.Status != 200 {
		return sdk.AsAPIError(resp)
	}
	var list struct {
		Accounts []struct {
			ID     string `json:"account_id"`
			Masked string `json:"account_number_masked"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil || len(list.Accounts) == 0 {
		return fmt.Errorf("no account in %s", clip(string(resp.Body), 120))
	}
	r.sent("GET /a2/v1/accounts with X-JR-Access-Token, signed")
	r.checked("%d account(s) granted, numbers masked (%s)", len(list.Accounts), list.Accounts[0].Masked)
	r.accountID = list.Accounts[0].ID
	resp, err = r.user.Do(ctx, "GET", "/a2/v1/accounts/"+r.accountID+"/balance", nil, nil)
	if err != nil {
		return err
	}
	if resp.Status != 200 {
		return sdk.AsAPIError(resp)
	}
	r.sent("GET /a2/v1/accounts/%s/balance", r.accountID)
	r.checked("HTTP 200 %s — signature verified (bank key %s)", clip(string(resp.Body), 100), resp.Integrity.Serial)
	return nil
}

func (r *run) paymentConsent(ctx context.Context) error {
	auth, err := r.client.AuthorizationURL(sdk.AuthRequest{RedirectURI: redirectURI, Scopes: []string{"payments:write"}, ConsentType: "payment",
		Amount: "10.00", Currency: "CNY", PayeeAccount: payeeAcct, PayeeName: payeeName})
	if err != nil {
		return err
	}
	r.sent("the app asks for a single-use payment consent: 10.00 CNY to %s", payeeName)
	q, err := r.browser.consent(auth.URL, r.o.User, password, true, r.note)
	if err != nil {
		return err
	}
	tok, err := r.client.ExchangeCode(ctx, q.Get("code"), auth.Verifier, redirectURI)
	if err != nil {
		return err
	}
	r.payToken, r.payAccount = tok, q.Get("account")
	r.checked("payment token for consent %s (scope %q), valid for this one payment", tok.ConsentID, tok.Scope)
	return nil
}

func (r *run) pay(ctx context.Context) error {
	serial, pub, err := sdk.LoadSM2Cert(filepath.Join(r.dataDir, "pki", "bank-enc.crt"))
	if err != nil {
		return err
	}
	body, env, err := sdk.SealedPaymentBody(pub, serial, sdk.PaymentOrder{DebitAccountID: r.payAccount, Amount: "10.00", PayeeAccount: payeeAcct, PayeeName: payeeName, Memo: "sandbox demo"})
	if err != nil {
		return err
	}
	r.sent("POST /a2/v1/payments, Idempotency-Key, payee sealed to the bank's encryption certificate %s: {\"alg\":%q,\"key\":\"%s…\",…}", serial, env.Alg, clip(env.Key, 16))
	resp, err := r.client.ForUser(r.payToken).Do(ctx, "POST", "/a2/v1/payments", body, http.Header{"Idempotency-Key": {"demo-" + protocol.NewNonce()}})
	if err != nil {
		return err
	}
	if resp.Status != 201 {
		return sdk.AsAPIError(resp)
	}
	var p struct {
		ID     string `json:"payment_id"`
		Status string `json:"status"`
	}
	_ = json.Unmarshal(resp.Body, &p)
	r.paymentID = p.ID
	r.checked("HTTP 201 payment %s, status %s; the answer's signature verified", p.ID, p.Status)
	return nil
}

// notification is one POST the bank made to the partner's notification URL.
type notification struct {
	header http.Header
	body   []byte
}

// listenForNotifications starts the partner's HTTPS notification endpoint on 127.0.0.1,
// with the sandbox's loopback server certificate.
func (r *run) listenForNotifications() (string, error) {
	dir := filepath.Join(r.dataDir, "pki")
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, pki.FileServerCert), filepath.Join(dir, pki.FileServerKey))
	if err != nil {
		return "", err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}})
	if err != nil {
		return "", err
	}
	r.notes = make(chan notification, 8)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		select {
		case r.notes <- notification{header: req.Header.Clone(), body: b}:
		default:
		}
		w.WriteHeader(204)
	})}
	go func() { _ = srv.Serve(ln) }()
	r.stopNotify = func() { _ = srv.Close() }
	return "https://" + ln.Addr().(*net.TCPAddr).String() + "/notify", nil
}

func (r *run) notification(ctx context.Context) error {
	select {
	case n := <-r.notes:
		r.sent("the bank POSTs to the partner's notification URL: %s", clip(string(n.body), 100))
		err := r.client.VerifyNotification(ctx, n.header, n.body)
		if err != nil {
			return err
		}
		if !strings.Contains(string(n.body), r.paymentID) {
			return fmt.Errorf("the notification is about another payment: %s", n.body)
		}
		r.checked("X-JR-Signature by bank key %s verified over timestamp\\nnonce\\nbody\\n before the partner acts on it", n.header.Get(protocol.HeaderSerial))
		return nil
	case <-time.After(20 * time.Second):
		return errors.New("no notification within 20s")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *run) tampered(ctx context.Context) error {
	fault := map[string]any{"kind": "tamper-body", "app_id": r.appID, "count": 1}
	r.sent("POST /admin/v1/faults %s (test control: one answer to this app altered after signing)", compact(fault))
	if err := r.adminCall(ctx, "POST", "/admin/v1/faults", fault, nil); err != nil {
		return err
	}
	resp, err := r.user.Do(ctx, "GET", "/a2/v1/accounts/"+r.accountID+"/balance", nil, nil)
	if !errors.Is(err, sdk.ErrIntegrity) {
		return fmt.Errorf("the SDK accepted a tampered answer (err %v)", err)
	}
	r.sent("GET /a2/v1/accounts/%s/balance → the answer arrives with one digit changed: %s", r.accountID, clip(string(resp.Body), 80))
	r.checked("the SDK refuses it: %v — the partner does not use it", err)
	return nil
}

func (r *run) revoke(ctx context.Context) error {
	r.sent("the user opens the portal at the bank (/portal) and revokes consent %s", r.token.ConsentID)
	if err := r.browser.revoke(r.token.ConsentID); err != nil {
		return err
	}
	resp, err := r.user.Do(ctx, "GET", "/a2/v1/accounts/"+r.accountID+"/balance", nil, nil)
	if err != nil {
		return err
	}
	var apiErr *sdk.APIError
	if !errors.As(sdk.AsAPIError(resp), &apiErr) || apiErr.Code != "CONSENT_REVOKED" {
		return fmt.Errorf("after revocation the bank answered HTTP %d %s", resp.Status, clip(string(resp.Body), 120))
	}
	r.sent("GET /a2/v1/accounts/%s/balance with the old token", r.accountID)
	r.checked("HTTP %d %s (signed answer, verified): the consent's tokens stopped working at once", resp.Status, apiErr.Code)
	return nil
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
